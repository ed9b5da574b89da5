import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eq } from 'drizzle-orm';
import type { SessionUser } from '../../src/auth/auth-cache.js';
import type { Database } from '../../src/db/client.js';
import { users } from '../../src/db/schema/index.js';
import { linkFromMail, login, newSignup, type TestAccount, verifiedAccount } from '../support/accounts.js';
import { createBook } from '../support/catalogue.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Statements `work` ran, counted twice: by drizzle's logger (`database.stats`) and by the driver
 * itself (every `query` call on the pg pool or the PGlite client), which must agree.
 */
async function statementsRunBy(database: Database, work: () => Promise<unknown>): Promise<number> {
  const { driver } = database;
  const target: { query: (...args: never[]) => unknown } = driver.kind === 'postgres' ? driver.pool : driver.client;
  const original = target.query;
  let driverCount = 0;
  target.query = function (this: unknown, ...args: never[]) {
    driverCount++;
    return original.apply(this, args);
  };
  const before = database.stats.queries;
  try {
    await work();
  } finally {
    target.query = original;
  }
  const counted = database.stats.queries - before;
  assert.equal(driverCount, counted, 'the driver ran as many statements as drizzle logged');
  return counted;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - start;
}

/** Milliseconds until `seen` is true, asking again and again; fails after `limitMs`. */
async function seenWithin(limitMs: number, seen: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await seen()) return performance.now() - start;
    if (performance.now() - start > limitMs) assert.fail(`not seen within ${limitMs} ms`);
  }
}

/** Only what the changing code path itself does is left: the database's notices are ignored. */
function deafen(t: TestApp): void {
  t.deps.authCache.applyNotice = () => {};
}

describeEachDatabase('auth cache', (ctx) => {
  const getBook = (uid: string, token: string) => ctx.t.request({ method: 'GET', url: `/api/v1/books/${uid}`, token });
  const adminList = (token: string) => ctx.t.request({ method: 'GET', url: '/api/v1/reviews', token });

  /** A verified reader with a book, its token warm in the cache; the task runner stopped (it queries too). */
  async function warmReader(stopRunner = true): Promise<{ account: TestAccount; bookUid: string }> {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const book = await createBook(ctx.t, account.accessToken);
    if (stopRunner) await ctx.t.tasks?.stop(5000);
    assert.equal((await getBook(book.uid, account.accessToken)).status, 200);
    return { account, bookUid: book.uid };
  }

  it('answers a warm authenticated read with its one data statement (three with the cache off)', async () => {
    const { account, bookUid } = await warmReader();
    assert.ok(ctx.t.deps.authCache.enabled, 'the listener is up, so the cache is on');
    const warm = await statementsRunBy(ctx.t.deps.database, async () => {
      assert.equal((await getBook(bookUid, account.accessToken)).status, 200);
    });
    assert.equal(warm, 1);

    // The same request on an app with the cache off, as before it existed.
    const off = await startTestApp({ db: ctx.db, smtp: ctx.smtp, env: { AUTH_CACHE_SIZE: '0' }, runner: false });
    try {
      await off.request({ method: 'GET', url: `/api/v1/books/${bookUid}`, token: account.accessToken });
      assert.equal(off.deps.authCache.enabled, false);
      const uncached = await statementsRunBy(off.deps.database, async () => {
        const reply = await off.request({ method: 'GET', url: `/api/v1/books/${bookUid}`, token: account.accessToken });
        assert.equal(reply.status, 200);
      });
      assert.equal(uncached, 3, 'its user, its revocation, the book');
      console.log(`[${ctx.kind}] statements per warm GET /books/{id}: ${uncached} with AUTH_CACHE_SIZE=0, ${warm} with the cache`);
    } finally {
      await off.close();
    }
  });

  it('takes a role change made here at once, without waiting for the notice', async () => {
    const { account } = await warmReader();
    assert.equal((await adminList(account.accessToken)).status, 403);
    deafen(ctx.t);
    await ctx.t.deps.accounts.promoteToAdmin(account.email);
    assert.equal((await adminList(account.accessToken)).status, 200);
  });

  it('takes a verification at once', async () => {
    const body = newSignup();
    assert.equal((await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body })).status, 201);
    const link = await linkFromMail(ctx.smtp, body.email, /verify/i);
    const { accessToken } = await login(ctx.t, body.email, body.password);
    const me = () => ctx.t.request({ method: 'GET', url: '/api/v1/auth/me', token: accessToken });
    assert.equal((await me()).json.error_code, 'account_not_verified');
    assert.equal((await me()).json.error_code, 'account_not_verified', 'answered from the cache too');
    deafen(ctx.t);
    assert.equal((await ctx.t.request({ method: 'GET', url: link })).status, 200);
    const after = await me();
    assert.equal(after.status, 200, after.text);
    assert.equal(after.json.is_verified, true);
  });

  it('refuses the old tokens at once after a password reset', async () => {
    const { account, bookUid } = await warmReader(false);
    const reset = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email: account.email } });
    assert.equal(reset.status, 200, reset.text);
    const path = await linkFromMail(ctx.smtp, account.email, /reset/i);
    assert.equal((await getBook(bookUid, account.accessToken)).status, 200, 'still warm');
    deafen(ctx.t);
    const password = 'a brand new passphrase';
    const confirm = await ctx.t.request({ method: 'POST', url: path, payload: { new_password: password, confirm_new_password: password } });
    assert.equal(confirm.status, 200, confirm.text);
    const old = await getBook(bookUid, account.accessToken);
    assert.equal(old.status, 401);
    assert.equal(old.json.error_code, 'token_revoked');
  });

  it('refuses a logged-out session at once', async () => {
    const { account, bookUid } = await warmReader();
    deafen(ctx.t);
    assert.equal(
      (await ctx.t.request({ method: 'POST', url: '/api/v1/auth/logout', token: account.accessToken, payload: {} })).status,
      200,
    );
    const reply = await getBook(bookUid, account.accessToken);
    assert.equal(reply.status, 401);
    assert.equal(reply.json.error_code, 'token_revoked');
    const refreshed = await ctx.t.request({ method: 'GET', url: '/api/v1/auth/refresh_token', token: account.refreshToken });
    assert.equal(refreshed.json.error_code, 'token_revoked');
  });

  it('hears of a change made in SQL, outside the services, through the database', async () => {
    const { account } = await warmReader();
    assert.equal((await adminList(account.accessToken)).status, 403);
    await ctx.t.deps.db.update(users).set({ role: 'admin' }).where(eq(users.uid, account.uid));
    const ms = await seenWithin(10_000, async () => (await adminList(account.accessToken)).status === 200);
    console.log(`[${ctx.kind}] a role change in SQL seen by the same process's cache after ${ms.toFixed(1)} ms`);
  });

  it('does not keep a read that began before an invalidation and ended after it', async () => {
    const { account } = await warmReader();
    const cache = ctx.t.deps.authCache;
    cache.forgetUser(account.uid);
    // The read takes the row as it was, then waits while the promotion commits and invalidates.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stale = cache.user(account.uid, async () => {
      const row = await ctx.t.deps.accounts.sessionUser(account.uid);
      await held;
      return row;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The promotion's own invalidation only: the database's notice of it would come a little later, a second one.
    deafen(ctx.t);
    await ctx.t.deps.accounts.promoteToAdmin(account.email);
    release();
    assert.equal((await stale)?.role, 'user', 'the read itself answers what it read');
    let loads = 0;
    const next = await cache.user(account.uid, async () => {
      loads++;
      return ctx.t.deps.accounts.sessionUser(account.uid);
    });
    assert.equal(loads, 1, 'the stale row was not stored: the next read goes to the database');
    assert.equal(next?.role, 'admin');
    const again = await cache.user(account.uid, async (): Promise<SessionUser | undefined> => {
      throw new Error('a fill made with no invalidation since is kept');
    });
    assert.equal(again?.role, 'admin');
  });

  // Only on PostgreSQL: PGlite listens in-process, with no connection to lose.
  if (ctx.kind === 'postgres') {
    it('goes to the database while the listening connection is down, and caches again once it is back', async () => {
      const { account, bookUid } = await warmReader();
      const cache = ctx.t.deps.authCache;
      await dropListener(ctx);
      await waitFor('the cache to turn off', () => !cache.enabled);
      const down = await statementsRunBy(ctx.t.deps.database, () => getBook(bookUid, account.accessToken));
      assert.equal(down, 3, 'every check goes to the database');
      // No notice can arrive now; the change is seen because the cache is off.
      await ctx.t.deps.db.update(users).set({ role: 'admin' }).where(eq(users.uid, account.uid));
      assert.equal((await adminList(account.accessToken)).status, 200);
      assert.equal(cache.enabled, false, 'still off during the checks above');

      const back = await waitFor('the cache to turn on again', () => cache.enabled);
      console.log(`[postgres] listener back ${back.toFixed(0)} ms after the cache turned off`);
      await getBook(bookUid, account.accessToken);
      assert.equal(await statementsRunBy(ctx.t.deps.database, () => getBook(bookUid, account.accessToken)), 1);
      await ctx.t.deps.db.update(users).set({ role: 'user' }).where(eq(users.uid, account.uid));
      await seenWithin(10_000, async () => (await adminList(account.accessToken)).status === 403);
    });
  }
});

/** Ends the API's listening connection from the server side, as a restart or an operator would. */
async function dropListener(ctx: SuiteContext): Promise<void> {
  const { driver } = ctx.db.database;
  assert.equal(driver.kind, 'postgres');
  const { rows } = await driver.pool.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`,
  );
  assert.equal(rows.length, 1, 'one listening connection');
}
