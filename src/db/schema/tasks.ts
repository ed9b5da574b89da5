import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const taskStates = ['pending', 'active', 'delayed', 'completed', 'failed', 'cancelled'] as const;
export type TaskState = (typeof taskStates)[number];

/**
 * Every background task, written in the same transaction as the change that
 * calls for it. The row is the task's truth in both modes, and its one state
 * machine is `TaskStore`'s (src/tasks/task-store.ts): the in-process runner
 * claims due rows, a BullMQ worker claims the row of the job it was handed.
 */
export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    lane: text('lane').notNull(),
    payload: jsonb('payload').notNull(),
    /** While a task with this key is pending, delayed or active, enqueueing the key again returns that task. */
    key: text('key'),
    state: text('state', { enum: taskStates }).notNull().default('pending'),
    /** Lower runs first within a lane. */
    priority: integer('priority').notNull().default(0),
    /** Attempts begun, this one included; while `active`, the claim's fencing number (see `lockedBy`). */
    attemptsMade: integer('attempts_made').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    /** When a pending or delayed task may run next. */
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    /** Redis mode: when the relay handed the task to BullMQ. Null while it waits in the database. */
    relayedAt: timestamp('relayed_at', { withTimezone: true }),
    /**
     * While `active`, in both modes: the process whose claim holds the task. Every write that ends or
     * renews the attempt names this owner and `attemptsMade`, and applies only while both still match.
     */
    lockedBy: text('locked_by'),
    /**
     * While `active`, in both modes: the claim's lease, renewed by its process while the attempt runs.
     * Once past, any runner may claim the task again, as a newer attempt (its process died or froze).
     */
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    result: jsonb('result'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    check('tasks_state_check', sql`${t.state} in ('pending', 'active', 'delayed', 'completed', 'failed', 'cancelled')`),
    check('tasks_attempts_check', sql`${t.attemptsMade} >= 0 and ${t.maxAttempts} >= 1`),
    // The runner's claim query: due work of one lane, most urgent first.
    index('tasks_due_idx').on(t.lane, t.priority, t.runAt).where(sql`${t.state} in ('pending', 'delayed', 'active')`),
    index('tasks_finished_idx').on(t.finishedAt).where(sql`${t.finishedAt} is not null`),
    // One unfinished task per key: what makes a schedule's slot run once, however many processes enqueue it.
    uniqueIndex('tasks_live_key_idx').on(t.key).where(sql`${t.key} is not null and ${t.state} in ('pending', 'delayed', 'active')`),
    // The task list, newest first.
    index('tasks_created_idx').on(t.createdAt),
    // The relay's sweep: tasks committed while Redis could not take them.
    index('tasks_unrelayed_idx').on(t.createdAt).where(sql`${t.relayedAt} is null and ${t.state} = 'pending'`),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;

/**
 * Lanes an operator paused: no process starts a task of a paused lane, and
 * enqueueing goes on. A lane without a row runs.
 */
export const lanePauses = pgTable('lane_pauses', {
  lane: text('lane').primaryKey(),
  pausedAt: timestamp('paused_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every process that runs tasks, as its heartbeat last wrote it: the API in
 * the in-process mode, each `npm run worker`. One that stops cleanly deletes
 * its row; one that stops writing is lost, and its leases run out.
 */
export const taskWorkers = pgTable(
  'task_workers',
  {
    /** The owner its claims name (`Attempts.owner`). */
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    lanes: text('lanes').array().notNull(),
    concurrency: integer('concurrency').notNull(),
    /** How often it writes: three intervals missed and it is lost. */
    heartbeatMs: integer('heartbeat_ms').notNull(),
    running: integer('running').notNull().default(0),
    completed: integer('completed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('task_workers_last_seen_idx').on(t.lastSeenAt)],
);

/**
 * The periodic tasks' last enqueued slot. The scheduler of every process
 * advances `last_slot_at` and enqueues the slot's task in one transaction,
 * only if the slot is newer: however many processes tick, a slot runs once.
 */
export const taskSchedules = pgTable('task_schedules', {
  name: text('name').primaryKey(),
  lastSlotAt: timestamp('last_slot_at', { withTimezone: true }).notNull(),
  lastTaskId: uuid('last_task_id'),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }),
});

export type TaskWorkerRow = typeof taskWorkers.$inferSelect;
