import { hostname } from 'node:os';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { OutageLog } from '../../lib/outage-log.js';
import { withTimeout } from '../../lib/with-timeout.js';
import type { RedisConnection } from '../../redis/connection.js';
import type { Attempts } from '../attempts.js';
import type { TaskRegistry } from '../registry.js';
import type { TaskStore } from '../task-store.js';

/**
 * How often a job whose task is gone or finished may stall before BullMQ
 * fails it. High: the task table counts attempts and decides when to stop, a
 * stall is only a worker that died, and the reconciler repairs a job failed
 * this way all the same.
 */
const maxStalledCount = 100;

/** How often a job of a paused lane, fetched before the pause reached its queue, looks again. */
const pausedRecheckMs = 2000;

export interface BullWorkersOptions {
  readonly redis: RedisConnection;
  readonly store: TaskStore;
  readonly attempts: Attempts;
  readonly registry: TaskRegistry;
  readonly log: Logger;
  /** Jobs run at once per lane in this process. */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal: a worker killed mid-job loses its jobs to others after about this long. */
  readonly lockMs: number;
}

/**
 * Runs tasks from BullMQ: one worker per lane. It gets work from its queue
 * and claims the job's task in the task table, the same claim and the same
 * attempt loop as the in-process runner; it waits out a retry's backoff by
 * delaying the job. BullMQ hands the jobs of a dead worker to another.
 */
export class BullWorkers {
  private readonly workers: Worker[] = [];

  constructor(private readonly options: BullWorkersOptions) {}

  start(): void {
    const { redis, concurrency, lockMs, log } = this.options;
    const outage = new OutageLog(log, 'Task worker');
    for (const lane of this.options.registry.lanes()) {
      const worker = new Worker(lane, (job, token, signal) => this.process(job, token, signal), {
        connection: redis.workerOptions,
        prefix: redis.prefix,
        // Shown as each job's `processedBy` (in the dashboard too).
        name: `${hostname()}/${process.pid}`,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount,
      });
      worker.on('error', (err) => outage.failed(err));
      worker.on('ready', () => outage.recovered());
      this.workers.push(worker);
    }
  }

  /**
   * Stops taking jobs and lets the attempts under way end within `timeoutMs`
   * (`Attempts.stop` cuts them short at the deadline, and their jobs go back
   * to the queue); then closes the workers.
   */
  async stop(timeoutMs: number): Promise<void> {
    // Without Redis a graceful close cannot finish (nothing can be completed or handed back): close
    // at once, and the locks of whatever was running run out, so that other workers take it.
    const redisDown = this.options.redis.client.status !== 'ready';
    if (redisDown) this.options.redis.stopReconnecting();
    const closing = Promise.all(this.workers.map((worker) => worker.close(redisDown)));
    await this.options.attempts.stop(timeoutMs);
    await withTimeout(closing, 5000).catch(() =>
      this.options.log.warn('workers did not close in time; their jobs go to others when their locks run out'),
    );
  }

  private async process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const { store, attempts } = this.options;
    const id = job.id as string;
    // A database that is down holds the job here, its lock renewed by BullMQ, until it answers.
    const claim = await attempts.untilAnswered(() => store.claimById(id, attempts.owner));
    if (claim === undefined) return handBack(job, token);
    if (!('owner' in claim)) {
      if (claim.kind === 'gone' || claim.kind === 'finished') return { skipped: `the task is ${claim.kind}` };
      // A paused lane's queue is paused too; a job fetched just before the pause waits here, looking again now and then.
      const waitMs = claim.kind === 'paused' ? pausedRecheckMs : claim.waitMs;
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    const ended = await attempts.run(claim, signal);
    switch (ended.kind) {
      case 'completed':
        return ended.result;
      case 'retry':
        await job.moveToDelayed(Date.now() + ended.delayMs, token);
        throw new DelayedError();
      case 'failed':
        throw new UnrecoverableError(ended.error);
      case 'released':
      case 'unrecorded':
        return handBack(job, token);
      case 'cancelled':
      case 'superseded': {
        // An operator who retries a task just after cancelling it finds this job still active: the retry's
        // hand-over could neither drop nor add it (one job per task). The job is ours: run the retry in it.
        const row = await attempts.untilAnswered(() => store.find(id));
        if (row?.state === 'pending') return this.process(job, token, signal);
        // Otherwise cancelled for good, or another attempt has the task, and with it this job: nothing of ours is left to write.
        return { skipped: ended.kind === 'cancelled' ? 'cancelled by an operator' : 'another attempt has the task' };
      }
    }
  }
}

/** Back to the queue, uncounted, for another worker or the next start. */
async function handBack(job: Job, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
