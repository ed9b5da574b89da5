import { hostname } from 'node:os';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { linkedAbort } from '../../lib/linked-abort.js';
import { OutageLog } from '../../lib/outage-log.js';
import { withTimeout } from '../../lib/with-timeout.js';
import type { Metrics } from '../../observability/metrics.js';
import type { RedisConnection } from '../../redis/connection.js';
import type { Lane } from '../define.js';
import { type ExecuteOptions, executeTask } from '../execute-task.js';
import type { TaskRegistry } from '../registry.js';
import type { RelayedTaskStore } from './relayed-task-store.js';

export interface BullWorkersOptions {
  readonly redis: RedisConnection;
  readonly store: RelayedTaskStore;
  readonly registry: TaskRegistry;
  readonly execute: ExecuteOptions;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Jobs run at once per lane in this process. */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal: a worker killed mid-job loses its jobs to others after about this long. */
  readonly lockMs: number;
}

/**
 * Runs tasks from BullMQ: one worker per lane, each attempt recorded in the
 * task table. The same `executeTask` as the in-process runner decides the
 * outcome; BullMQ waits out the retries' backoff and recovers the jobs of dead workers.
 */
export class BullWorkers {
  private readonly workers: Worker[] = [];
  /** Aborted at the shutdown deadline: running attempts give up and go back to the queue. */
  private readonly shutdown = new AbortController();

  constructor(private readonly options: BullWorkersOptions) {}

  start(): void {
    const { redis, concurrency, lockMs, log } = this.options;
    const outage = new OutageLog(log, 'Task worker');
    for (const lane of this.options.registry.lanes()) {
      const worker = new Worker(lane, (job, token, signal) => this.process(lane, job, token, signal), {
        connection: redis.workerOptions,
        prefix: redis.prefix,
        // Shown as each job's `processedBy` (in the dashboard too).
        name: `${hostname()}/${process.pid}`,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: 3,
      });
      worker.on('error', (err) => outage.failed(err));
      worker.on('ready', () => outage.recovered());
      this.workers.push(worker);
    }
  }

  /**
   * Stops taking jobs and waits for the running ones until `timeoutMs`; then
   * hands back what still runs, to be run by another worker or the next start.
   */
  async stop(timeoutMs: number): Promise<void> {
    // Without Redis a graceful close cannot finish (nothing can be completed or handed back): close
    // at once, and the locks of whatever was running run out, so that other workers take it.
    const redisDown = this.options.redis.client.status !== 'ready';
    if (redisDown) this.options.redis.stopReconnecting();
    const closing = Promise.all(this.workers.map((worker) => worker.close(redisDown)));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([closing, deadline])) === 'timeout') {
      this.options.log.warn('shutdown deadline reached; handing running tasks back to the queue');
      this.shutdown.abort(new Error('The shutdown deadline passed'));
      // Handing back needs Redis; without it, the jobs' locks run out and other workers take them.
      await withTimeout(closing, 5000).catch(() =>
        this.options.log.warn('workers did not close in time; their jobs go to others when their locks run out'),
      );
    }
    clearTimeout(timer);
  }

  private async process(lane: Lane, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const { store, execute, metrics } = this.options;
    const id = job.id as string;
    // The job's name is its task's; an unknown one still starts, and executeTask fails it.
    const timeoutMs = this.options.registry.get(job.name)?.timeoutMs ?? 60_000;
    const attempt = await store.start(id, timeoutMs);
    if (!attempt) return { skipped: 'the task is done already' };
    const started = performance.now();
    const signals = signal ? [signal, this.shutdown.signal] : [this.shutdown.signal];
    const linked = linkedAbort(signals);
    const outcome = await executeTask({ id, ...attempt }, { ...execute, signal: linked.signal }).finally(linked.release);
    if (this.shutdown.signal.aborted) {
      await store.requeue(id);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    metrics.observeTask(attempt.name, outcome.kind, (performance.now() - started) / 1000);
    await store.finish(id, outcome);
    if (outcome.kind === 'retry') {
      // The task table counts the attempts and decides when to stop; BullMQ only waits out the backoff.
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.error);
    this.options.log.debug({ task: id, lane }, 'task completed');
    return outcome.result;
  }
}
