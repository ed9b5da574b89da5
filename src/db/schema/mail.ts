import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** What the app would have sent, kept for `/dev/mailbox` when no SMTP server is configured. */
export const devMail = pgTable(
  'dev_mail',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('dev_mail_created_idx').on(t.createdAt)],
);

/** A bulk send from `/auth/send_mail`: the content once, a task per recipient. */
export const mailings = pgTable('mailings', {
  id: uuid('id').primaryKey().defaultRandom(),
  subject: text('subject').notNull(),
  html: text('html').notNull(),
  /** Emptied by the prune once every recipient's task has finished; `recipients` keeps the count. */
  addresses: text('addresses').array().notNull(),
  recipients: integer('recipients').notNull().default(0),
  createdBy: uuid('created_by').references(() => users.uid, { onDelete: 'set null' }),
  /** Set when its per-recipient tasks were enqueued, so a second run enqueues none. */
  fannedOutAt: timestamp('fanned_out_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const mailKinds = ['verify', 'reset', 'bulk'] as const;
export type MailKind = (typeof mailKinds)[number];
export const messageStates = ['queued', 'sent', 'failed', 'suppressed'] as const;
export type MessageState = (typeof messageStates)[number];

/**
 * The mail ledger: one entry for every message the app sends, written in the
 * transaction that enqueues the task that sends it. A send takes its entry
 * first and marks it `sent` as soon as the server has accepted it, so a task
 * that runs again finds it sent and sends nothing. Kept after its task is
 * pruned (`MAIL_LEDGER_RETENTION_DAYS`): `task_id` is a reference, not a key.
 */
export const mailMessages = pgTable(
  'mail_messages',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: mailKinds }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    state: text('state', { enum: messageStates }).notNull().default('queued'),
    /** Sends begun: each attempt of its task that took the entry. */
    attempts: integer('attempts').notNull().default(0),
    /** The server's last reply line: its 250 once sent, its refusal otherwise. */
    smtpResponse: text('smtp_response'),
    /** Why it was not sent when no server said so (the account verified meanwhile, the address unsubscribed). */
    reason: text('reason'),
    /** `<id@domain>`, fixed here and sent on every attempt. */
    messageId: text('message_id').notNull(),
    taskId: uuid('task_id').notNull(),
    mailingId: uuid('mailing_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    check('mail_messages_state_check', sql`${t.state} in ('queued', 'sent', 'failed', 'suppressed')`),
    check('mail_messages_kind_check', sql`${t.kind} in ('verify', 'reset', 'bulk')`),
    uniqueIndex('mail_messages_task_idx').on(t.taskId),
    index('mail_messages_recipient_idx').on(sql`lower(${t.recipient})`, t.createdAt),
    index('mail_messages_mailing_idx').on(t.mailingId, t.state),
    index('mail_messages_created_idx').on(t.createdAt),
  ],
);

export type MailMessageRow = typeof mailMessages.$inferSelect;

/** Addresses that get no bulk mail (they unsubscribed); verification and reset mail still go to them. Never pruned. */
export const mailSuppressions = pgTable('mail_suppressions', {
  /** Lower-cased. */
  email: text('email').primaryKey(),
  reason: text('reason', { enum: ['unsubscribed'] })
    .notNull()
    .default('unsubscribed'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The unsubscribe link of each address that was sent bulk mail: the token's
 * SHA-256, never the token, and it never expires (an old newsletter's link
 * must still work). The token is derived from the address and the app's
 * secret, so every mail to an address carries the same link.
 */
export const unsubscribeTokens = pgTable('unsubscribe_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  email: text('email').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
