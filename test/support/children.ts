import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onExit, owner, ownerVariable } from './owner.js';
import { tempDir } from './temp-dir.js';

const running = new Set<ChildProcess>();
let record: string | undefined;

/** Every child still running is killed, with whatever it started, when this process exits (a test that failed before stopping its own). */
onExit(killChildren);

/**
 * Starts a process that cannot outlive the tests: in a process group of its
 * own (so a kill reaches what it started, PostgreSQL's backends say), killed
 * when this process exits, and written down for the next run's sweep should
 * this process be SIGKILLed. The record, not the environment's owner stamp,
 * is what finds servers such as Redis and PostgreSQL, which overwrite their
 * environment with their process titles.
 */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, {
    ...options,
    detached: true,
    env: { ...(options.env ?? process.env), [ownerVariable]: String(owner) },
  });
  if (child.pid !== undefined) {
    record ??= join(tempDir('children'), 'pids');
    appendFileSync(record, `${child.pid} ${startTime(child.pid)}\n`);
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
  // A failed spawn (no such program) emits 'error' and no 'exit'.
  child.once('error', () => running.delete(child));
  return child;
}

/** SIGKILLs every child still running and its process group. */
export function killChildren(): void {
  for (const child of running) if (child.pid !== undefined) killGroup(child.pid);
  running.clear();
}

/** The process groups of the children a record lists, each only if its leader is still the process written down (pids are reused). */
export function killRecorded(recordFile: string): number[] {
  const killed: number[] = [];
  for (const line of readFileSync(recordFile, 'utf8').split('\n')) {
    const [pid, started] = line.split(' ').map(Number);
    if (pid === undefined || !pid || startTime(pid) !== started) continue;
    killGroup(pid);
    killed.push(pid);
  }
  return killed;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat); undefined once it is gone. */
function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The fields after the command's name, which is in parentheses and may hold spaces: state is field 3, start time 22.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}
