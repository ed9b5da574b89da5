import assert from 'node:assert/strict';
import { it } from 'node:test';
import { count } from 'drizzle-orm';
import { reviews } from '../../../src/db/schema/index.js';
import { adminAccount, verifiedAccount } from '../../support/accounts.js';
import { createBook, createReview, queriesRunBy } from '../../support/catalogue.js';
import { describeEachDatabase } from '../../support/suite.js';

describeEachDatabase('reviews', (ctx) => {
  const post = (token: string, bookUid: string, payload: object) =>
    ctx.t.request({ method: 'POST', url: `/api/v1/reviews/book/${bookUid}`, token, payload });

  it('reviews a book and reads the review back', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const review = await createReview(ctx.t, reader.accessToken, book.uid, 4, 'Slow start, great end.');
    assert.equal(review.rating, 4);
    assert.equal(review.review_text, 'Slow start, great end.');
    assert.equal(review.book_uid, book.uid);
    assert.equal(review.user_uid, reader.uid);
    const read = await ctx.t.request({ method: 'GET', url: `/api/v1/reviews/${review.uid}`, token: reader.accessToken });
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, review);
  });

  for (const [what, body, field] of [
    ['a rating of 0', { rating: 0, review_text: 'x' }, 'body.rating'],
    ['a rating of 6', { rating: 6, review_text: 'x' }, 'body.rating'],
    ['a rating of 3.5', { rating: 3.5, review_text: 'x' }, 'body.rating'],
    ['a rating as text', { rating: '5', review_text: 'x' }, 'body.rating'],
    ['an empty text', { rating: 5, review_text: '' }, 'body.review_text'],
    ['a text of 5,001 characters', { rating: 5, review_text: 'x'.repeat(5001) }, 'body.review_text'],
  ] as const) {
    it(`answers ${what} with 422 and stores nothing`, async () => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const book = await createBook(ctx.t, reader.accessToken);
      const reply = await post(reader.accessToken, book.uid, body);
      assert.equal(reply.status, 422);
      assert.equal(reply.json.details[0].field, field);
      const [{ n } = { n: -1 }] = await ctx.t.deps.db.select({ n: count() }).from(reviews);
      assert.equal(n, 0);
    });
  }

  it('accepts a text of exactly 5,000 characters', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    assert.equal((await post(reader.accessToken, book.uid, { rating: 1, review_text: 'x'.repeat(5000) })).status, 201);
  });

  it('answers a review of a missing book with 404 book_not_found, not a 500', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await post(reader.accessToken, '00000000-0000-4000-8000-000000000000', { rating: 5, review_text: 'Ghost book' });
    assert.equal(reply.status, 404);
    assert.equal(reply.json.error_code, 'book_not_found');
  });

  it('answers an unknown review with 404 review_not_found and a malformed id with 422', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const unknown = await ctx.t.request({
      method: 'GET',
      url: '/api/v1/reviews/00000000-0000-4000-8000-000000000000',
      token: reader.accessToken,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'review_not_found');
    assert.equal((await ctx.t.request({ method: 'GET', url: '/api/v1/reviews/xyz', token: reader.accessToken })).status, 422);
  });

  it('lists every review to an admin only, newest first, paged, in a fixed number of queries', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const written = [];
    for (let i = 1; i <= 5; i++) written.push(await createReview(ctx.t, reader.accessToken, book.uid, i));

    const refused = await ctx.t.request({ method: 'GET', url: '/api/v1/reviews', token: reader.accessToken });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error_code, 'insufficient_permissions');

    const list = await ctx.t.request({ method: 'GET', url: '/api/v1/reviews?limit=2&offset=1', token: admin.accessToken });
    assert.equal(list.status, 200);
    assert.equal(list.headers['x-total-count'], '5');
    assert.deepEqual(
      list.json.map((r: { uid: string }) => r.uid),
      [written[3].uid, written[2].uid],
    );

    await ctx.t.tasks?.stop(5000);
    const one = await queriesRunBy(ctx.t, () => ctx.t.request({ method: 'GET', url: '/api/v1/reviews?limit=1', token: admin.accessToken }));
    const all = await queriesRunBy(ctx.t, () =>
      ctx.t.request({ method: 'GET', url: '/api/v1/reviews?limit=100', token: admin.accessToken }),
    );
    assert.equal(all, one);
  });

  it('deletes a review for its author or an admin only', async () => {
    const author = await verifiedAccount(ctx.t, ctx.smtp);
    const other = await verifiedAccount(ctx.t, ctx.smtp);
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, other.accessToken);
    const remove = (token: string, uid: string) => ctx.t.request({ method: 'DELETE', url: `/api/v1/reviews/${uid}`, token });
    const first = await createReview(ctx.t, author.accessToken, book.uid);
    const refused = await remove(other.accessToken, first.uid);
    assert.equal(refused.status, 403, 'owning the book is not owning the review');
    assert.equal(refused.json.error_code, 'insufficient_permissions');
    assert.equal((await remove(author.accessToken, first.uid)).status, 204);
    assert.equal((await remove(author.accessToken, first.uid)).json.error_code, 'review_not_found');
    const second = await createReview(ctx.t, author.accessToken, book.uid);
    assert.equal((await remove(admin.accessToken, second.uid)).status, 204);
  });
});
