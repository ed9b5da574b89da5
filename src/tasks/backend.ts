import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/client.js';
import type { Metrics, QueueSnapshot } from '../observability/metrics.js';
import type { RedisConnection } from '../redis/connection.js';
import { Attempts } from './attempts.js';
import type { BullQueues } from './bullmq/queues.js';
import type { TaskServices } from './context.js';
import type { Lane } from './lane.js';
import { LanePauses } from './lane-pauses.js';
import { LocalRunner } from './local-runner.js';
import type { TaskRegistry } from './registry.js';
import { Scheduler } from './scheduler.js';
import { scheduleDefinitions } from './schedules.js';
import type { CommittedTask, TaskDispatcher } from './task-queue.js';
import { TaskReads } from './task-reads.js';
import { TaskStore } from './task-store.js';
import { WorkerRegistry } from './worker-registry.js';

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
  /** Lists and counts of the task table, for the API and the console. */
  readonly reads: TaskReads;
  /** The processes that run tasks, by their heartbeats. */
  readonly workers: WorkerRegistry;
  /** The periodic tasks; it ticks in every process that runs tasks. */
  readonly scheduler: Scheduler;
  /** Pauses or resumes a lane in every process (the Redis mode pauses its queue too). */
  setPaused(lane: Lane, paused: boolean): Promise<void>;
  /** Which lanes are paused. */
  paused(): Promise<Set<Lane>>;
  /** Hands a task that an operator retried to whatever runs tasks (the Redis mode drops its finished job first). */
  requeue(task: CommittedTask): Promise<void>;
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

export async function createTaskBackend(config: Config, parts: TaskBackendParts): Promise<TaskBackend> {
  const { tasks } = config;
  const { db } = parts.database;
  const store = new TaskStore(db, tasks.leaseMs);
  const workers = new WorkerRegistry(db);
  const attempts = new Attempts({ store, workers, ...parts, leaseMs: tasks.leaseMs, retryBaseMs: tasks.retryBaseMs });
  const common: Common = {
    store,
    attempts,
    workers,
    pauses: new LanePauses(db),
    scheduler: new Scheduler(db, scheduleDefinitions(tasks), parts.log),
    reads: new TaskReads(db),
  };
  // Eager mode runs each task in its request, which only the in-process runner does.
  if (!config.redis || tasks.eager) return inProcess(config, common, parts);
  // Loaded only in the Redis mode: BullMQ and ioredis are most of a second of an API's start-up.
  const [{ throughBullmq }, { connectRedis }] = await Promise.all([import('./bullmq/backend.js'), import('../redis/connection.js')]);
  return throughBullmq(config, common, parts, connectRedis(config.redis, parts.log));
}

/** What both modes share: the task table's parts, and what runs attempts in this process. */
export interface Common {
  readonly store: TaskStore;
  readonly attempts: Attempts;
  readonly workers: WorkerRegistry;
  readonly pauses: LanePauses;
  readonly scheduler: Scheduler;
  readonly reads: TaskReads;
}

/** `/metrics`' reading of the task table and the worker registry: the same in both modes. */
export async function snapshotOf(common: Common, registry: TaskRegistry): Promise<QueueSnapshot> {
  const [depths, oldest, online, paused] = await Promise.all([
    common.reads.depths(),
    common.reads.oldestWaiting(),
    common.workers.onlineByLane(),
    common.pauses.paused(),
  ]);
  const lanes = registry.lanes().map((lane) => ({
    lane,
    oldestWaitingSeconds: oldest.get(lane) ?? 0,
    workers: online.find((row) => row.lane === lane)?.count ?? 0,
    paused: paused.has(lane),
  }));
  return { depths, lanes };
}

/** Starts the attempts (registering this process) and the scheduler: what every process that runs tasks does. */
export async function startRunningTasks(config: Config, common: Common, services: TaskServices, registry: TaskRegistry): Promise<void> {
  await common.attempts.start(services, { lanes: registry.lanes(), concurrency: config.tasks.concurrency });
  common.scheduler.start(services.tasks);
}

function inProcess(config: Config, common: Common, parts: TaskBackendParts): TaskBackend {
  const { store, attempts, workers, pauses, scheduler } = common;
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
    reads: common.reads,
    workers,
    scheduler,
    redis: undefined,
    setPaused: (lane, paused) => (paused ? pauses.pause(lane) : pauses.resume(lane)),
    paused: () => pauses.paused(),
    requeue: (task) => runner.dispatch([task]),
    async start(services, role) {
      if (role === 'worker') throw new Error('npm run worker needs REDIS_URL; without it, tasks run inside npm start');
      await startRunningTasks(config, common, services, parts.registry);
      await runner.start();
    },
    async stop(timeoutMs) {
      await scheduler.stop();
      await runner.stop();
      await attempts.stop(timeoutMs);
    },
    snapshot: () => snapshotOf(common, parts.registry),
    close: async () => {},
  };
}
