import type { Logger } from 'pino';
import { every } from '../../lib/every.js';
import { OutageLog } from '../../lib/outage-log.js';
import type { RedisConnection } from '../../redis/connection.js';
import type { LanePauses } from '../lane-pauses.js';
import type { CommittedTask, TaskDispatcher } from '../task-queue.js';
import type { TaskStore } from '../task-store.js';
import type { BullQueues } from './queues.js';

/** How long, and how often, a retry looks at the job of the attempt it followed (a cancel is noticed within 2 s). */
const followUpMs = 10_000;
const followUpEveryMs = 100;

export interface RelayOptions {
  readonly redis: RedisConnection;
  readonly queues: BullQueues;
  readonly store: TaskStore;
  readonly pauses: LanePauses;
  readonly log: Logger;
  /** How often to look for tasks committed while Redis could not take them. */
  readonly sweepMs: number;
  /** How often to check that Redis still holds what was handed to it (a Redis that restarted empty does not). */
  readonly reconcileMs: number;
}

/**
 * Hands committed tasks to BullMQ. A task is in the database first, so a
 * request never fails because of Redis: when Redis cannot take a task, it
 * waits in the table and the sweep hands it over once Redis is back.
 */
export class Relay implements TaskDispatcher {
  private readonly outage: OutageLog;
  private readonly inFlight = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: RelayOptions) {
    this.outage = new OutageLog(options.log, 'Task relay');
  }

  /** Right after the commit, without making the request wait for Redis. */
  async dispatch(committed: readonly CommittedTask[]): Promise<void> {
    const handOver = this.handOver(committed);
    this.inFlight.add(handOver);
    void handOver.finally(() => this.inFlight.delete(handOver));
  }

  start(): void {
    this.timers.push(
      every(this.options.sweepMs, () => this.sweep()),
      every(this.options.reconcileMs, () => this.reconcile(this.options.reconcileMs)),
    );
    // Redis (back) at last: hand over what waited, and check it kept what it had; it may have restarted empty.
    this.options.redis.client.on('ready', this.onReady);
    if (this.options.redis.client.status === 'ready') this.onReady();
  }

  private readonly onReady = () => {
    void this.sweep().then(() => this.reconcile(0));
  };

  async stop(): Promise<void> {
    this.options.redis.client.off('ready', this.onReady);
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.allSettled([...this.inFlight, this.sweeping]);
  }

  /**
   * BullMQ waits, without a bound, for a connection that has never been ready. A hand-over begun
   * then would hold its database transaction, and the shutdown that waits for it, until Redis
   * came up; so nothing is handed over before then, and the 'ready' event sweeps what waited.
   */
  private get redisReady(): boolean {
    return this.options.redis.client.status === 'ready';
  }

  /** Hands over every task that is waiting in the database, a batch at a time. */
  sweep(): Promise<void> {
    if (!this.redisReady) return Promise.resolve();
    this.sweeping ??= this.sweepBatches().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepBatches(): Promise<void> {
    try {
      let handed: number;
      do {
        handed = await this.options.store.relayWaiting(500, (waiting) => this.options.queues.add(waiting));
        if (handed > 0) this.options.log.info({ tasks: handed }, 'handed waiting tasks to BullMQ');
        this.outage.recovered();
      } while (handed === 500 && this.redisReady);
    } catch (err) {
      this.outage.failed(err);
    }
  }

  /**
   * Hands over again the unfinished tasks, handed over more than `olderThanMs`
   * ago, whose job no longer stands for them: Redis lost it, or BullMQ
   * finished it while the task table says it is not done (a job failed by
   * an error outside the task, or as stalled too often).
   */
  async reconcile(olderThanMs: number): Promise<void> {
    const { store, queues, pauses, log } = this.options;
    if (!this.redisReady) return;
    try {
      // A Redis that restarted empty forgot which queues were paused; the database did not.
      await queues.syncPaused(await pauses.paused());
      const { missing, finished } = await queues.adrift(await store.unfinishedRelayed(olderThanMs, 1000));
      if (missing.length > 0) {
        log.warn(
          { tasks: missing.length },
          'Redis lost tasks it had been given (did it restart without persistence?); handing them over again',
        );
      }
      if (finished.length > 0) {
        log.warn({ tasks: finished.length }, 'BullMQ finished jobs whose tasks are not done; handing them over again');
        await queues.removeFinished(finished);
      }
      await queues.add([...missing, ...finished]);
    } catch (err) {
      this.outage.failed(err);
    }
  }

  /**
   * Hands over a task an operator retried: its job from before (failed, or
   * completed as skipped when it was cancelled) is dropped first, since BullMQ
   * ignores a job id it holds. What fails here the reconciler repairs.
   */
  async requeue(task: CommittedTask): Promise<void> {
    try {
      await this.options.queues.removeFinished([task]);
    } catch (err) {
      this.options.log.warn({ err, task: task.id }, "could not drop the retried task's old job; the reconciler will");
    }
    await this.handOver([task]);
    const following = this.afterCancelledJob(task);
    this.inFlight.add(following);
    void following.finally(() => this.inFlight.delete(following));
  }

  /**
   * A job still active is the cancelled attempt's, winding down: it runs the
   * retry itself when it finds the task pending, but if it looked just before
   * the retry committed, it ends as skipped and kept the id that the hand-over
   * above could not replace. So until it has ended, look again; then, if the
   * task still waits, replace the finished job.
   */
  private async afterCancelledJob(task: CommittedTask): Promise<void> {
    const { queues, store, log } = this.options;
    try {
      for (let waited = 0; waited < followUpMs; waited += followUpEveryMs) {
        const state = await queues.stateOf(task);
        if (state === 'completed' || state === 'failed') {
          if ((await store.find(task.id))?.state !== 'pending') return;
          await queues.removeFinished([task]);
          await queues.add([task]);
          return;
        }
        if (state !== 'active') return;
        await new Promise((resolve) => setTimeout(resolve, followUpEveryMs));
      }
    } catch (err) {
      log.warn({ err, task: task.id }, "could not check the retried task's old job; the reconciler will");
    }
  }

  private async handOver(committed: readonly CommittedTask[]): Promise<void> {
    if (!this.redisReady) return; // the sweep hands them over once Redis is ready
    try {
      await this.options.queues.add(committed);
      this.outage.recovered();
    } catch (err) {
      // The sweep hands them over once Redis answers again.
      this.outage.failed(err);
      return;
    }
    try {
      await this.options.store.markRelayed(committed.map((task) => task.id));
    } catch (err) {
      // Unmarked, the sweep hands them over again; BullMQ ignores the job ids it holds.
      this.options.log.warn({ err }, 'could not mark tasks as relayed');
    }
  }
}
