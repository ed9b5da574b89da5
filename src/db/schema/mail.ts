import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
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
