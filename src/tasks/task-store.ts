import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, not, or, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import { lanePauses, type TaskRow, tasks } from '../db/schema/index.js';
import { transaction } from '../db/transaction.js';
import { uuidIn, uuidList } from '../db/uuid-in.js';
import { Coalescer } from '../lib/coalescer.js';
import type { Outcome } from './execute-task.js';
import { isLane, type Lane } from './lane.js';
import type { CommittedTask } from './task-queue.js';

/**
 * A runner's hold on one attempt of a task: the process that claimed it and
 * the attempt's number. Every write after the claim names both, and applies
 * only while the row still says so; a runner whose claim lapsed and was taken
 * over (a newer attempt) can never overwrite the newer outcome.
 */
export interface Claim {
  readonly id: string;
  readonly owner: string;
  /** `attempts_made` as the claim left it: 1 on the first attempt. The claim's fencing number. */
  readonly attempt: number;
}

export interface ClaimedTask extends Claim {
  readonly name: string;
  readonly lane: Lane;
  readonly payload: unknown;
  readonly maxAttempts: number;
}

/** Why a claim by id took nothing. */
export type Refusal =
  | { readonly kind: 'gone' }
  /** Completed, failed or cancelled. */
  | { readonly kind: 'finished' }
  /** Its lane is paused: ask again later. */
  | { readonly kind: 'paused' }
  /** Not due yet (a retry's backoff), or held by a live claim elsewhere: ask again in `waitMs`. */
  | { readonly kind: 'not-due'; readonly waitMs: number };

const lease = (ms: number | SQL) => sql`now() + ${ms}::int * interval '1 millisecond'`;

/** A task whose time has come. */
const waiting = and(inArray(tasks.state, ['pending', 'delayed']), lte(tasks.runAt, sql`now()`)) as SQL;
/** A task whose claim lapsed: its runner died, froze, or lost the database for longer than its lease. */
const lapsedClaim = and(eq(tasks.state, 'active'), lt(tasks.lockedUntil, sql`now()`)) as SQL;
/** What a runner may claim. */
const claimable = or(waiting, lapsedClaim) as SQL;

/** No process starts a task of a lane an operator paused (a lapsed claim waits too: it is a new start). */
const laneRuns = sql`not exists (select 1 from ${lanePauses} where ${lanePauses.lane} = ${tasks.lane})`;

const claimedColumns = {
  id: tasks.id,
  name: tasks.name,
  lane: tasks.lane,
  payload: tasks.payload,
  attempt: tasks.attemptsMade,
  maxAttempts: tasks.maxAttempts,
};

/**
 * The task table's one state machine, for both modes:
 *
 *     pending ─claim→ active ─complete→ completed
 *     delayed ─claim→ active ─retry→ delayed
 *                     active ─fail→ failed ─(retried by id)→ active
 *     pending, delayed, active ─cancel→ cancelled   (an operator; a running attempt is aborted)
 *     failed, cancelled ─retry→ pending              (an operator; attempts counted afresh)
 *                     active ─release→ pending   (a shutdown: the attempt is not counted)
 *                     active, lease lapsed ─claim→ active (a newer attempt)
 *
 * The in-process runner claims due tasks of a lane; a BullMQ worker claims the
 * task of the job it was handed. Either way the claim is a lease that the
 * claimant renews while the attempt runs (`renew`), and every transition out
 * of `active` is guarded by the claim.
 */
export class TaskStore {
  // Prepared once: a runner runs them for every task or few (building them anew cost a fifth of a
  // no-op task's CPU in a BullMQ worker).
  private readonly claimStatement;
  private readonly claimDueStatement;
  private readonly claimLapsedStatement;
  private readonly completeStatement;

  constructor(
    private readonly db: Db,
    private readonly leaseMs: number,
  ) {
    this.claimStatement = prepareClaimById(db);
    this.claimDueStatement = prepareClaimOfLane(db, 'task_claim_due', waiting);
    this.claimLapsedStatement = prepareClaimOfLane(db, 'task_claim_lapsed', lapsedClaim);
    this.completeStatement = prepareCompletion(db);
  }

  /**
   * Claims up to `limit` due tasks of a lane, most urgent first, but none of
   * `holding`: the tasks this runner holds itself. A lease of its own that
   * lapsed (its heartbeat held up by a busy machine) means the task still
   * runs here, and taking it again would run it twice. With `lapsed`, tasks
   * whose claim lapsed elsewhere are taken first: a lease runs out with the
   * clock, not with an event, so a runner looks for them when it polls.
   */
  async claimDue(lane: Lane, limit: number, owner: string, holding: readonly string[], lapsed: boolean): Promise<ClaimedTask[]> {
    const given = { lane, owner, leaseMs: this.leaseMs, holding: uuidList(holding) };
    const taken = lapsed ? await this.claimLapsedStatement.execute({ ...given, limit }) : [];
    const due = taken.length < limit ? await this.claimDueStatement.execute({ ...given, limit: limit - taken.length }) : [];
    return [...taken, ...due].map((row) => claimed(row, owner));
  }

  /**
   * Claims the task `id` if it may run now: what a BullMQ worker does with the
   * job it is handed, and the eager runner with the task just committed. A
   * failed task handed out again was retried from the dashboard: its attempts
   * start over.
   */
  async claimById(id: string, owner: string): Promise<ClaimedTask | Refusal> {
    const row = await this.claims.call({ id, owner });
    return row ?? this.whyNot(id);
  }

  private readonly claims = new Coalescer<{ id: string; owner: string }, ClaimedTask | undefined>(async (calls) => {
    const byOwner = new Map<string, ClaimedTask>();
    // One statement per owner: nearly always one, a process has one.
    for (const owner of new Set(calls.map((call) => call.owner))) {
      const ids = calls.filter((call) => call.owner === owner).map((call) => call.id);
      const rows = await this.claimStatement.execute({ ids: uuidList(ids), owner, leaseMs: this.leaseMs });
      for (const row of rows) byOwner.set(row.id, claimed(row, owner));
    }
    return calls.map((call) => byOwner.get(call.id));
  });

  private async whyNot(id: string): Promise<Refusal> {
    const [row] = await this.db
      .select({
        state: tasks.state,
        paused: sql<boolean>`not ${laneRuns}`,
        waitMs: sql<number>`ceil(greatest(extract(epoch from
          case when ${tasks.state} = 'active' then ${tasks.lockedUntil} else ${tasks.runAt} end - now()) * 1000, 0))::int`,
      })
      .from(tasks)
      .where(eq(tasks.id, id));
    if (!row) return { kind: 'gone' };
    if (row.state === 'completed' || row.state === 'failed' || row.state === 'cancelled') return { kind: 'finished' };
    if (row.paused) return { kind: 'paused' };
    // Claimable a moment ago but taken since (a race with another runner), or not due yet.
    return { kind: 'not-due', waitMs: Math.max(row.waitMs, 1) };
  }

  /** Records an attempt's outcome; false when the claim no longer holds (it lapsed and was taken over). */
  async finish(claim: Claim, outcome: Outcome): Promise<boolean> {
    switch (outcome.kind) {
      case 'completed':
        return this.completions.call({ ...claim, result: outcome.result ?? null });
      case 'retry':
        return this.transition(claim, {
          state: 'delayed',
          error: outcome.error,
          runAt: lease(outcome.delayMs),
          lockedBy: null,
          lockedUntil: null,
        });
      case 'failed':
        return this.transition(claim, { state: 'failed', error: outcome.error, finishedAt: sql`now()`, lockedBy: null, lockedUntil: null });
    }
  }

  private readonly completions = new Coalescer<Claim & { result: unknown }, boolean>(async (calls) => {
    const rows = await this.completeStatement.execute({ done: JSON.stringify(calls) });
    const done = new Set(rows.map((row) => row.id));
    return calls.map((call) => done.has(call.id));
  });

  /** Hands a claimed task back as pending, the interrupted attempt not counted: a shutdown is not the task's fault. */
  release(claim: Claim): Promise<boolean> {
    return this.transition(claim, {
      state: 'pending',
      attemptsMade: sql`greatest(${tasks.attemptsMade} - 1, 0)`,
      lockedBy: null,
      lockedUntil: null,
      runAt: sql`now()`,
    });
  }

  /**
   * Cancels a task that has not finished: a waiting one never runs, and a
   * running one's claim is gone, which its process notices (`cancelledAmong`)
   * and aborts the attempt. Undefined when the task is finished or unknown.
   */
  async cancel(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.db
      .update(tasks)
      .set({ state: 'cancelled', finishedAt: sql`now()`, lockedBy: null, lockedUntil: null, error: 'Cancelled by an operator' })
      .where(and(eq(tasks.id, id), inArray(tasks.state, ['pending', 'delayed', 'active'])))
      .returning();
    return row;
  }

  /** Of the tasks `ids` (attempts running here), those an operator cancelled. */
  async cancelledAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(uuidIn(tasks.id, ids), eq(tasks.state, 'cancelled')));
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Makes a failed or cancelled task pending again, its attempts counted
   * afresh and not yet handed to any queue. Undefined when it is in another
   * state or unknown; throws a unique violation when another task with its
   * key is live.
   */
  async retry(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.db
      .update(tasks)
      .set({
        state: 'pending',
        attemptsMade: 0,
        runAt: sql`now()`,
        relayedAt: null,
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
      })
      .where(and(eq(tasks.id, id), inArray(tasks.state, ['failed', 'cancelled'])))
      .returning();
    return row;
  }

  /** Renews the leases of `claims` (one owner's running attempts); returns the ids whose claim still holds. */
  async renew(claims: readonly Claim[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const rows = await this.db
      .update(tasks)
      .set({ lockedUntil: lease(this.leaseMs) })
      .from(sql`jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) as held (id uuid, owner text, attempt int)`)
      .where(heldBy(sql`held`))
      .returning({ id: tasks.id });
    return new Set(rows.map((row) => row.id));
  }

  private async transition(claim: Claim, set: PgUpdateSetSource<typeof tasks>): Promise<boolean> {
    const rows = await this.db
      .update(tasks)
      .set(set)
      .where(and(eq(tasks.id, claim.id), eq(tasks.lockedBy, claim.owner), eq(tasks.attemptsMade, claim.attempt), eq(tasks.state, 'active')))
      .returning({ id: tasks.id });
    return rows.length === 1;
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

  // The Redis mode's relay: which tasks BullMQ has been given.

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
      await handOver(rows.map(committed));
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
   * reconciler to check against what Redis holds: waiting ones, and running
   * ones whose claim lapsed (a live claim means a worker has it in hand).
   * Each carries the wait left before it is due.
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
    const now = Date.now();
    return rows.map((row) => ({ ...committed(row), delayMs: row.state === 'delayed' ? Math.max(0, row.runAt.getTime() - now) : 0 }));
  }

  async countWaitingForRedis(): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(tasks)
      .where(and(isNull(tasks.relayedAt), eq(tasks.state, 'pending')));
    return row?.n ?? 0;
  }

  // Reading.

  find(id: string): Promise<TaskRow | undefined> {
    return this.db.query.tasks.findFirst({ where: eq(tasks.id, id) });
  }
}

/** The row still holds the claim of `held` (a record with id, owner and attempt). */
function heldBy(held: SQL): SQL {
  return and(
    eq(tasks.id, sql`${held}.id`),
    eq(tasks.lockedBy, sql`${held}.owner`),
    eq(tasks.attemptsMade, sql`${held}.attempt`),
    eq(tasks.state, 'active'),
  ) as SQL;
}

function claimed(row: { id: string; name: string; lane: string; payload: unknown; attempt: number; maxAttempts: number }, owner: string) {
  return { ...row, lane: laneOf(row.lane), owner };
}

export function committed(row: TaskRow): CommittedTask {
  return { id: row.id, name: row.name, lane: laneOf(row.lane), priority: row.priority, payload: row.payload, maxAttempts: row.maxAttempts };
}

function laneOf(lane: string): Lane {
  // The registry refuses unknown lanes at start-up; a row from a newer version would still read as a lane.
  return isLane(lane) ? lane : 'default';
}

/**
 * Claims up to `limit` tasks of `lane` that are `which`, for `owner`, most
 * urgent first, none of `holding` (a `uuidList`). Each kind is a statement of
 * its own, and the pause a lookup made once: a single `waiting or lapsed`
 * condition made PostgreSQL read and sort every due task of the lane to
 * claim a few (5 ms a claim with 2,000 waiting; an index scan that stops at
 * `limit` takes 0.07).
 */
function prepareClaimOfLane(db: Db, name: string, which: SQL) {
  const lane = sql.placeholder('lane');
  const due = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(
      and(
        eq(tasks.lane, lane),
        which,
        sql`not exists (select 1 from ${lanePauses} where ${lanePauses.lane} = ${lane})`,
        not(uuidIn(tasks.id, sql.placeholder('holding'))),
      ),
    )
    .orderBy(asc(tasks.priority), asc(tasks.runAt))
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true });
  return db
    .update(tasks)
    .set({
      state: 'active',
      attemptsMade: sql`${tasks.attemptsMade} + 1`,
      lockedBy: sql`${sql.placeholder('owner')}`,
      lockedUntil: lease(sql`${sql.placeholder('leaseMs')}`),
      startedAt: sql`coalesce(${tasks.startedAt}, now())`,
    })
    .where(inArray(tasks.id, due))
    .returning(claimedColumns)
    .prepare(name);
}

/** Claims tasks `ids` (a `uuidList`) for `owner`, each that may run now. */
function prepareClaimById(db: Db) {
  return db
    .update(tasks)
    .set({
      state: 'active',
      attemptsMade: sql`case when ${tasks.state} = 'failed' then 1 else ${tasks.attemptsMade} + 1 end`,
      lockedBy: sql`${sql.placeholder('owner')}`,
      lockedUntil: lease(sql`${sql.placeholder('leaseMs')}`),
      startedAt: sql`coalesce(${tasks.startedAt}, now())`,
      finishedAt: null,
      relayedAt: sql`coalesce(${tasks.relayedAt}, now())`,
    })
    .where(and(uuidIn(tasks.id, sql.placeholder('ids')), or(claimable, eq(tasks.state, 'failed')), laneRuns))
    .returning(claimedColumns)
    .prepare('task_claim_by_id');
}

/** Completes the claims given as JSON `done`: `[{ id, owner, attempt, result }]`, each only while it holds. */
function prepareCompletion(db: Db) {
  return db
    .update(tasks)
    .set({ state: 'completed', result: sql`done.result`, error: null, finishedAt: sql`now()`, lockedBy: null, lockedUntil: null })
    .from(sql`jsonb_to_recordset(${sql.placeholder('done')}::jsonb) as done (id uuid, owner text, attempt int, result jsonb)`)
    .where(heldBy(sql`done`))
    .returning({ id: tasks.id })
    .prepare('task_complete');
}
