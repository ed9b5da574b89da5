import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const taskStates = ['pending', 'active', 'delayed', 'completed', 'failed'] as const;
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
    check('tasks_state_check', sql`${t.state} in ('pending', 'active', 'delayed', 'completed', 'failed')`),
    check('tasks_attempts_check', sql`${t.attemptsMade} >= 0 and ${t.maxAttempts} >= 1`),
    // The runner's claim query: due work of one lane, most urgent first.
    index('tasks_due_idx').on(t.lane, t.priority, t.runAt).where(sql`${t.state} in ('pending', 'delayed', 'active')`),
    index('tasks_finished_idx').on(t.finishedAt).where(sql`${t.finishedAt} is not null`),
    // The relay's sweep: tasks committed while Redis could not take them.
    index('tasks_unrelayed_idx').on(t.createdAt).where(sql`${t.relayedAt} is null and ${t.state} = 'pending'`),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;
