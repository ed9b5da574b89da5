import { readFileSync } from 'node:fs';

/**
 * What the tests make on shared ground (temp folders, databases, Redis
 * prefixes, processes) carries the pid of the process that made it. Its
 * own hooks remove it; should that process die first (SIGKILL, a machine
 * that ran out of memory), the next run's sweep (`sweep-leftovers.ts`) finds
 * the owner gone and removes it then.
 */
export const owner = process.pid;

/** The environment variable that stamps a child process (and whatever it starts) with its owner. */
export const ownerVariable = 'BOOKLY_TEST_OWNER';

// Inherited by every process started from here on, with or without an environment of its own that adds it.
process.env[ownerVariable] = String(owner);

/** Whether process `pid` still runs: a zombie (dead, its exit status not yet collected) does not. */
export function isAlive(pid: number): boolean {
  try {
    // The state follows the command's name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

type Cleanup = () => void;
const cleanups: Cleanup[] = [];

/**
 * Runs `cleanup` (synchronous, as an exit hook must be) when this process
 * exits, also by SIGINT, SIGTERM or SIGHUP, which would otherwise end it
 * without an exit event.
 */
export function onExit(cleanup: Cleanup): void {
  cleanups.push(cleanup);
}

/** Last registered, first run: what was made last may depend on what was made before it (a server on its folder). */
function runCleanups(): void {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // One that fails must not keep the others from running.
    }
  }
}

process.on('exit', runCleanups);
for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const) {
  process.once(signal, () => {
    runCleanups();
    process.exit(128 + number);
  });
}
