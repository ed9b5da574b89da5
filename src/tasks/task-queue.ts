import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Executor } from '../db/client.js';
import { tasks } from '../db/schema/index.js';
import { afterCommit } from '../db/transaction.js';
import type { Lane } from './lane.js';
import type { TaskName, TaskPayload, TaskRegistry } from './registry.js';

/** A task that has just been committed, as a dispatcher sees it. */
export interface CommittedTask {
  readonly id: string;
  readonly name: string;
  readonly lane: Lane;
  readonly priority: number;
  readonly payload: unknown;
  readonly maxAttempts: number;
  /** How long it still waits before it may run (a retry's backoff); 0 or absent: at once. */
  readonly delayMs?: number;
}

/**
 * What runs tasks once they are committed: the in-process runner wakes up,
 * the BullMQ relay hands them to Redis, the eager runner runs them at once.
 */
export interface TaskDispatcher {
  dispatch(committed: readonly CommittedTask[]): Promise<void>;
}

/**
 * Records tasks in the caller's transaction. A task exists only if that
 * transaction commits, and it is dispatched only after it has.
 */
export class TaskQueue {
  constructor(
    private readonly registry: TaskRegistry,
    private readonly dispatcher: TaskDispatcher,
    private readonly log: Logger,
  ) {}

  /**
   * Records one task and returns its id. With a `key`, while a task with that
   * key is pending, delayed or active, that task's id is returned instead and
   * nothing is added.
   */
  async enqueue<N extends TaskName>(executor: Executor, name: N, payload: TaskPayload<N>, options: { key?: string } = {}): Promise<string> {
    if (options.key !== undefined) return this.enqueueKeyed(executor, name, payload, options.key);
    const [id] = await this.insert(executor, name, [payload]);
    return id as string;
  }

  /** Records many tasks of one kind in a single statement. */
  async enqueueMany<N extends TaskName>(executor: Executor, name: N, payloads: readonly TaskPayload<N>[]): Promise<string[]> {
    return this.insert(executor, name, payloads);
  }

  /** `enqueue` with a key, for a task named at run time (a schedule's); the payload is checked against its definition. */
  async enqueueKeyed(executor: Executor, name: string, payload: unknown, key: string): Promise<string> {
    // Twice at most: a live task with the key that finishes between the insert and the look-up leaves room for ours.
    for (let tries = 0; ; tries++) {
      const [id] = await this.insert(executor, name, [payload], key);
      if (id) return id;
      const [live] = await executor
        .select({ id: tasks.id })
        .from(tasks)
        .where(and(eq(tasks.key, key), inArray(tasks.state, ['pending', 'delayed', 'active'])));
      if (live) return live.id;
      if (tries > 0) throw new Error(`Could not enqueue the task with key ${key}`);
    }
  }

  /** Inserts the tasks and dispatches them after the commit; with `key`, one task, skipped if one with the key is live. */
  private async insert(executor: Executor, name: string, payloads: readonly unknown[], key?: string): Promise<string[]> {
    if (payloads.length === 0) return [];
    const definition = this.registry.require(name);
    for (const payload of payloads) {
      if (!definition.isPayload(payload)) {
        throw new Error(`Payload for task ${name} does not match its schema: ${JSON.stringify(payload)}`);
      }
    }
    const committed: CommittedTask[] = payloads.map((payload) => ({
      id: randomUUID(),
      name,
      lane: definition.lane,
      priority: definition.priority,
      payload,
      maxAttempts: definition.attempts,
    }));
    // One JSON parameter rather than five per row: building a thousand-row insert in the
    // query builder cost more CPU than the database spent running it (a mailing's fan-out).
    const rows = JSON.stringify(committed.map(({ id, payload }) => ({ id, payload })));
    const inserted = await executor.execute(sql`
      insert into ${tasks} (id, name, lane, priority, payload, max_attempts, key)
      select (row->>'id')::uuid, ${name}, ${definition.lane}, ${definition.priority}, row->'payload', ${definition.attempts}, ${key ?? null}::text
      from jsonb_array_elements(${rows}::jsonb) as row
      ${key === undefined ? sql`` : sql`on conflict (key) where key is not null and state in ('pending', 'delayed', 'active') do nothing`}
      returning id`);
    const ids = new Set(rowsOf<{ id: string }>(inserted).map((row) => row.id));
    const added = committed.filter((task) => ids.has(task.id));
    // The tasks are committed by then: a dispatcher that fails leaves them to the runner's poll or the
    // relay's sweep, and must not turn the committed request into a failed one.
    if (added.length > 0) {
      await afterCommit(executor, () =>
        this.dispatcher.dispatch(added).catch((err: unknown) => this.log.warn({ err }, 'could not dispatch committed tasks')),
      );
    }
    return added.map(({ id }) => id);
  }
}

/** A raw statement's rows: PGlite's driver answers with `rows` as pg's does, drizzle passes either through. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
