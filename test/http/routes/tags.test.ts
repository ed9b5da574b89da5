import assert from 'node:assert/strict';
import { it } from 'node:test';
import { count } from 'drizzle-orm';
import { bookTags, tags } from '../../../src/db/schema/index.js';
import { adminAccount, type TestAccount, verifiedAccount } from '../../support/accounts.js';
import { createBook } from '../../support/catalogue.js';
import { describeEachDatabase } from '../../support/suite.js';

describeEachDatabase('tags', (ctx) => {
  const create = (token: string, name: unknown) => ctx.t.request({ method: 'POST', url: '/api/v1/tags', token, payload: { name } });
  const attach = (token: string, bookUid: string, names: string[]) =>
    ctx.t.request({ method: 'POST', url: `/api/v1/tags/book/${bookUid}/tags`, token, payload: { tags: names.map((name) => ({ name })) } });
  const counts = async () => {
    const [t] = await ctx.t.deps.db.select({ n: count() }).from(tags);
    const [l] = await ctx.t.deps.db.select({ n: count() }).from(bookTags);
    return { tags: t?.n, links: l?.n };
  };

  it('creates tags, lists them by name, and refuses a name taken in any case with 409 tag_exists', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const fantasy = await create(reader.accessToken, 'Fantasy');
    assert.equal(fantasy.status, 201);
    assert.equal(fantasy.json.name, 'Fantasy');
    assert.deepEqual(Object.keys(fantasy.json).sort(), ['created_at', 'name', 'uid']);
    await create(reader.accessToken, 'crime');
    const taken = await create(reader.accessToken, 'FANTASY');
    assert.equal(taken.status, 409);
    assert.equal(taken.json.error_code, 'tag_exists');
    const list = await ctx.t.request({ method: 'GET', url: '/api/v1/tags', token: reader.accessToken });
    assert.deepEqual(
      list.json.map((t: { name: string }) => t.name),
      ['crime', 'Fantasy'],
    );
  });

  for (const [what, name] of [
    ['an empty name', ''],
    ['a name of 51 characters', 'x'.repeat(51)],
    ['a number', 7],
    ['a blank name', '   '],
  ] as const) {
    it(`answers ${what} with 422`, async () => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const reply = await create(reader.accessToken, name);
      assert.equal(reply.status, 422);
      assert.equal(reply.json.details[0].field, 'body.name');
    });
  }

  it('tags a book: missing tags are created, existing ones reused in any case, none linked twice', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    await create(reader.accessToken, 'Classic');
    const reply = await attach(reader.accessToken, book.uid, ['classic', 'Desert', 'desert', 'Space Opera']);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.uid, book.uid);
    assert.deepEqual(reply.json.reviews, []);
    assert.deepEqual(
      reply.json.tags.map((t: { name: string }) => t.name),
      ['Classic', 'Desert', 'Space Opera'],
    );
    const again = await attach(reader.accessToken, book.uid, ['DESERT', 'Classic']);
    assert.equal(again.json.tags.length, 3);
    assert.deepEqual(await counts(), { tags: 3, links: 3 });
  });

  it('answers tags for a missing book with 404 book_not_found, creating no tag', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await attach(reader.accessToken, '00000000-0000-4000-8000-000000000000', ['Orphan']);
    assert.equal(reply.status, 404);
    assert.equal(reply.json.error_code, 'book_not_found');
    assert.deepEqual(await counts(), { tags: 0, links: 0 });
  });

  it('lets racing requests that name the same new tag all succeed, leaving one tag and one link', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => attach(reader.accessToken, book.uid, [i % 2 ? 'Race' : 'RACE', 'Photo Finish'])),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(8).fill(200),
      JSON.stringify(replies.map((r) => r.json)),
    );
    assert.deepEqual(await counts(), { tags: 2, links: 2 });
    const creates = await Promise.all(Array.from({ length: 4 }, () => create(reader.accessToken, 'Duel')));
    assert.deepEqual(creates.map((r) => r.status).sort(), [201, 409, 409, 409]);
  });

  it('renames and deletes tags for an admin only; the rename keeps the name unique', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const scifi = (await create(reader.accessToken, 'scifi')).json;
    await create(reader.accessToken, 'Horror');
    await attach(reader.accessToken, book.uid, ['scifi', 'Horror']);
    const rename = (account: TestAccount, uid: string, name: string) =>
      ctx.t.request({ method: 'PUT', url: `/api/v1/tags/${uid}`, token: account.accessToken, payload: { name } });
    const remove = (account: TestAccount, uid: string) =>
      ctx.t.request({ method: 'DELETE', url: `/api/v1/tags/${uid}`, token: account.accessToken });

    assert.equal((await rename(reader, scifi.uid, 'Sci-Fi')).json.error_code, 'insufficient_permissions');
    const renamed = await rename(admin, scifi.uid, 'Science Fiction');
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.name, 'Science Fiction');
    assert.equal((await rename(admin, scifi.uid, 'SCIENCE FICTION')).status, 200, 'a tag may change the case of its own name');
    const clash = await rename(admin, scifi.uid, 'horror');
    assert.equal(clash.status, 409);
    assert.equal(clash.json.error_code, 'tag_exists');
    const unknown = await rename(admin, '00000000-0000-4000-8000-000000000000', 'x');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'tag_not_found');

    assert.equal((await remove(reader, scifi.uid)).status, 403);
    assert.equal((await remove(admin, scifi.uid)).status, 204);
    assert.equal((await remove(admin, scifi.uid)).json.error_code, 'tag_not_found');
    const detail = await ctx.t.request({ method: 'GET', url: `/api/v1/books/${book.uid}`, token: reader.accessToken });
    assert.deepEqual(
      detail.json.tags.map((t: { name: string }) => t.name),
      ['Horror'],
      'the book stays, without the deleted tag',
    );
  });
});
