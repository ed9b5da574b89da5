import type { Config } from '../../config/load-config.js';
import { withTimeout } from '../../lib/with-timeout.js';
import { type RedisConnection, warnIfEvicting } from '../../redis/connection.js';
import { type Common, snapshotOf, startRunningTasks, type TaskBackend, type TaskBackendParts } from '../backend.js';
import { BullQueues } from './queues.js';
import { Relay } from './relay.js';
import { BullWorkers } from './workers.js';

/** The Redis mode's backend: tasks go through BullMQ queues to the workers. Imported only in that mode. */
export function throughBullmq(config: Config, common: Common, parts: TaskBackendParts, connection: RedisConnection): TaskBackend {
  const { store, attempts, workers, pauses, scheduler } = common;
  const { log, database, registry } = parts;
  const queues = new BullQueues(connection, config.tasks.retention);
  const relay = new Relay({ redis: connection, queues, store, pauses, log, sweepMs: config.tasks.pollMs, reconcileMs: 30_000 });
  let bullWorkers: BullWorkers | undefined;
  return {
    mode: 'bullmq',
    dispatcher: relay,
    store,
    reads: common.reads,
    workers,
    scheduler,
    redis: { connection, queues },
    async setPaused(lane, paused) {
      // The database first: it is what every claim checks, and what the relay restores on a Redis that forgot.
      await (paused ? pauses.pause(lane) : pauses.resume(lane));
      await queues.setPaused(lane, paused).catch((err: unknown) => log.warn({ err }, 'could not pause the lane in Redis; the relay will'));
    },
    paused: () => pauses.paused(),
    requeue: (task) => relay.requeue(task),
    async start(services, role) {
      void warnIfEvicting(connection.client, log);
      relay.start();
      // An embedded database can be open in this process only: no worker could run the tasks.
      if (role === 'api' && database.exclusive && !config.tasks.apiRunsTasks) {
        log.warn('REDIS_URL with an embedded database: this process runs the tasks itself, as no worker can open the database');
      }
      if (role === 'worker' || config.tasks.apiRunsTasks || database.exclusive) {
        const pruneBrokerJobs = (signal: AbortSignal) => queues.pruneFinished(config.tasks.retention, signal);
        await startRunningTasks(config, common, { ...services, pruneBrokerJobs }, registry);
        bullWorkers = new BullWorkers({
          redis: connection,
          store,
          attempts,
          registry,
          log,
          concurrency: config.tasks.concurrency,
          lockMs: config.tasks.leaseMs,
        });
        bullWorkers.start();
      }
    },
    async stop(timeoutMs) {
      await scheduler.stop();
      await bullWorkers?.stop(timeoutMs);
      await relay.stop();
    },
    async snapshot() {
      return { ...(await snapshotOf(common, registry)), waitingForRedis: await store.countWaitingForRedis() };
    },
    async close() {
      // Closing a queue waits on Redis; a Redis that is down must not hold the shutdown.
      await withTimeout(queues.close(), 2000).catch(() => {});
      await connection.close();
    },
  };
}
