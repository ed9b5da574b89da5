import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnOwned } from '../../test/support/children.js';

const tsx = import.meta.resolve('tsx');

/** A baseline program of the benchmark's own, in a process of its own like the API it is compared with. */
export interface Child {
  readonly child: ChildProcess;
  /** The first capture group of the line that said it was ready. */
  readonly ready: string;
  /** Resolves with the next line of output that matches. */
  next(pattern: RegExp): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export async function startChild(script: string, env: Record<string, string>, ready: RegExp): Promise<Child> {
  const path = fileURLToPath(new URL(`../baseline/${script}`, import.meta.url));
  const child = spawnOwned(process.execPath, ['--import', tsx, path], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        output = output.slice(match.index + match[0].length);
        waiter.resolve(match);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const next = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
      waiters.push({ pattern, resolve });
      onData(Buffer.alloc(0));
    });
  const [, readyValue = ''] = await next(ready);
  return {
    child,
    ready: readyValue,
    next,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resident set size of a process, from /proc (Linux), in MiB. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kib / 1024;
}
