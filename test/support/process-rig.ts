import { createPostgresDatabase } from './databases.js';
import { deleteKeys, redisUrl, testPrefix } from './redis.js';
import type { ServerProcess } from './server-process.js';
import type { SmtpPeer } from './smtp-peer.js';
import { testEnv } from './test-app.js';

export type Mode = 'in-process' | 'bullmq';
export const modes: readonly Mode[] = ['in-process', 'bullmq'];

/** A database and a Redis prefix of one test's own, and the environment its processes get in each mode. */
export interface ProcessSetting {
  readonly databaseUrl: string;
  /** Tasks run in the API processes. */
  readonly inProcess: Record<string, string>;
  /** Tasks go through BullMQ, under the test's own Redis prefix. */
  readonly bullmq: Record<string, string>;
}

/**
 * What a test with real processes starts, taken down after it whatever the
 * test did: the processes killed, the database dropped, the Redis keys deleted.
 */
export class ProcessRig {
  /** Every process started since the last tear-down; one array throughout, so `withOutputOnFailure` sees the late ones. */
  readonly processes: ServerProcess[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];

  constructor(private readonly smtp: SmtpPeer) {}

  async setting(extra: Record<string, string> = {}): Promise<ProcessSetting> {
    const database = await createPostgresDatabase();
    const prefix = testPrefix();
    this.cleanups.push(database.drop, () => deleteKeys(redisUrl, prefix));
    const base = { ...testEnv({ smtp: this.smtp, databaseUrl: database.url }), ...extra };
    return { databaseUrl: database.url, inProcess: base, bullmq: { ...base, REDIS_URL: redisUrl, REDIS_PREFIX: prefix } };
  }

  async started(process: Promise<ServerProcess>): Promise<ServerProcess> {
    const running = await process;
    this.processes.push(running);
    return running;
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((process) => process.stop('SIGKILL')));
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
  }
}
