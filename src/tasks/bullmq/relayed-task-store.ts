import { and, asc, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { tasks } from '../../db/schema/index.js';
import { transaction } from '../../db/transaction.js';
import { uuidIn, uuidList } from '../../db/uuid-in.js';
import { Coalescer } from '../../lib/coalescer.js';
import type { Lane } from '../define.js';
import type { Outcome } from '../execute-task.js';
import type { CommittedTask } from '../task-queue.js';

export interface StartedAttempt {
  name: string;
  payload: unknown;
  /** This attempt included. */
  attemptsMade: number;
  maxAttempts: number;
}

/**
 * The task table as the Redis mode uses it: the relay marks what it handed to
 * BullMQ, workers record each attempt, so that `GET /tasks/{id}` reads the
 * same rows in both modes. BullMQ owns the locking here; these writes need none.
 */
export class RelayedTaskStore {
  // Prepared once: every task runs both, and building them anew cost a fifth of a no-op task's CPU in the
  // worker (1.13 → 0.91 ms a task, `npm run bench -- task-throughput --size quick`).
  private readonly startStatement;
  private readonly completeStatement;

  constructor(private readonly db: Db) {
    this.startStatement = prepareStart(db);
    this.completeStatement = prepareCompletion(db);
  }

  /**
   * Runs `handOver` on up to `limit` committed tasks that no relay has handed
   * over yet, oldest first, and marks them relayed if it succeeds. The rows
   * stay locked meanwhile, so two relays never hand over the same task together.
   */
  async relayWaiting(limit: number, handOver: (waiting: CommittedTask[]) => Promise<void>): Promise<number> {
    return transaction(this.db, async (tx) => {
      const rows = await tx
        .select()
        .from(tasks)
        .where(and(isNull(tasks.relayedAt), eq(tasks.state, 'pending')))
        .orderBy(asc(tasks.createdAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      await handOver(rows.map((row) => ({ ...row, lane: row.lane as Lane })));
      await tx
        .update(tasks)
        .set({ relayedAt: sql`now()` })
        .where(
          uuidIn(
            tasks.id,
            rows.map((row) => row.id),
          ),
        );
      return rows.length;
    });
  }

  async markRelayed(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(tasks)
      .set({ relayedAt: sql`now()` })
      .where(and(uuidIn(tasks.id, ids), isNull(tasks.relayedAt)));
  }

  /**
   * Unfinished tasks handed over more than `olderThanMs` ago, for the
   * reconciler to check that Redis still has them. A running task counts only
   * once its attempt is past its timeout: until then a worker may still be
   * running it, whatever Redis remembers.
   */
  async unfinishedRelayed(olderThanMs: number, limit: number): Promise<CommittedTask[]> {
    const rows = await this.db
      .select()
      .from(tasks)
      .where(
        and(
          isNotNull(tasks.relayedAt),
          or(inArray(tasks.state, ['pending', 'delayed']), and(eq(tasks.state, 'active'), lt(tasks.lockedUntil, sql`now()`))),
          lt(tasks.relayedAt, sql`now() - ${olderThanMs} * interval '1 millisecond'`),
        ),
      )
      .orderBy(asc(tasks.relayedAt))
      .limit(limit);
    return rows.map((row) => ({ ...row, lane: row.lane as Lane }));
  }

  async countWaitingForRedis(): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(tasks)
      .where(and(isNull(tasks.relayedAt), eq(tasks.state, 'pending')));
    return row?.n ?? 0;
  }

  /**
   * Records that an attempt starts, and returns what to run; undefined when
   * the task is done already (a job handed over twice) or gone. A failed task
   * started again (a retry from the dashboard) starts its attempts over.
   */
  start(id: string, timeoutMs: number): Promise<StartedAttempt | undefined> {
    return this.starts.call({ id, timeoutMs });
  }

  private readonly starts = new Coalescer<{ id: string; timeoutMs: number }, StartedAttempt | undefined>(async (calls) => {
    const started = new Map<string, StartedAttempt>();
    // One statement per timeout: nearly always one, as a batch is mostly tasks of one kind.
    for (const timeoutMs of new Set(calls.map((call) => call.timeoutMs))) {
      const ids = calls.filter((call) => call.timeoutMs === timeoutMs).map((call) => call.id);
      const rows = await this.startStatement.execute({ ids: uuidList(ids), timeoutMs });
      for (const { id, ...attempt } of rows) started.set(id, attempt);
    }
    return calls.map((call) => started.get(call.id));
  });

  async finish(id: string, outcome: Outcome): Promise<void> {
    const where = eq(tasks.id, id);
    switch (outcome.kind) {
      case 'completed':
        await this.completions.call({ id, result: outcome.result ?? null });
        return;
      case 'retry':
        await this.db
          .update(tasks)
          .set({
            state: 'delayed',
            error: outcome.error,
            runAt: sql`now() + ${outcome.delayMs} * interval '1 millisecond'`,
            lockedUntil: null,
          })
          .where(where);
        return;
      case 'failed':
        await this.db.update(tasks).set({ state: 'failed', error: outcome.error, finishedAt: sql`now()`, lockedUntil: null }).where(where);
        return;
    }
  }

  private readonly completions = new Coalescer<{ id: string; result: unknown }, void>(async (calls) => {
    await this.completeStatement.execute({ done: JSON.stringify(calls) });
    return calls.map(() => undefined);
  });

  /** An attempt cut short by a worker's shutdown goes back to waiting, uncounted. */
  async requeue(id: string): Promise<void> {
    await this.db
      .update(tasks)
      .set({ state: 'pending', attemptsMade: sql`greatest(${tasks.attemptsMade} - 1, 0)`, lockedUntil: null })
      .where(and(eq(tasks.id, id), eq(tasks.state, 'active')));
  }
}

/** Marks tasks `ids` (a `uuidList`) active for an attempt of at most `timeoutMs`, unless already completed. */
function prepareStart(db: Db) {
  return db
    .update(tasks)
    .set({
      state: 'active',
      // The attempt is over by then at the latest (its timeout aborts it).
      lockedUntil: sql`now() + ${sql.placeholder('timeoutMs')}::int * interval '1 millisecond'`,
      attemptsMade: sql`case when ${tasks.state} = 'failed' then 1 else ${tasks.attemptsMade} + 1 end`,
      startedAt: sql`coalesce(${tasks.startedAt}, now())`,
      finishedAt: null,
      relayedAt: sql`coalesce(${tasks.relayedAt}, now())`,
    })
    .where(and(uuidIn(tasks.id, sql.placeholder('ids')), ne(tasks.state, 'completed')))
    .returning({
      id: tasks.id,
      name: tasks.name,
      payload: tasks.payload,
      attemptsMade: tasks.attemptsMade,
      maxAttempts: tasks.maxAttempts,
    })
    .prepare('task_attempts_start');
}

/** Completes tasks given as JSON `done`: `[{ id, result }]`. */
function prepareCompletion(db: Db) {
  return db
    .update(tasks)
    .set({ state: 'completed', result: sql`done.result`, error: null, finishedAt: sql`now()`, lockedUntil: null })
    .from(sql`jsonb_to_recordset(${sql.placeholder('done')}::jsonb) as done (id uuid, result jsonb)`)
    .where(eq(tasks.id, sql`done.id`))
    .prepare('task_attempts_complete');
}
