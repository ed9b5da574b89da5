import assert from 'node:assert/strict';
import { it } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { books, bookTags, reviews, tags } from '../../../src/db/schema/index.js';
import { adminAccount, login, newSignup, verifiedAccount } from '../../support/accounts.js';
import { createBook, createReview, newBook, queriesRunBy } from '../../support/catalogue.js';
import { describeEachDatabase } from '../../support/suite.js';

describeEachDatabase('books', (ctx) => {
  const get = (url: string, token: string) => ctx.t.request({ method: 'GET', url, token });

  it('adds a book owned by the caller', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken, { user_uid: '00000000-0000-4000-8000-000000000000' });
    assert.equal(book.user_uid, reader.uid, 'a client cannot choose the owner');
    assert.equal(book.title, 'Dune');
    assert.equal(book.published_date, '1965-08-01');
    assert.equal(book.page_count, 412);
    assert.deepEqual(Object.keys(book).sort(), [
      'author',
      'created_at',
      'language',
      'page_count',
      'published_date',
      'publisher',
      'title',
      'uid',
      'updated_at',
      'user_uid',
    ]);
  });

  for (const [what, change, field] of [
    ['a page count of 0', { page_count: 0 }, 'body.page_count'],
    ['a page count as text', { page_count: '412' }, 'body.page_count'],
    ['a page count with a fraction', { page_count: 41.5 }, 'body.page_count'],
    ['an impossible date', { published_date: '1965-13-40' }, 'body.published_date'],
    ['a date and time', { published_date: '1965-08-01T00:00:00Z' }, 'body.published_date'],
    ['no title', { title: undefined }, 'body.title'],
    ['a blank author', { author: '  ' }, 'body.author'],
  ] as const) {
    it(`answers ${what} with 422 and adds nothing`, async () => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/books', token: reader.accessToken, payload: newBook(change) });
      assert.equal(reply.status, 422);
      assert.ok(
        reply.json.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(reply.json.details),
      );
      const [{ n } = { n: -1 }] = await ctx.t.deps.db.select({ n: count() }).from(books);
      assert.equal(n, 0);
    });
  }

  it('lists books newest first, a page at a time, with the total in X-Total-Count', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const titles = Array.from({ length: 7 }, (_, i) => `Book ${i}`);
    for (const title of titles) await createBook(ctx.t, reader.accessToken, { title });
    const newestFirst = [...titles].reverse();

    const all = await get('/api/v1/books', reader.accessToken);
    assert.equal(all.status, 200);
    assert.equal(all.headers['x-total-count'], '7');
    assert.deepEqual(
      all.json.map((b: { title: string }) => b.title),
      newestFirst,
    );

    const pages = [];
    for (let offset = 0; offset < 7; offset += 3) {
      const page = await get(`/api/v1/books?limit=3&offset=${offset}`, reader.accessToken);
      assert.equal(page.headers['x-total-count'], '7');
      pages.push(...page.json.map((b: { title: string }) => b.title));
    }
    assert.deepEqual(pages, newestFirst, 'pages neither overlap nor skip');

    const beyond = await get('/api/v1/books?offset=100', reader.accessToken);
    assert.equal(beyond.status, 200);
    assert.deepEqual(beyond.json, []);
    assert.equal(beyond.headers['x-total-count'], '7');
  });

  it('answers 50 books when no limit is given', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    await ctx.t.deps.db
      .insert(books)
      .values(Array.from({ length: 55 }, (_, i) => ({ ...rowOf(newBook({ title: `B${i}` })), userUid: reader.uid })));
    const reply = await get('/api/v1/books', reader.accessToken);
    assert.equal(reply.json.length, 50);
    assert.equal(reply.headers['x-total-count'], '55');
    assert.equal((await get('/api/v1/books?limit=100', reader.accessToken)).json.length, 55);
  });

  for (const query of ['limit=0', 'limit=101', 'limit=ten', 'offset=-1', 'offset=1.5']) {
    it(`answers ?${query} with 422 naming the query parameter`, async () => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const reply = await get(`/api/v1/books?${query}`, reader.accessToken);
      assert.equal(reply.status, 422);
      assert.equal(reply.json.details[0].field, `query.${query.split('=')[0]}`);
    });
  }

  it('answers a list in the same number of queries whatever the page size', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    await ctx.t.deps.db
      .insert(books)
      .values(Array.from({ length: 60 }, (_, i) => ({ ...rowOf(newBook({ title: `B${i}` })), userUid: reader.uid })));
    // The task runner polls the same database; stopped, it cannot add to the count.
    await ctx.t.tasks?.stop(5000);
    // The token's user and revocation read once, then kept by the auth cache.
    await get('/api/v1/books?limit=1', reader.accessToken);
    const small = await queriesRunBy(ctx.t, () => get('/api/v1/books?limit=1', reader.accessToken));
    const large = await queriesRunBy(ctx.t, () => get('/api/v1/books?limit=100', reader.accessToken));
    const byUser = await queriesRunBy(ctx.t, () => get(`/api/v1/books/user/${reader.uid}?limit=100`, reader.accessToken));
    assert.equal(large, small);
    assert.equal(byUser, small);
    // One for the page with its total: the token's checks come from the auth cache.
    assert.equal(small, 1, `${small} queries`);
  });

  it("lists a user's books only, and answers an unknown user with 404 user_not_found", async () => {
    const ada = await verifiedAccount(ctx.t, ctx.smtp);
    const bob = await verifiedAccount(ctx.t, ctx.smtp);
    await createBook(ctx.t, ada.accessToken, { title: 'Ada 1' });
    await createBook(ctx.t, bob.accessToken, { title: 'Bob 1' });
    await createBook(ctx.t, ada.accessToken, { title: 'Ada 2' });
    const adas = await get(`/api/v1/books/user/${ada.uid}`, bob.accessToken);
    assert.deepEqual(
      adas.json.map((b: { title: string }) => b.title),
      ['Ada 2', 'Ada 1'],
    );
    assert.equal(adas.headers['x-total-count'], '2');
    const none = await verifiedAccount(ctx.t, ctx.smtp);
    const empty = await get(`/api/v1/books/user/${none.uid}`, ada.accessToken);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, []);
    const unknown = await get('/api/v1/books/user/00000000-0000-4000-8000-000000000000', ada.accessToken);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'user_not_found');
    assert.equal((await get('/api/v1/books/user/ada', ada.accessToken)).status, 422);
  });

  it('shows a book with its reviews and tags; an unknown one is 404 book_not_found, a malformed id 422', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const review = await createReview(ctx.t, reader.accessToken, book.uid, 4, 'Spice!');
    await ctx.t.request({
      method: 'POST',
      url: `/api/v1/tags/book/${book.uid}/tags`,
      token: reader.accessToken,
      payload: { tags: [{ name: 'Science Fiction' }] },
    });
    const detail = await get(`/api/v1/books/${book.uid}`, reader.accessToken);
    assert.equal(detail.status, 200);
    assert.equal(detail.json.title, 'Dune');
    assert.deepEqual(
      detail.json.reviews.map((r: { uid: string }) => r.uid),
      [review.uid],
    );
    assert.deepEqual(
      detail.json.tags.map((t: { name: string }) => t.name),
      ['Science Fiction'],
    );
    const unknown = await get('/api/v1/books/00000000-0000-4000-8000-000000000000', reader.accessToken);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'book_not_found');
    const malformed = await get('/api/v1/books/12345', reader.accessToken);
    assert.equal(malformed.status, 422);
    assert.equal(malformed.json.details[0].field, 'path.book_uid');
  });

  it('lets the owner change only the fields given; another user is refused; an admin is allowed', async () => {
    const owner = await verifiedAccount(ctx.t, ctx.smtp);
    const other = await verifiedAccount(ctx.t, ctx.smtp);
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, owner.accessToken);
    const patch = (token: string, payload: object) => ctx.t.request({ method: 'PATCH', url: `/api/v1/books/${book.uid}`, token, payload });

    const changed = await patch(owner.accessToken, { page_count: 500, title: 'Dune (revised)' });
    assert.equal(changed.status, 200);
    assert.equal(changed.json.page_count, 500);
    assert.equal(changed.json.title, 'Dune (revised)');
    assert.equal(changed.json.author, 'Frank Herbert');
    assert.ok(Date.parse(changed.json.updated_at) >= Date.parse(book.updated_at));

    const refused = await patch(other.accessToken, { title: 'Mine now' });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error_code, 'insufficient_permissions');
    assert.equal((await patch(admin.accessToken, { language: 'French' })).json.language, 'French');
    assert.equal((await patch(owner.accessToken, {})).json.title, 'Dune (revised)', 'an empty change changes nothing');
    assert.equal((await patch(owner.accessToken, { page_count: -1 })).status, 422);
    const missing = await ctx.t.request({
      method: 'PATCH',
      url: '/api/v1/books/00000000-0000-4000-8000-000000000000',
      token: owner.accessToken,
      payload: { title: 'x' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error_code, 'book_not_found');
  });

  it('deletes a book with its reviews and tag links, and only for its owner or an admin', async () => {
    const owner = await verifiedAccount(ctx.t, ctx.smtp);
    const other = await verifiedAccount(ctx.t, ctx.smtp);
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const remove = (token: string, uid: string) => ctx.t.request({ method: 'DELETE', url: `/api/v1/books/${uid}`, token });
    const book = await createBook(ctx.t, owner.accessToken);
    await createReview(ctx.t, other.accessToken, book.uid);
    await ctx.t.request({
      method: 'POST',
      url: `/api/v1/tags/book/${book.uid}/tags`,
      token: owner.accessToken,
      payload: { tags: [{ name: 'Classic' }] },
    });

    const refused = await remove(other.accessToken, book.uid);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error_code, 'insufficient_permissions');
    const deleted = await remove(owner.accessToken, book.uid);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await get(`/api/v1/books/${book.uid}`, owner.accessToken)).status, 404);
    const [r] = await ctx.t.deps.db.select({ n: count() }).from(reviews).where(eq(reviews.bookUid, book.uid));
    const [l] = await ctx.t.deps.db.select({ n: count() }).from(bookTags).where(eq(bookTags.bookUid, book.uid));
    const [tg] = await ctx.t.deps.db.select({ n: count() }).from(tags);
    assert.equal(r?.n, 0, 'its reviews went with it');
    assert.equal(l?.n, 0, 'its tag links went with it');
    assert.equal(tg?.n, 1, 'the tag itself stays');
    assert.equal((await remove(owner.accessToken, book.uid)).json.error_code, 'book_not_found');

    const another = await createBook(ctx.t, owner.accessToken);
    assert.equal((await remove(admin.accessToken, another.uid)).status, 204);
  });

  it('refuses an unverified account with 403 account_not_verified and no token with 401', async () => {
    const body = newSignup();
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    const unverified = await login(ctx.t, body.email, body.password);
    for (const [method, url] of [
      ['GET', '/api/v1/books'],
      ['POST', '/api/v1/books'],
      ['GET', '/api/v1/reviews/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/v1/tags'],
    ] as const) {
      const reply = await ctx.t.request({ method, url, token: unverified.accessToken, payload: method === 'POST' ? newBook() : undefined });
      assert.equal(reply.status, 403, `${method} ${url}`);
      assert.equal(reply.json.error_code, 'account_not_verified');
      assert.equal((await ctx.t.request({ method, url, payload: method === 'POST' ? newBook() : undefined })).status, 401);
    }
  });

  it("puts the caller's books and reviews in /me", async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const other = await verifiedAccount(ctx.t, ctx.smtp);
    const mine = await createBook(ctx.t, reader.accessToken);
    const theirs = await createBook(ctx.t, other.accessToken);
    const review = await createReview(ctx.t, reader.accessToken, theirs.uid);
    await createReview(ctx.t, other.accessToken, mine.uid);
    const me = await get('/api/v1/auth/me', reader.accessToken);
    assert.deepEqual(
      me.json.books.map((b: { uid: string }) => b.uid),
      [mine.uid],
    );
    assert.deepEqual(
      me.json.reviews.map((r: { uid: string }) => r.uid),
      [review.uid],
    );
  });
});

function rowOf(book: ReturnType<typeof newBook>) {
  return {
    title: book.title,
    author: book.author,
    publisher: book.publisher,
    publishedDate: book.published_date,
    pageCount: book.page_count,
    language: book.language,
  };
}
