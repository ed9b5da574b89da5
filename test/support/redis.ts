import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { BullQueues } from '../../src/tasks/bullmq/queues.js';
import { spawnOwned } from './children.js';
import { owner } from './owner.js';

/** The machine's Redis. */
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `bookly-test-p<owner pid>-<random>`: the sweep reads the owner back from the prefix. */
export const testPrefixPattern = /^bookly-test-p(\d+)-[0-9a-f]+$/;

/** A key prefix of its own for one test, so tests share the machine's Redis without meeting. */
export function testPrefix(): string {
  return `bookly-test-p${owner}-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under `prefix` (a test's leftovers). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A Redis server of the test's own, on a free port: a test may stop and
 * start it without touching the machine's. Nothing is kept on disk, so a
 * restart comes back empty, as an unpersisted Redis would.
 */
export class OwnRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Its server's pid while it runs. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: readonly string[] = []): Promise<OwnRedis> {
    const redis = await OwnRedis.reserve(extraArgs);
    await redis.start();
    return redis;
  }

  /** One on a free port, not started yet: a Redis that is down when Bookly starts. */
  static async reserve(extraArgs: readonly string[] = []): Promise<OwnRedis> {
    return new OwnRedis(await freePort(), extraArgs);
  }

  async start(): Promise<void> {
    this.process = spawnOwned(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      this.process?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.process?.once('exit', () => reject(new Error(`redis-server exited:\n${output}`)));
    });
  }

  /** Stops it at once, losing everything it held. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

/** A port nothing listens on now, for a server of the test's own. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Jobs of `lane` that BullMQ holds waiting (prioritized ones included). */
export async function waitingInRedis(queues: BullQueues | undefined, lane: string): Promise<number> {
  const queue = queues?.all().find((each) => each.name === lane);
  if (!queue) throw new Error(`No queue for lane ${lane}`);
  const counts = await queue.getJobCounts('waiting', 'prioritized');
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}
