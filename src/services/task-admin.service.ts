import { isUniqueViolation } from '../db/errors.js';
import type { TaskRow } from '../db/schema/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { MailLedger } from '../mail/ledger.js';
import type { TaskBackend } from '../tasks/backend.js';
import type { Lane } from '../tasks/lane.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { LaneStats, TaskFilter } from '../tasks/task-reads.js';
import { committed } from '../tasks/task-store.js';

export interface QueueView extends LaneStats {
  readonly paused: boolean;
}

const taskNotFound = () => new NotFoundError('task_not_found', 'No task has this id');

/**
 * What an operator does with the task engine, from the API or the console:
 * the same in both modes, since both read and write the task table and
 * leave to the backend what differs (a queue to pause, a job to drop).
 */
export class TaskAdminService {
  constructor(
    private readonly backend: TaskBackend,
    private readonly registry: TaskRegistry,
    /** A mail task's message is marked when its task is cancelled, so the ledger does not say it is still to go. */
    private readonly ledger: Pick<MailLedger, 'cancelled'>,
  ) {}

  list(filter: TaskFilter, page: { limit: number; offset: number }) {
    return this.backend.reads.list(filter, page.limit, page.offset);
  }

  async get(id: string): Promise<TaskRow> {
    const row = await this.backend.store.find(id);
    if (!row) throw taskNotFound();
    return row;
  }

  /** A waiting task never runs; a running one is aborted where it runs (its process looks every second). */
  async cancel(id: string): Promise<TaskRow> {
    const row = await this.backend.store.cancel(id);
    if (row) {
      await this.ledger.cancelled(id);
      return row;
    }
    const existing = await this.get(id);
    throw new ConflictError(
      'task_not_cancellable',
      `The task is ${existing.state}: only a pending, delayed or active task can be cancelled`,
    );
  }

  /** A failed or cancelled task runs again, its attempts counted afresh. */
  async retry(id: string): Promise<TaskRow> {
    let row: TaskRow | undefined;
    try {
      row = await this.backend.store.retry(id);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new ConflictError(
        'task_not_retryable',
        'Another task with the same key is waiting or running',
        'Let that task finish, or cancel it, and retry this one then',
      );
    }
    if (!row) {
      const existing = await this.get(id);
      throw new ConflictError('task_not_retryable', `The task is ${existing.state}: only a failed or cancelled task can be retried`);
    }
    await this.backend.requeue(committed(row));
    return row;
  }

  async queues(): Promise<QueueView[]> {
    const [stats, paused] = await Promise.all([this.backend.reads.laneStats(this.registry.lanes()), this.backend.paused()]);
    return stats.map((lane) => ({ ...lane, paused: paused.has(lane.lane) }));
  }

  async setPaused(lane: string, paused: boolean): Promise<{ lane: Lane; paused: boolean }> {
    const known = this.registry.lanes().find((each) => each === lane);
    if (!known) throw new NotFoundError('not_found', `No lane is named ${lane}`);
    await this.backend.setPaused(known, paused);
    return { lane: known, paused };
  }

  workers() {
    return this.backend.workers.list();
  }

  schedules() {
    return this.backend.scheduler.list();
  }
}
