import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/client.js';
import { withTimeout } from '../lib/with-timeout.js';
import type { Metrics, QueueSnapshot } from '../observability/metrics.js';
import { connectRedis, type RedisConnection, warnIfEvicting } from '../redis/connection.js';
import { Attempts } from './attempts.js';
import { BullQueues } from './bullmq/queues.js';
import { Relay } from './bullmq/relay.js';
import { BullWorkers } from './bullmq/workers.js';
import type { TaskServices } from './context.js';
import { LocalRunner } from './local-runner.js';
import type { TaskRegistry } from './registry.js';
import type { TaskDispatcher } from './task-queue.js';
import { TaskStore } from './task-store.js';

/** `api`: the server process; `worker`: a process that only runs tasks (`npm run worker`). */
export type ProcessRole = 'api' | 'worker';

/**
 * How this process runs tasks, chosen once from the configuration: in the
 * process from the task table, or through BullMQ on Redis. Everything that
 * differs between the two modes is behind this.
 */
export interface TaskBackend {
  readonly mode: 'in-process' | 'bullmq';
  /** Told about each commit's tasks, once committed. */
  readonly dispatcher: TaskDispatcher;
  /** The task table: the truth in both modes. */
  readonly store: TaskStore;
  /** Redis mode: the connection and the queues (for the dashboard, the mail rate limit, `/ready`). */
  readonly redis: { readonly connection: RedisConnection; readonly queues: BullQueues } | undefined;
  /** Starts what runs tasks in a process of `role`, with `services` as the tasks' context. */
  start(services: TaskServices, role: ProcessRole): Promise<void>;
  /** Stops taking tasks, lets running ones finish within `timeoutMs`, hands back the rest; resolves once none runs. */
  stop(timeoutMs: number): Promise<void>;
  /** Queue depths for `/metrics`. */
  snapshot(): Promise<QueueSnapshot>;
  /** Closes the Redis connection and queues, if any. */
  close(): Promise<void>;
}

export interface TaskBackendParts {
  readonly database: Database;
  readonly registry: TaskRegistry;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export function createTaskBackend(config: Config, parts: TaskBackendParts): TaskBackend {
  const { tasks } = config;
  const store = new TaskStore(parts.database.db, tasks.leaseMs);
  const attempts = new Attempts({ store, ...parts, leaseMs: tasks.leaseMs, retryBaseMs: tasks.retryBaseMs });
  // Eager mode runs each task in its request, which only the in-process runner does.
  if (!config.redis || tasks.eager) return inProcess(config, store, attempts, parts);
  return throughBullmq(config, store, attempts, parts, connectRedis(config.redis, parts.log));
}

function inProcess(config: Config, store: TaskStore, attempts: Attempts, parts: TaskBackendParts): TaskBackend {
  const runner = new LocalRunner({
    store,
    attempts,
    registry: parts.registry,
    log: parts.log,
    concurrency: config.tasks.concurrency,
    pollMs: config.tasks.pollMs,
    eager: config.tasks.eager,
    exclusive: parts.database.exclusive,
  });
  return {
    mode: 'in-process',
    dispatcher: runner,
    store,
    redis: undefined,
    async start(services, role) {
      if (role === 'worker') throw new Error('npm run worker needs REDIS_URL; without it, tasks run inside npm start');
      attempts.start(services);
      await runner.start();
    },
    async stop(timeoutMs) {
      await runner.stop();
      await attempts.stop(timeoutMs);
    },
    snapshot: () => store.snapshot(),
    close: async () => {},
  };
}

function throughBullmq(
  config: Config,
  store: TaskStore,
  attempts: Attempts,
  parts: TaskBackendParts,
  connection: RedisConnection,
): TaskBackend {
  const { log, database, registry } = parts;
  const queues = new BullQueues(connection);
  const relay = new Relay({ redis: connection, queues, store, log, sweepMs: config.tasks.pollMs, reconcileMs: 30_000 });
  let workers: BullWorkers | undefined;
  return {
    mode: 'bullmq',
    dispatcher: relay,
    store,
    redis: { connection, queues },
    async start(services, role) {
      void warnIfEvicting(connection.client, log);
      relay.start();
      // An embedded database can be open in this process only: no worker could run the tasks.
      if (role === 'api' && database.exclusive && !config.tasks.apiRunsTasks) {
        log.warn('REDIS_URL with an embedded database: this process runs the tasks itself, as no worker can open the database');
      }
      if (role === 'worker' || config.tasks.apiRunsTasks || database.exclusive) {
        attempts.start(services);
        workers = new BullWorkers({
          redis: connection,
          store,
          attempts,
          registry,
          log,
          concurrency: config.tasks.concurrency,
          lockMs: config.tasks.leaseMs,
        });
        workers.start();
      }
    },
    async stop(timeoutMs) {
      await workers?.stop(timeoutMs);
      await relay.stop();
    },
    async snapshot() {
      const waitingForRedis = await store.countWaitingForRedis();
      try {
        const [queued, counts] = await Promise.all([queues.snapshot(), queues.workerCounts()]);
        return { ...queued, waitingForRedis, workers: counts };
      } catch {
        // Redis is down: what waits in the database is exactly what matters then.
        return { depths: [], oldestWaitingSeconds: 0, waitingForRedis, workers: [] };
      }
    },
    async close() {
      // Closing a queue waits on Redis; a Redis that is down must not hold the shutdown.
      await withTimeout(queues.close(), 2000).catch(() => {});
      await connection.close();
    },
  };
}
