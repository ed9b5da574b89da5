import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawnOwned } from '../../test/support/children.js';
import { freePort } from '../../test/support/redis.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import { testEnv } from '../../test/support/test-app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = import.meta.resolve('tsx');

/** How the API is started: as `npm start` runs it now (dist/ by tsc, through the launcher), or through tsx as before. */
export type Launch = 'compiled' | 'tsx';

const entry: Record<Launch, string[]> = {
  compiled: ['scripts/bookly.mjs'],
  tsx: ['--import', tsx, 'src/cli.ts'],
};

/** The environment `npm start` would have in production (it refuses to start without a mail server), on the PostgreSQL database at `databaseUrl`. */
export function startUpEnv(databaseUrl: string, smtp: SmtpPeer): Record<string, string> {
  return {
    ...testEnv({ databaseUrl, smtp }),
    NODE_ENV: 'production',
    METRICS_TOKEN: randomBytes(24).toString('hex'),
    LOG_LEVEL: 'warn',
  };
}

/** Runs `bookly <args>` to its end (a migration, say); its wall time in ms. */
export async function timeCommand(launch: Launch, args: readonly string[], env: Record<string, string>): Promise<number> {
  const began = performance.now();
  const child = spawnOwned(process.execPath, [...entry[launch], ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bookly ${args.join(' ')} exited with ${code}:\n${output}`);
  return performance.now() - began;
}

/** CPU time a process has used, user and system, from /proc (Linux), in ms. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  // The fields after the command's name, which may hold spaces: utime and stime are the 12th and 13th, in clock ticks (100 a second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Spawns `bookly serve` and times it to the first 200 from /health, polled every 5 ms (a request
 * refused before it listens is polled again), and reads the CPU time it took (less swayed by the
 * machine's other work); the process is killed afterwards. In ms.
 */
export async function timeStartUp(launch: Launch, env: Record<string, string>): Promise<{ ms: number; cpuMs: number }> {
  const port = await freePort();
  const began = performance.now();
  const child = spawnOwned(process.execPath, [...entry[launch], 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bookly serve exited with ${child.exitCode}:\n${output}`);
      if (performance.now() - began > 60_000) throw new Error(`bookly serve answered no /health within 60 s:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (reply) => reply.status,
        () => undefined,
      );
      if (status === 200) return { ms: performance.now() - began, cpuMs: cpuMs(child.pid) };
      await sleep(5);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
}
