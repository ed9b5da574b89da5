import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { books } from './books.js';
import { users } from './users.js';

export const reviews = pgTable(
  'reviews',
  {
    uid: uuid('uid').primaryKey().defaultRandom(),
    rating: integer('rating').notNull(),
    reviewText: varchar('review_text', { length: 5000 }).notNull(),
    userUid: uuid('user_uid')
      .notNull()
      .references(() => users.uid, { onDelete: 'cascade' }),
    // A book's reviews go with it.
    bookUid: uuid('book_uid')
      .notNull()
      .references(() => books.uid, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    check('reviews_rating_check', sql`${t.rating} between 1 and 5`),
    check('reviews_text_check', sql`char_length(${t.reviewText}) >= 1`),
    index('reviews_book_idx').on(t.bookUid, t.createdAt.desc()),
    index('reviews_user_idx').on(t.userUid, t.createdAt.desc()),
    index('reviews_newest_idx').on(t.createdAt.desc(), t.uid.desc()),
  ],
);

export type ReviewRow = typeof reviews.$inferSelect;
