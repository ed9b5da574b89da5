import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isForeignKeyViolation, isUniqueViolation } from '../../src/db/errors.js';
import { books, bookTags, reviews, tags, users } from '../../src/db/schema/index.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.js';

/** The contract's rules hold in the database itself, whatever code writes to it. */
for (const kind of databaseKinds) {
  describe(`database constraints (${kind})`, () => {
    let test: TestDatabase;
    let userUid: string;
    let bookUid: string;
    before(async () => {
      test = await openTestDatabase(kind);
    });
    after(() => test.close());
    beforeEach(async () => {
      await test.reset();
      const { db } = test.database;
      const [user] = await db
        .insert(users)
        .values({ username: 'u', email: 'u@example.com', firstName: 'U', lastName: 'U', passwordHash: 'x' })
        .returning();
      userUid = user?.uid as string;
      const [book] = await db
        .insert(books)
        .values({ title: 't', author: 'a', publisher: 'p', publishedDate: '2000-01-01', pageCount: 1, language: 'en', userUid })
        .returning();
      bookUid = book?.uid as string;
    });

    const rejects = async (work: () => Promise<unknown>, check: RegExp | ((error: unknown) => boolean)) => {
      const error = await work().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      assert.ok(error, 'the database refused the row');
      if (check instanceof RegExp) assert.match(String((error as Error & { cause?: Error }).cause?.message ?? error), check);
      else assert.ok(check(error), String(error));
    };

    it('refuses a second account with the same email in another case', async () => {
      await rejects(
        () =>
          test.database.db
            .insert(users)
            .values({ username: 'v', email: 'U@EXAMPLE.COM', firstName: 'V', lastName: 'V', passwordHash: 'x' }),
        (error) => isUniqueViolation(error, 'users_email_lower_key'),
      );
    });

    it('refuses a rating outside 1..5 and an empty review', async () => {
      for (const rating of [0, 6]) {
        await rejects(() => test.database.db.insert(reviews).values({ rating, reviewText: 'x', userUid, bookUid }), /reviews_rating_check/);
      }
      await rejects(() => test.database.db.insert(reviews).values({ rating: 3, reviewText: '', userUid, bookUid }), /reviews_text_check/);
    });

    it('refuses a page count below 1', async () => {
      await rejects(
        () =>
          test.database.db
            .insert(books)
            .values({ title: 't', author: 'a', publisher: 'p', publishedDate: '2000-01-01', pageCount: 0, language: 'en', userUid }),
        /books_page_count_check/,
      );
    });

    it('refuses a review of a book that does not exist', async () => {
      await rejects(
        () =>
          test.database.db.insert(reviews).values({ rating: 3, reviewText: 'x', userUid, bookUid: '00000000-0000-4000-8000-000000000000' }),
        (error) => isForeignKeyViolation(error, 'reviews_book_uid_books_uid_fk'),
      );
    });

    it('refuses a tag name taken in another case, and a link made twice', async () => {
      const [tag] = await test.database.db.insert(tags).values({ name: 'Poetry' }).returning();
      await rejects(
        () => test.database.db.insert(tags).values({ name: 'POETRY' }),
        (error) => isUniqueViolation(error, 'tags_name_lower_key'),
      );
      await test.database.db.insert(bookTags).values({ bookUid, tagUid: tag?.uid as string });
      await rejects(
        () => test.database.db.insert(bookTags).values({ bookUid, tagUid: tag?.uid as string }),
        (error) => isUniqueViolation(error),
      );
    });
  });
}
