import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** The kinds of mail limited per recipient, each apart (the mail ledger's names). */
export const limitedMailKinds = ['verify', 'reset'] as const;
export type LimitedMailKind = (typeof limitedMailKinds)[number];

/**
 * The verification and reset mails granted to each address in the last hour,
 * one row per address and kind: what the per-recipient limit counts. Rows
 * whose last send is over an hour old limit nothing and may be deleted.
 */
export const recipientSends = pgTable(
  'recipient_sends',
  {
    /** Lower-cased by the database's `lower()`, as the users' unique index does. */
    address: text('address').notNull(),
    kind: text('kind', { enum: limitedMailKinds }).notNull(),
    /** When each send of the last hour was granted, oldest first; older ones are dropped at the next grant. */
    sentAt: timestamp('sent_at', { withTimezone: true }).array().notNull(),
    lastSentAt: timestamp('last_sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'recipient_sends_pkey', columns: [t.address, t.kind] }),
    check('recipient_sends_kind_check', sql`${t.kind} in ('verify', 'reset')`),
    // For pruning the rows that no longer limit anything.
    index('recipient_sends_last_sent_idx').on(t.lastSentAt),
  ],
);
