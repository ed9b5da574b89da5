import { and, asc, eq, inArray, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type TaskRow, tasks } from '../db/schema/index.js';
import type { QueueSnapshot } from '../observability/metrics.js';
import type { Lane } from './define.js';

const inMs = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;

/**
 * The task table's state transitions. Every write after the claim is guarded
 * by `locked_by`, so a runner that lost its claim (its lease ran out and
 * another runner took the task) cannot overwrite the new owner's outcome.
 */
export class TaskStore {
  constructor(
    private readonly db: Db,
    private readonly leaseMs: number,
  ) {}

  /**
   * Claims up to `limit` due tasks of a lane, most urgent first: pending and
   * delayed tasks whose time has come, and running tasks whose runner
   * stopped renewing its lease. Never a task `owner` holds itself: a lease of
   * its own that lapsed (its heartbeat held up by a busy machine) means the
   * task is still running here, and taking it again would run it twice.
   */
  async claim(lane: Lane, limit: number, owner: string): Promise<TaskRow[]> {
    const due = this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        and(
          eq(tasks.lane, lane),
          or(
            and(inArray(tasks.state, ['pending', 'delayed']), lte(tasks.runAt, sql`now()`)),
            and(eq(tasks.state, 'active'), lt(tasks.lockedUntil, sql`now()`), ne(tasks.lockedBy, owner)),
          ),
        ),
      )
      .orderBy(asc(tasks.priority), asc(tasks.runAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.lock(inArray(tasks.id, due), owner);
  }

  /** Claims one task by id if it is waiting to run (the eager runner). */
  async claimById(id: string, owner: string): Promise<TaskRow | undefined> {
    const [row] = await this.lock(and(eq(tasks.id, id), inArray(tasks.state, ['pending', 'delayed'])), owner);
    return row;
  }

  private lock(where: ReturnType<typeof and>, owner: string): Promise<TaskRow[]> {
    return this.db
      .update(tasks)
      .set({
        state: 'active',
        attemptsMade: sql`${tasks.attemptsMade} + 1`,
        lockedBy: owner,
        lockedUntil: inMs(this.leaseMs),
        startedAt: sql`coalesce(${tasks.startedAt}, now())`,
      })
      .where(where)
      .returning();
  }

  async complete(id: string, owner: string, result: unknown): Promise<boolean> {
    const rows = await this.db
      .update(tasks)
      .set({ state: 'completed', result: result ?? null, error: null, finishedAt: sql`now()`, lockedBy: null, lockedUntil: null })
      .where(and(eq(tasks.id, id), eq(tasks.lockedBy, owner), eq(tasks.state, 'active')))
      .returning({ id: tasks.id });
    return rows.length === 1;
  }

  async retryLater(id: string, owner: string, error: string, delayMs: number): Promise<boolean> {
    const rows = await this.db
      .update(tasks)
      .set({ state: 'delayed', error, runAt: inMs(delayMs), lockedBy: null, lockedUntil: null })
      .where(and(eq(tasks.id, id), eq(tasks.lockedBy, owner), eq(tasks.state, 'active')))
      .returning({ id: tasks.id });
    return rows.length === 1;
  }

  async fail(id: string, owner: string, error: string): Promise<boolean> {
    const rows = await this.db
      .update(tasks)
      .set({ state: 'failed', error, finishedAt: sql`now()`, lockedBy: null, lockedUntil: null })
      .where(and(eq(tasks.id, id), eq(tasks.lockedBy, owner), eq(tasks.state, 'active')))
      .returning({ id: tasks.id });
    return rows.length === 1;
  }

  /** Renews the lease of every task this owner is running. */
  async heartbeat(owner: string): Promise<void> {
    await this.db
      .update(tasks)
      .set({ lockedUntil: inMs(this.leaseMs) })
      .where(and(eq(tasks.lockedBy, owner), eq(tasks.state, 'active')));
  }

  /**
   * Hands this owner's running tasks back as pending, the interrupted attempt
   * not counted: a shutdown that ran out of time is not the task's fault.
   */
  async release(owner: string): Promise<number> {
    const rows = await this.db
      .update(tasks)
      .set({
        state: 'pending',
        attemptsMade: sql`greatest(${tasks.attemptsMade} - 1, 0)`,
        lockedBy: null,
        lockedUntil: null,
        runAt: sql`now()`,
      })
      .where(and(eq(tasks.lockedBy, owner), eq(tasks.state, 'active')))
      .returning({ id: tasks.id });
    return rows.length;
  }

  /**
   * On a database no other process can reach, every running task was left by
   * a process that is gone: they are due at once rather than after their lease.
   */
  async expireAllLeases(): Promise<number> {
    const rows = await this.db
      .update(tasks)
      .set({ lockedUntil: sql`now() - interval '1 millisecond'` })
      .where(eq(tasks.state, 'active'))
      .returning({ id: tasks.id });
    return rows.length;
  }

  /** Tasks not yet finished (and failed ones, kept for a look and a retry), by lane and state. */
  async snapshot(): Promise<QueueSnapshot> {
    const depths = await this.db
      .select({ lane: tasks.lane, state: tasks.state, count: sql<number>`count(*)::int` })
      .from(tasks)
      .where(inArray(tasks.state, ['pending', 'delayed', 'active', 'failed']))
      .groupBy(tasks.lane, tasks.state);
    const [oldest] = await this.db
      .select({ seconds: sql<number>`coalesce(extract(epoch from now() - min(${tasks.runAt})), 0)::float8` })
      .from(tasks)
      .where(and(inArray(tasks.state, ['pending', 'delayed']), lte(tasks.runAt, sql`now()`)));
    return { depths, oldestWaitingSeconds: oldest?.seconds ?? 0 };
  }

  find(id: string): Promise<TaskRow | undefined> {
    return this.db.query.tasks.findFirst({ where: eq(tasks.id, id) });
  }
}
