import { type JobsOptions, Queue } from 'bullmq';
import type { RetentionConfig } from '../../config/load-config.js';
import type { RedisConnection } from '../../redis/connection.js';
import { type Lane, lanes } from '../lane.js';
import type { CommittedTask } from '../task-queue.js';

const day = 24 * 3600;

/**
 * What stays in Redis after a job ends: as long as the database keeps its
 * task (`maintenance.prune`), so that the dashboard and the task list agree.
 * Completed jobs also 100 000 at most, so that a busy day cannot fill Redis.
 */
function jobRetention(
  retention: Pick<RetentionConfig, 'completedDays' | 'failedDays'>,
): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  return {
    removeOnComplete: { age: retention.completedDays * day, count: 100_000 },
    removeOnFail: { age: retention.failedDays * day },
  };
}

const addChunk = 100;

/** One BullMQ queue per lane, named after it, under the configured prefix. */
export class BullQueues {
  private readonly queues: Map<Lane, Queue>;
  private readonly retention: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;

  constructor(redis: RedisConnection, retention: Pick<RetentionConfig, 'completedDays' | 'failedDays'>) {
    this.retention = jobRetention(retention);
    this.queues = new Map(lanes.map((lane) => [lane, new Queue(lane, { connection: redis.client, prefix: redis.prefix })]));
    // Errors surface where the queue is used; the connection's own outage log reports the cause once.
    for (const queue of this.queues.values()) queue.on('error', () => {});
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  /**
   * Removes the finished jobs past their retention, `batchSize` a call. BullMQ
   * drops a queue's old jobs only when a later job of that queue finishes, so
   * a lane that falls quiet (a bulk lane between mailings) would keep them all.
   */
  async pruneFinished(
    retention: Pick<RetentionConfig, 'completedDays' | 'failedDays' | 'batchSize'>,
    signal: AbortSignal,
  ): Promise<number> {
    const day = 24 * 3600_000;
    let removed = 0;
    for (const queue of this.queues.values()) {
      for (const [type, days] of [
        ['completed', retention.completedDays],
        ['failed', retention.failedDays],
      ] as const) {
        for (;;) {
          signal.throwIfAborted();
          const ids = await queue.clean(days * day, retention.batchSize, type);
          removed += ids.length;
          if (ids.length < retention.batchSize) break;
        }
      }
    }
    return removed;
  }

  /**
   * Hands tasks to BullMQ, the task id as the job id: a task handed over twice
   * is queued once (BullMQ ignores a job id it holds already).
   */
  async add(tasks: readonly CommittedTask[]): Promise<void> {
    for (const lane of lanes) {
      const jobs = tasks
        .filter((task) => task.lane === lane)
        .map((task) => ({
          name: task.name,
          data: task.payload,
          opts: {
            jobId: task.id,
            // One BullMQ attempt: the task table counts attempts, and a retry is the same job delayed.
            attempts: 1,
            ...(task.priority > 0 ? { priority: task.priority } : {}),
            ...(task.delayMs ? { delay: task.delayMs } : {}),
            ...this.retention,
          },
        }));
      // A hundred at a time: adding a thousand jobs at once held the event loop for some 50 ms,
      // and each step of a verification mail running beside a mailing's fan-out waited that long.
      for (let start = 0; start < jobs.length; start += addChunk) await this.queue(lane).addBulk(jobs.slice(start, start + addChunk));
    }
  }

  /**
   * Of `tasks` (unfinished in the database), those whose job no longer stands
   * for them: missing (Redis lost it, or never had it) or finished (failed on
   * an error of its own, or as stalled too often).
   */
  async adrift(tasks: readonly CommittedTask[]): Promise<{ missing: CommittedTask[]; finished: CommittedTask[] }> {
    const states = await Promise.all(tasks.map((task) => this.stateOf(task)));
    return {
      missing: tasks.filter((_, i) => states[i] === 'unknown'),
      finished: tasks.filter((_, i) => states[i] === 'failed' || states[i] === 'completed'),
    };
  }

  /** BullMQ's state of the task's job ('unknown' when it holds none). */
  stateOf(task: CommittedTask): Promise<string> {
    return this.queue(task.lane).getJobState(task.id);
  }

  /** Removes the finished jobs of `tasks`, so that adding them again queues them (BullMQ ignores a job id it holds). */
  async removeFinished(tasks: readonly CommittedTask[]): Promise<void> {
    await Promise.all(tasks.map((task) => this.queue(task.lane).remove(task.id)));
  }

  async setPaused(lane: Lane, paused: boolean): Promise<void> {
    await (paused ? this.queue(lane).pause() : this.queue(lane).resume());
  }

  /** Makes each queue paused exactly when its lane is in `paused`. */
  async syncPaused(paused: ReadonlySet<Lane>): Promise<void> {
    for (const [lane, queue] of this.queues) {
      if ((await queue.isPaused()) !== paused.has(lane)) await this.setPaused(lane, paused.has(lane));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }

  private queue(lane: Lane): Queue {
    return this.queues.get(lane) as Queue;
  }
}
