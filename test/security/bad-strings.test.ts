import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { count, eq, getTableName, isTable, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../src/db/schema/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { adminAccount, newSignup, verifiedAccount } from '../support/accounts.js';
import { createBook, newBook } from '../support/catalogue.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';
import { type Reply, startTestApp } from '../support/test-app.js';

/** Refused in every string field: [what, value, what the detail says]. */
const badInputs: [string, string, RegExp][] = [
  ['U+0000', 'a\u0000b', /must not contain U\+0000/],
  ['a lone high surrogate', '\ud800', /lone surrogate/],
  ['a lone low surrogate', 'x\udc00', /lone surrogate/],
  // PGlite's decoder would drop it on the way back, PostgreSQL would keep it: refused on both.
  ['a leading byte-order mark', '\uFEFFtext', /must not start with U\+FEFF/],
];

/** Accepted, stored and read back as sent, on both databases. */
const goodInputs: [string, string][] = [
  ['a right-to-left mark', '\u200f'],
  ['an emoji', '😀'],
  ['a byte-order mark inside the text', 'a\uFEFFb'],
  ['Hebrew with a right-to-left mark', 'שלום\u200f!'],
];

interface Probe {
  /** Sends `value` in the field. */
  send(value: string): Promise<Reply>;
  /** What the field holds now, where a refused request could have changed it (an existing book or tag). */
  current?(): Promise<unknown>;
  /** What the database gives back after `reply` to `value` succeeded: the value, or the values among which it must be. */
  readBack(reply: Reply, value: string): Promise<string | string[]>;
}

interface Field {
  /** How the details name it. */
  field: string;
  what: string;
  prepare(ctx: SuiteContext): Promise<Probe>;
  /** Puts the input where the field's other rules hold (a password's length, an email's form); the input stays at the start. */
  wrap?(value: string): string;
  /** The detail's message when it is not the bad-character one (an email's format says it first). */
  message?: RegExp;
  /** False when no input of the good ones is a valid value (an email). */
  controls?: boolean;
}

const bookFields = ['title', 'author', 'publisher', 'language'] as const;

const fields: Field[] = [
  ...(['first_name', 'last_name', 'username'] as const).map(
    (key): Field => ({
      field: `body.${key}`,
      what: `signup ${key}`,
      prepare: async (ctx) => ({
        send: (value) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: newSignup({ [key]: value }) }),
        readBack: async (reply) => {
          const [row] = await ctx.t.deps.db.select().from(schema.users).where(eq(schema.users.uid, reply.json.user.uid));
          return { first_name: row?.firstName, last_name: row?.lastName, username: row?.username }[key] ?? '';
        },
      }),
    }),
  ),
  {
    field: 'body.email',
    what: 'signup email',
    wrap: (value) => `${value}@example.com`,
    message: /email address/,
    controls: false,
    prepare: async (ctx) => ({
      send: (value) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: newSignup({ email: value }) }),
      readBack: async () => '',
    }),
  },
  {
    field: 'body.password',
    what: 'signup password',
    wrap: (value) => `${value} and a long enough password`,
    prepare: async (ctx) => ({
      send: (value) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: newSignup({ password: value }) }),
      // Only its hash is kept: the password reads back as the one that logs in.
      readBack: async (reply, value) => {
        const login = await ctx.t.request({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: reply.json.user.email, password: value },
        });
        return login.status === 200 ? value : `login answered ${login.status}`;
      },
    }),
  },
  ...(['subject', 'html'] as const).map(
    (key): Field => ({
      field: `body.${key}`,
      what: `send_mail ${key}`,
      prepare: async (ctx) => {
        const admin = await adminAccount(ctx.t, ctx.smtp);
        return {
          send: (value) =>
            ctx.t.request({
              method: 'POST',
              url: '/api/v1/auth/send_mail',
              token: admin.accessToken,
              payload: { addresses: ['reader@example.com'], [key]: value },
            }),
          readBack: async (reply) => {
            const [task] = await ctx.t.deps.db.select().from(schema.tasks).where(eq(schema.tasks.id, reply.json.task_id));
            assert.ok(task, 'the bulk task exists');
            const { mailingId } = task.payload as { mailingId: string };
            const [mailing] = await ctx.t.deps.db.select().from(schema.mailings).where(eq(schema.mailings.id, mailingId));
            return mailing?.[key] ?? '';
          },
        };
      },
    }),
  ),
  ...bookFields.map(
    (key): Field => ({
      field: `body.${key}`,
      what: `book ${key} on POST`,
      prepare: async (ctx) => {
        const reader = await verifiedAccount(ctx.t, ctx.smtp);
        return {
          send: (value) =>
            ctx.t.request({ method: 'POST', url: '/api/v1/books', token: reader.accessToken, payload: newBook({ [key]: value }) }),
          readBack: async (reply) =>
            (await ctx.t.request({ method: 'GET', url: `/api/v1/books/${reply.json.uid}`, token: reader.accessToken })).json[key],
        };
      },
    }),
  ),
  ...bookFields.map(
    (key): Field => ({
      field: `body.${key}`,
      what: `book ${key} on PATCH`,
      prepare: async (ctx) => {
        const reader = await verifiedAccount(ctx.t, ctx.smtp);
        const book = await createBook(ctx.t, reader.accessToken);
        const read = async () =>
          (await ctx.t.request({ method: 'GET', url: `/api/v1/books/${book.uid}`, token: reader.accessToken })).json[key];
        return {
          send: (value) =>
            ctx.t.request({ method: 'PATCH', url: `/api/v1/books/${book.uid}`, token: reader.accessToken, payload: { [key]: value } }),
          current: read,
          readBack: read,
        };
      },
    }),
  ),
  {
    field: 'body.review_text',
    what: 'review text',
    prepare: async (ctx) => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const book = await createBook(ctx.t, reader.accessToken);
      return {
        send: (value) =>
          ctx.t.request({
            method: 'POST',
            url: `/api/v1/reviews/book/${book.uid}`,
            token: reader.accessToken,
            payload: { rating: 4, review_text: value },
          }),
        readBack: async (reply) =>
          (await ctx.t.request({ method: 'GET', url: `/api/v1/reviews/${reply.json.uid}`, token: reader.accessToken })).json.review_text,
      };
    },
  },
  {
    field: 'body.name',
    what: 'tag name on create',
    prepare: async (ctx) => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      return {
        send: (value) => ctx.t.request({ method: 'POST', url: '/api/v1/tags', token: reader.accessToken, payload: { name: value } }),
        readBack: async (reply) => {
          const list = await ctx.t.request({ method: 'GET', url: '/api/v1/tags', token: reader.accessToken });
          return list.json.find((tag: { uid: string }) => tag.uid === reply.json.uid)?.name ?? '';
        },
      };
    },
  },
  {
    field: 'body.name',
    what: 'tag name on rename',
    prepare: async (ctx) => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      const created = await ctx.t.request({ method: 'POST', url: '/api/v1/tags', token: admin.accessToken, payload: { name: 'Original' } });
      assert.equal(created.status, 201, created.text);
      const read = async () => {
        const list = await ctx.t.request({ method: 'GET', url: '/api/v1/tags', token: admin.accessToken });
        return list.json.find((tag: { uid: string }) => tag.uid === created.json.uid)?.name ?? '';
      };
      return {
        send: (value) =>
          ctx.t.request({ method: 'PUT', url: `/api/v1/tags/${created.json.uid}`, token: admin.accessToken, payload: { name: value } }),
        current: read,
        readBack: read,
      };
    },
  },
  {
    field: 'body.tags.0.name',
    what: 'tag name on attach',
    prepare: async (ctx) => {
      const reader = await verifiedAccount(ctx.t, ctx.smtp);
      const book = await createBook(ctx.t, reader.accessToken);
      return {
        send: (value) =>
          ctx.t.request({
            method: 'POST',
            url: `/api/v1/tags/book/${book.uid}/tags`,
            token: reader.accessToken,
            payload: { tags: [{ name: value }] },
          }),
        readBack: async () =>
          (await ctx.t.request({ method: 'GET', url: `/api/v1/books/${book.uid}`, token: reader.accessToken })).json.tags.map(
            (tag: { name: string }) => tag.name,
          ),
      };
    },
  },
];

const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => isTable(value));

describeEachDatabase('bad strings, dates and tag names', (ctx) => {
  /** How many rows every table has: a refused request leaves them as they were. */
  const rowCounts = async () => {
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const [row] = await ctx.t.deps.db.select({ n: count() }).from(table);
      counts[getTableName(table)] = row?.n ?? -1;
    }
    return counts;
  };

  for (const f of fields) {
    it(`${f.what}: U+0000, lone surrogates and a leading BOM are a 422 naming ${f.field} and change nothing${f.controls === false ? '' : '; other text is kept as sent'}`, async () => {
      const probe = await f.prepare(ctx);
      const wrap = f.wrap ?? ((value: string) => value);
      for (const [what, input, message] of badInputs) {
        const before = { rows: await rowCounts(), current: await probe.current?.() };
        const reply = await probe.send(wrap(input));
        assert.equal(reply.status, 422, `${what}: ${reply.text}`);
        assert.equal(reply.json.error_code, 'validation_error', what);
        const detail = reply.json.details.find((d: { field: string }) => d.field === f.field);
        assert.ok(detail, `${what}: a detail names ${f.field}: ${reply.text}`);
        assert.match(detail.message, f.message ?? message, what);
        assert.deepEqual({ rows: await rowCounts(), current: await probe.current?.() }, before, `${what} changed nothing`);
      }
      if (f.controls === false) return;
      for (const [what, input] of goodInputs) {
        const value = wrap(input);
        const reply = await probe.send(value);
        assert.ok([200, 201, 202].includes(reply.status), `${what}: ${reply.status} ${reply.text}`);
        const stored = await probe.readBack(reply, value);
        if (Array.isArray(stored))
          assert.ok(stored.includes(value), `${what}: ${JSON.stringify(value)} is among ${JSON.stringify(stored)}`);
        else assert.equal(stored, value, `${what} reads back as sent`);
      }
    });
  }

  it('takes a published_date that is a real day from year 1, and answers year 0 or a day that does not exist with 422 naming it', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    const post = (published_date: string) =>
      ctx.t.request({ method: 'POST', url: '/api/v1/books', token: reader.accessToken, payload: newBook({ published_date }) });
    const patch = (published_date: string) =>
      ctx.t.request({ method: 'PATCH', url: `/api/v1/books/${book.uid}`, token: reader.accessToken, payload: { published_date } });
    for (const date of ['0000-01-01', '2023-02-29', '0001-02-29', '1965-13-01', '1965-04-31']) {
      for (const [method, send] of [
        ['POST', post],
        ['PATCH', patch],
      ] as const) {
        const before = await rowCounts();
        const reply = await send(date);
        assert.equal(reply.status, 422, `${method} ${date}: ${reply.text}`);
        assert.deepEqual(reply.json.details, [{ field: 'body.published_date', message: 'must be a valid date' }], `${method} ${date}`);
        assert.deepEqual(await rowCounts(), before);
      }
    }
    const unchanged = await ctx.t.request({ method: 'GET', url: `/api/v1/books/${book.uid}`, token: reader.accessToken });
    assert.equal(unchanged.json.published_date, '1965-08-01');
    for (const date of ['0001-01-01', '2024-02-29', '2000-02-29', '9999-12-31']) {
      const created = await post(date);
      assert.equal(created.status, 201, `${date}: ${created.text}`);
      const read = await ctx.t.request({ method: 'GET', url: `/api/v1/books/${created.json.uid}`, token: reader.accessToken });
      assert.equal(read.json.published_date, date);
      const patched = await patch(date);
      assert.equal(patched.status, 200, `${date}: ${patched.text}`);
      assert.equal(patched.json.published_date, date);
    }
  });

  const tagCounts = async () => {
    const [t] = await ctx.t.deps.db.select({ n: count() }).from(schema.tags);
    const [l] = await ctx.t.deps.db.select({ n: count() }).from(schema.bookTags);
    return { tags: t?.n, links: l?.n };
  };
  const attach = (token: string, bookUid: string, names: string[]) =>
    ctx.t.request({ method: 'POST', url: `/api/v1/tags/book/${bookUid}/tags`, token, payload: { tags: names.map((name) => ({ name })) } });
  const names = (reply: Reply) => reply.json.tags.map((tag: { name: string }) => tag.name).sort();

  // JavaScript lower-cases "ΟΔΟΣ1" to "οδος1" (a final sigma) and "İX" to "i̇x" (with a combining dot);
  // PostgreSQL's lower(), which the unique index uses, to "οδοσ1" and "ix".
  const created = ['ΟΔΟΣ1', 'İX', 'Straße'];
  const sameInAnyCase = ['οδοσ1', 'Οδοσ1', 'ΟΔΟΣ1', 'ix', 'IX', 'iX', 'straße', 'STRAßE'];

  it('creates, attaches and re-attaches tags whose lower case JavaScript and PostgreSQL disagree on, never twice', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    for (const name of created) {
      const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/tags', token: reader.accessToken, payload: { name } });
      assert.equal(reply.status, 201, reply.text);
      assert.equal(reply.json.name, name);
    }
    const first = await attach(reader.accessToken, book.uid, created);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(names(first), [...created].sort());
    for (const name of sameInAnyCase) {
      const again = await attach(reader.accessToken, book.uid, [name]);
      assert.equal(again.status, 200, `${name}: ${again.text}`);
      assert.deepEqual(names(again), [...created].sort(), name);
      const taken = await ctx.t.request({ method: 'POST', url: '/api/v1/tags', token: reader.accessToken, payload: { name } });
      assert.equal(taken.status, 409, `${name}: ${taken.text}`);
      assert.equal(taken.json.error_code, 'tag_exists');
    }
    assert.deepEqual(await tagCounts(), { tags: 3, links: 3 });
  });

  it('creates tags of that kind on attach, once each, also when one request names them in several cases', async () => {
    const reader = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, reader.accessToken);
    // Neither exists yet, and a lookup by JavaScript's lower case would find neither.
    const fresh = await attach(reader.accessToken, book.uid, ['ΟΔΟΣ1', 'İX']);
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual(names(fresh), ['İX', 'ΟΔΟΣ1']);
    const other = await createBook(ctx.t, reader.accessToken);
    const several = await attach(reader.accessToken, other.uid, ['Straße', ...sameInAnyCase]);
    assert.equal(several.status, 200, several.text);
    assert.deepEqual(names(several), [...created].sort(), 'the first spelling of a new tag is the one kept');
    assert.deepEqual(await tagCounts(), { tags: 3, links: 5 });
  });

  it('logs a failed statement with its class and SQLSTATE, never its parameters, the row, the credentials or a link token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // A constraint no service maps to a client error: the signup's insert fails and answers 500.
    await ctx.db.database.db.execute(sql`alter table users add constraint bad_strings_forced check (first_name <> 'Forced')`);
    const t = await startTestApp({ db: ctx.db, smtp: ctx.smtp, log: createLogger({ logLevel: 'info', env: 'test' }, sink) });
    try {
      const body = newSignup({ first_name: 'Forced', last_name: 'Distinctive-Surname' });
      const reply = await t.request({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: body,
        headers: { authorization: 'Bearer header-secret-value', cookie: 'session=cookie-secret-value' },
      });
      assert.equal(reply.status, 500, reply.text);
      assert.equal(reply.json.error_code, 'server_error');
      const link = await t.request({ method: 'GET', url: '/api/v1/auth/verify/made-up-link-token-value' });
      assert.equal(link.status, 400);

      const log = lines.join('');
      for (const secret of [
        'params:',
        'insert into',
        'Failing row',
        '$argon2id$',
        body.email,
        body.username,
        body.password,
        'Distinctive-Surname',
        'header-secret-value',
        'cookie-secret-value',
        'made-up-link-token-value',
      ]) {
        assert.ok(!log.includes(secret), `the log carries ${JSON.stringify(secret)}:\n${log}`);
      }
      const failed = log
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((entry) => entry.msg === 'request failed');
      assert.ok(failed, lines.join(''));
      assert.equal(failed.err.type, 'DrizzleQueryError', 'the class is kept');
      assert.equal(failed.err.cause.code, '23514', "the driver's code is kept");
      assert.match(failed.err.cause.message, /violates check constraint "bad_strings_forced"/, "the driver's message is kept");
      assert.equal(failed.err.cause.constraint, 'bad_strings_forced');
    } finally {
      await t.close();
      await ctx.db.database.db.execute(sql`alter table users drop constraint if exists bad_strings_forced`);
    }
  });
});
