import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { books } from './books.js';

export const tags = pgTable(
  'tags',
  {
    uid: uuid('uid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 50 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Names are unique in any case: "Fiction" and "fiction" are one tag.
  (t) => [uniqueIndex('tags_name_lower_key').on(sql`lower(${t.name})`), check('tags_name_check', sql`char_length(${t.name}) >= 1`)],
);

/** Which tags a book has; the primary key makes linking a tag twice impossible. */
export const bookTags = pgTable(
  'book_tags',
  {
    bookUid: uuid('book_uid')
      .notNull()
      .references(() => books.uid, { onDelete: 'cascade' }),
    tagUid: uuid('tag_uid')
      .notNull()
      .references(() => tags.uid, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.bookUid, t.tagUid] }), index('book_tags_tag_idx').on(t.tagUid)],
);

export type TagRow = typeof tags.$inferSelect;
