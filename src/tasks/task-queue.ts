import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
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

  /** Records one task and returns its id. */
  async enqueue<N extends TaskName>(executor: Executor, name: N, payload: TaskPayload<N>): Promise<string> {
    const [id] = await this.enqueueMany(executor, name, [payload]);
    return id as string;
  }

  /** Records many tasks of one kind in a single statement. */
  async enqueueMany<N extends TaskName>(executor: Executor, name: N, payloads: readonly TaskPayload<N>[]): Promise<string[]> {
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
    await executor.execute(sql`
      insert into ${tasks} (id, name, lane, priority, payload, max_attempts)
      select (row->>'id')::uuid, ${name}, ${definition.lane}, ${definition.priority}, row->'payload', ${definition.attempts}
      from jsonb_array_elements(${rows}::jsonb) as row`);
    // The tasks are committed by then: a dispatcher that fails leaves them to the runner's poll or the
    // relay's sweep, and must not turn the committed request into a failed one.
    await afterCommit(executor, () =>
      this.dispatcher.dispatch(committed).catch((err: unknown) => this.log.warn({ err }, 'could not dispatch committed tasks')),
    );
    return committed.map(({ id }) => id);
  }
}
