import type { Deps } from '../deps.js';
import { warnIfEvicting } from '../redis/connection.js';
import { Relay } from './bullmq/relay.js';
import { BullWorkers } from './bullmq/workers.js';
import { LocalRunner } from './local-runner.js';

export interface RunningTasks {
  /** Stops taking tasks, lets running ones finish within `timeoutMs`, hands back the rest. */
  stop(timeoutMs: number): Promise<void>;
}

/** `api`: the server process; `worker`: a process that only runs tasks (`npm run worker`). */
export type ProcessRole = 'api' | 'worker';

/**
 * Starts what runs tasks in this process and connects the task queue to it:
 * the in-process runner without Redis (or in eager mode); with Redis, the
 * relay to BullMQ, and BullMQ workers in a worker process (or in the API when
 * `API_RUNS_TASKS` says so).
 */
export async function startTaskRunner(deps: Deps, role: ProcessRole = 'api'): Promise<RunningTasks> {
  const { config, log, redis } = deps;
  const execute = { registry: deps.registry, deps, log, retryBaseMs: config.tasks.retryBaseMs };
  if (!redis || config.tasks.eager) {
    if (role === 'worker') throw new Error('npm run worker needs REDIS_URL; without it, tasks run inside npm start');
    const runner = new LocalRunner({
      store: deps.taskStore,
      registry: deps.registry,
      execute,
      metrics: deps.metrics,
      log,
      concurrency: config.tasks.concurrency,
      pollMs: config.tasks.pollMs,
      leaseMs: config.tasks.leaseMs,
      eager: config.tasks.eager,
      exclusive: deps.database.exclusive,
    });
    deps.tasks.attach(runner);
    await runner.start();
    return runner;
  }

  void warnIfEvicting(redis.connection.client, log);
  const relay = new Relay({
    redis: redis.connection,
    queues: redis.queues,
    store: redis.store,
    log,
    sweepMs: config.tasks.pollMs,
    reconcileMs: 30_000,
  });
  deps.tasks.attach(relay);
  relay.start();
  // An embedded database can be open in this process only: no worker could run the tasks.
  if (role === 'api' && deps.database.exclusive && !config.tasks.apiRunsTasks) {
    log.warn('REDIS_URL with an embedded database: this process runs the tasks itself, as no worker can open the database');
  }
  const workers =
    role === 'worker' || config.tasks.apiRunsTasks || deps.database.exclusive
      ? new BullWorkers({
          redis: redis.connection,
          store: redis.store,
          registry: deps.registry,
          execute,
          metrics: deps.metrics,
          log,
          concurrency: config.tasks.concurrency,
          lockMs: config.tasks.leaseMs,
        })
      : undefined;
  workers?.start();
  return {
    async stop(timeoutMs) {
      await workers?.stop(timeoutMs);
      await relay.stop();
    },
  };
}
