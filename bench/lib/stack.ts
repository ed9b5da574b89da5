import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { createPostgresDatabase } from '../../test/support/databases.js';
import { deleteKeys, redisUrl, testPrefix } from '../../test/support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../../test/support/server-process.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { testEnv } from '../../test/support/test-app.js';
import { profiling, startProfiled } from './profiling.js';

const metricsToken = randomBytes(24).toString('hex');

/** The headers a scrape of a stack's `/metrics` (the API's or a worker's) needs. */
export const metricsHeaders = { authorization: `Bearer ${metricsToken}` };

/** How tasks run: inside the request (the "before"), in the API process, or in BullMQ workers. */
export type Mode = 'eager' | 'in-process' | 'bullmq';

export interface StackOptions {
  mode: Mode;
  database: 'postgres' | 'pglite';
  smtp: SmtpPeer;
  /** BullMQ workers to start with it (bullmq mode). */
  workers?: number;
  env?: Record<string, string>;
}

/** A running Bookly: the API process, its workers, its own database and Redis prefix. */
export interface Stack {
  readonly url: string;
  readonly api: ServerProcess;
  readonly workers: ServerProcess[];
  /** The environment the processes run with (to start more workers). */
  readonly env: Record<string, string>;
  /** A connection to its PostgreSQL database (none on PGlite, which the API holds). */
  readonly sql: pg.Pool | undefined;
  addWorker(extra?: Record<string, string>): Promise<ServerProcess>;
  /**
   * Stops the API and the workers as production stops them (SIGTERM) and
   * starts as many again with `extra` added to the environment; the database
   * and Redis stay (a worker's own `addWorker` extras do not). `url` is the
   * new API's afterwards.
   */
  restart(extra: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const postgres = options.database === 'postgres' ? await createPostgresDatabase() : undefined;
  const pgliteDir = postgres ? undefined : tempDir('bench');
  const prefix = testPrefix();
  // The test settings, less the short poll and retry intervals that make tests quick and the suite's smaller pools: production's own.
  const {
    TASK_POLL_MS: _poll,
    TASK_RETRY_BASE_MS: _retry,
    WORKER_CONCURRENCY: _concurrency,
    ...base
  } = testEnv({
    smtp: options.smtp,
    databaseUrl: postgres?.url ?? `pglite://${pgliteDir}/db`,
  });
  const env: Record<string, string> = {
    ...base,
    NODE_ENV: 'production',
    // Production refuses to start without it; scrapes send it (`metricsHeaders`).
    METRICS_TOKEN: metricsToken,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '0',
    ...(options.mode === 'eager' ? { TASKS_EAGER: 'true' } : {}),
    ...(options.mode === 'bullmq' ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
    ...options.env,
  };
  const label = `${options.mode}-${options.database}`;
  const startApi = () => startProfiled(`${label}-api`, (nodeArgs) => startServerProcess(env, nodeArgs));
  let api = await startApi();
  const workers: ServerProcess[] = [];
  const addWorker = async (extra: Record<string, string> = {}) => {
    const worker = await startProfiled(`${label}-worker`, (nodeArgs) => startWorkerProcess({ ...env, ...extra }, nodeArgs));
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.mode === 'bullmq' ? (options.workers ?? 1) : 0); i++) await addWorker();
  const sql = postgres ? new pg.Pool({ connectionString: postgres.url, max: 2 }) : undefined;
  // `end()` resolves before its idle connections have closed, and the drop's `with (force)` may end one
  // first: an idle connection's error would otherwise crash the bench. A query's error still reaches its caller.
  sql?.on('error', () => {});
  return {
    get url() {
      return api.url;
    },
    get api() {
      return api;
    },
    workers,
    env,
    sql,
    addWorker,
    async restart(extra) {
      await Promise.all([api, ...workers].map((process) => process.stop('SIGTERM')));
      Object.assign(env, extra);
      const count = workers.length;
      workers.length = 0;
      api = await startApi();
      for (let i = 0; i < count; i++) await addWorker();
    },
    async stop() {
      // A profiled process writes its profile as it exits, which a SIGKILL never lets it do.
      await Promise.all([api, ...workers].map((process) => process.stop(profiling() ? 'SIGTERM' : 'SIGKILL')));
      await sql?.end();
      await postgres?.drop();
      for (const dir of [pgliteDir, env.DATA_DIR]) if (dir) rmSync(dir, { recursive: true, force: true });
      if (options.mode === 'bullmq') await deleteKeys(redisUrl, prefix);
    },
  };
}
