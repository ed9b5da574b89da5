import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { spawnOwned } from './children.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// Resolved here, so that a process started in another directory (to read its own .env) finds it.
const tsx = import.meta.resolve('tsx');

export interface ServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT`, once it listens. */
  readonly url: string;
  /** Everything it printed. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** Runs `bookly <command>` as a process of its own, as `npm start` would; `nodeArgs` go to Node (`--cpu-prof`). */
export function runCli(args: readonly string[], env: Record<string, string>, cwd?: string, nodeArgs: readonly string[] = []): ChildProcess {
  return spawnOwned(process.execPath, [...nodeArgs, '--import', tsx, cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts `bookly serve` on a free port and resolves once it serves (listening, migrated, running tasks);
 * `serveArgs` follow the command (`--port 9000`).
 */
export function startServerProcess(
  env: Record<string, string>,
  nodeArgs?: readonly string[],
  serveArgs: readonly string[] = [],
): Promise<ServerProcess> {
  const ready = /"address":"(http:\/\/127\.0\.0\.1:\d+)","msg":"ready"/;
  return startProcess(['serve', ...serveArgs], { PORT: '0', ...env }, ready, undefined, nodeArgs);
}

/** Starts `bookly serve` and resolves as soon as it listens, before its database may answer. */
export function startListeningServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startProcess(['serve'], { PORT: '0', ...env }, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
}

/** Starts `bookly worker` and resolves once it runs (`url` is its metrics server's, when it has one). */
export function startWorkerProcess(env: Record<string, string>, nodeArgs?: readonly string[]): Promise<ServerProcess> {
  return startProcess(['worker'], env, /"msg":"worker running"/, /"metricsPort":(\d+)/, nodeArgs);
}

async function startProcess(
  args: readonly string[],
  env: Record<string, string>,
  ready: RegExp,
  port?: RegExp,
  nodeArgs?: readonly string[],
): Promise<ServerProcess> {
  // It says it is ready at level info, so it logs at least that much.
  const verbose = ['debug', 'trace'].includes(env.LOG_LEVEL ?? '');
  const command = args.join(' ');
  const child = runCli(args, { ...env, LOG_LEVEL: verbose ? (env.LOG_LEVEL as string) : 'info' }, undefined, nodeArgs);
  let output = '';
  let started = false;
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a loaded two-core machine, compiling and starting one took over a minute once.
    const timer = setTimeout(() => {
      // Not left running behind a failed test.
      child.kill('SIGKILL');
      reject(new Error(`bookly ${command} did not start:\n${output}`));
    }, 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The last megabyte is plenty to show why a process failed; a benchmark's request log would grow without end.
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (started) return;
      const match = ready.exec(output);
      if (match) {
        started = true;
        clearTimeout(timer);
        const metricsPort = port?.exec(output)?.[1];
        resolve(match[1] ?? (metricsPort ? `http://127.0.0.1:${metricsPort}` : ''));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bookly ${command} exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async stop(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

/** Collects a process's output and resolves with its exit code. */
export async function runToEnd(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}
