import { sql } from 'drizzle-orm';
import { check, date, index, integer, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const books = pgTable(
  'books',
  {
    uid: uuid('uid').primaryKey().defaultRandom(),
    title: varchar('title', { length: 255 }).notNull(),
    author: varchar('author', { length: 255 }).notNull(),
    publisher: varchar('publisher', { length: 255 }).notNull(),
    publishedDate: date('published_date', { mode: 'string' }).notNull(),
    pageCount: integer('page_count').notNull(),
    language: varchar('language', { length: 50 }).notNull(),
    userUid: uuid('user_uid')
      .notNull()
      .references(() => users.uid, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    check('books_page_count_check', sql`${t.pageCount} >= 1`),
    // Lists are newest first; the uid breaks ties so that pages never overlap.
    index('books_newest_idx').on(t.createdAt.desc(), t.uid.desc()),
    index('books_user_newest_idx').on(t.userUid, t.createdAt.desc(), t.uid.desc()),
  ],
);

export type BookRow = typeof books.$inferSelect;
