import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { killRecorded } from './children.js';
import { adminQuery, testDatabaseName } from './databases.js';
import { isAlive, ownerVariable } from './owner.js';
import { redisUrl, testPrefixPattern } from './redis.js';
import { tempDirName } from './temp-dir.js';

export interface Swept {
  processes: number[];
  tempDirs: string[];
  databases: string[];
  redisPrefixes: string[];
}

/**
 * Removes what test processes that have died left behind (a SIGKILL gives no
 * exit hook a chance): their processes, temp folders, databases and Redis
 * keys. Only what carries the pid of a process that no longer runs, so a
 * test run going on beside it keeps everything.
 */
export async function sweepLeftovers(): Promise<Swept> {
  const deadOwner = (pid: string | undefined) => pid !== undefined && !isAlive(Number(pid));
  const tempDirs = readdirSync(tmpdir()).filter((name) => deadOwner(tempDirName.exec(name)?.[1]));
  // The children each dead owner wrote down (with what they started), then any other process still stamped with it.
  const processes = tempDirs
    .filter((name) => name.startsWith('bookly-children-'))
    .flatMap((name) => killRecorded(join(tmpdir(), name, 'pids')));
  for (const pid of strayProcesses(deadOwner)) {
    try {
      process.kill(pid, 'SIGKILL');
      processes.push(pid);
    } catch {
      // Gone already.
    }
  }
  for (const name of tempDirs) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  const databases = (await adminQuery("select datname from pg_database where datname like 'bookly\\_test\\_p%'"))
    .map((row) => String(row.datname))
    .filter((name) => deadOwner(testDatabaseName.exec(name)?.[1]));
  for (const name of databases) await adminQuery(`drop database if exists ${name} with (force)`);
  const redisPrefixes = await sweepRedis(deadOwner);
  return { processes, tempDirs, databases, redisPrefixes };
}

/** Processes stamped with an owner that has died. */
function strayProcesses(deadOwner: (pid: string | undefined) => boolean): number[] {
  const stamp = new RegExp(`(?:^|\\0)${ownerVariable}=(\\d+)(?:\\0|$)`);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // Ended meanwhile, or another user's.
    }
    if (deadOwner(stamp.exec(environ)?.[1])) found.push(Number(entry));
  }
  return found;
}

async function sweepRedis(deadOwner: (pid: string | undefined) => boolean): Promise<string[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  const prefixes = new Set<string>();
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'bookly-test-p*', 'COUNT', 1000);
      cursor = next;
      const stray = keys.filter((key) => deadOwner(testPrefixPattern.exec(key.split(':')[0] ?? '')?.[1]));
      for (const key of stray) prefixes.add(key.split(':')[0] ?? '');
      if (stray.length > 0) await redis.unlink(...stray);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return [...prefixes];
}

// Run as a script before the test files (`npm test`): one line saying what it removed, if anything.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const swept = await sweepLeftovers();
  const counts = Object.entries(swept).filter(([, found]) => found.length > 0);
  if (counts.length > 0) {
    console.log(`Removed what earlier test runs left behind: ${counts.map(([what, found]) => `${found.length} ${what}`).join(', ')}`);
  }
}
