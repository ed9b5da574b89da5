import { relations } from 'drizzle-orm';
import { books } from './books.js';
import { reviews } from './reviews.js';
import { bookTags, tags } from './tags.js';

// For relational queries: a book with its reviews and tags is one SQL statement.
export const booksRelations = relations(books, ({ many }) => ({ reviews: many(reviews), bookTags: many(bookTags) }));
export const reviewsRelations = relations(reviews, ({ one }) => ({
  book: one(books, { fields: [reviews.bookUid], references: [books.uid] }),
}));
export const bookTagsRelations = relations(bookTags, ({ one }) => ({
  book: one(books, { fields: [bookTags.bookUid], references: [books.uid] }),
  tag: one(tags, { fields: [bookTags.tagUid], references: [tags.uid] }),
}));
export const tagsRelations = relations(tags, ({ many }) => ({ bookTags: many(bookTags) }));
