import { setImmediate } from 'node:timers/promises';
import { and, eq, inArray, isNotNull, lt, notExists, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { RetentionConfig } from '../config/load-config.js';
import type { Db } from '../db/client.js';
import { devMail, linkTokens, mailings, mailMessages, recipientSends, revokedSessions, tasks, taskWorkers } from '../db/schema/index.js';
import { recipientLimits } from '../mail/recipient-limit.js';
import { sendMailingMessage } from './definitions/send-mailing-message.js';

/** Rows the prune removed (or, for mailings, emptied), by kind, and the statements that did it. */
export interface PruneCounts {
  tasks: number;
  linkTokens: number;
  revokedSessions: number;
  /** Finished mailings whose address list was emptied. */
  mailingAddresses: number;
  devMail: number;
  /** Mail ledger entries older than `MAIL_LEDGER_RETENTION_DAYS`. */
  mailMessages: number;
  recipientSends: number;
  taskWorkers: number;
  /** Statements that removed something: each of at most `batchSize` rows, in a transaction of its own. */
  batches: number;
}

const live = ['pending', 'delayed', 'active'] as const;

const ago = (amount: number, unit: 'day' | 'millisecond') => sql`now() - ${amount}::int * ${sql.raw(`interval '1 ${unit}'`)}`;

/**
 * Deletes what is past its retention, `batchSize` rows a statement, until a
 * statement comes back short; stops between statements once `signal` fires
 * (what is done stays done: the next run carries on). Never touches a task
 * that is pending, delayed or active.
 */
export async function prune(
  db: Db,
  retention: Pick<RetentionConfig, 'completedDays' | 'failedDays' | 'mailLedgerDays' | 'batchSize'>,
  signal: AbortSignal,
): Promise<PruneCounts> {
  const { batchSize } = retention;
  let batches = 0;

  /** Runs `step` (one statement, returning the rows it changed) until it changes fewer than a batch. */
  const repeat = async (step: () => Promise<unknown[]>): Promise<number> => {
    let total = 0;
    for (;;) {
      // PGlite answers within the turn that asked: without this, its whole prune would hold the
      // event loop (every request and task of the process) as one long turn.
      await setImmediate();
      signal.throwIfAborted();
      const changed = (await step()).length;
      if (changed > 0) batches += 1;
      total += changed;
      if (changed < batchSize) return total;
    }
  };

  /**
   * `delete from table where key in (select key … where past limit N) and past`. The outer `past`
   * again: a row changed since the subquery's snapshot (a failed task retried, an address sent to
   * again) is checked anew as it now is, and kept if it no longer qualifies.
   */
  const deletePast = (table: PgTable, key: readonly [PgColumn, ...PgColumn[]], past: SQL) => {
    const keys = Object.fromEntries(key.map((column, i) => [`k${i}`, column]));
    return repeat(() =>
      db
        .delete(table)
        .where(and(sql`(${sql.join([...key], sql`, `)}) in ${db.select(keys).from(table).where(past).limit(batchSize)}`, past))
        .returning({ key: key[0] }),
    );
  };

  const finishedBefore = (states: readonly ('completed' | 'failed' | 'cancelled')[], days: number) =>
    and(inArray(tasks.state, states), lt(tasks.finishedAt, ago(days, 'day'))) as SQL;

  // A mailing's addresses are read only by its fan-out; once no message of it can run again, they are
  // personal data kept for nothing. A failed message retried later carries its address in its payload.
  const finishedMailing = and(
    isNotNull(mailings.fannedOutAt),
    sql`cardinality(${mailings.addresses}) > 0`,
    notExists(
      db
        .select({ id: tasks.id })
        .from(tasks)
        .where(
          and(
            eq(tasks.lane, sendMailingMessage.lane),
            eq(tasks.name, sendMailingMessage.name),
            inArray(tasks.state, live),
            sql`${tasks.payload}->>'mailingId' = ${mailings.id}::text`,
          ),
        ),
    ),
  ) as SQL;
  // The subquery's condition only: repeated outside, the planner checked each mailing against every
  // live bulk task (seconds, for a mailing under way). A mailing emptied twice is emptied all the same.
  const mailingAddresses = await repeat(() =>
    db
      .update(mailings)
      .set({ addresses: sql`'{}'` })
      .where(inArray(mailings.id, db.select({ id: mailings.id }).from(mailings).where(finishedMailing).limit(batchSize)))
      .returning({ id: mailings.id }),
  );

  const counts: Omit<PruneCounts, 'batches'> = {
    tasks:
      (await deletePast(tasks, [tasks.id], finishedBefore(['completed'], retention.completedDays))) +
      (await deletePast(tasks, [tasks.id], finishedBefore(['failed', 'cancelled'], retention.failedDays))),
    // A used token that has not expired yet stays: it is what refuses the link a second time.
    linkTokens: await deletePast(linkTokens, [linkTokens.tokenHash], lt(linkTokens.expiresAt, sql`now()`)),
    revokedSessions: await deletePast(revokedSessions, [revokedSessions.sessionId], lt(revokedSessions.expiresAt, sql`now()`)),
    mailingAddresses,
    devMail: await deletePast(devMail, [devMail.id], lt(devMail.createdAt, ago(1, 'day'))),
    // Suppressions and unsubscribe links are kept: an old mail's link must still work.
    mailMessages: await deletePast(mailMessages, [mailMessages.id], lt(mailMessages.createdAt, ago(retention.mailLedgerDays, 'day'))),
    // Sends older than the limit's window count towards nothing.
    recipientSends: await deletePast(
      recipientSends,
      [recipientSends.address, recipientSends.kind],
      lt(recipientSends.lastSentAt, ago(recipientLimits.windowMs, 'millisecond')),
    ),
    // A live process writes every few seconds; a day without a word is a process that is gone.
    taskWorkers: await deletePast(taskWorkers, [taskWorkers.id], lt(taskWorkers.lastSeenAt, ago(1, 'day'))),
  };
  return { ...counts, batches };
}
