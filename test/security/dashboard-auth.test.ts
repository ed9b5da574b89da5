import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { argon2Verifier, type PasswordVerifier } from '../../src/auth/passwords.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { lanePauses } from '../../src/db/schema/index.js';
import { adminAccount, linkFromMail, type TestAccount, verifiedAccount } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { OwnPostgres } from '../support/own-postgres.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { type Reply, smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

/** The argon2 verifier, counting the verifications it does (real and decoy alike). */
function countingVerifier(): PasswordVerifier & { count: number } {
  const counter = {
    count: 0,
    verify(passwordHash: string, password: string) {
      counter.count++;
      return argon2Verifier.verify(passwordHash, password);
    },
    verifyDecoy(password: string) {
      counter.count++;
      return argon2Verifier.verifyDecoy(password);
    },
  };
  return counter;
}

const basic = (email: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` });

/** A refusal in the contract's shape, with nothing of Bull Board, a query or a stack in it. */
function assertRefused(reply: Reply, status: number, code: string, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.text}`);
  assert.equal(reply.json?.error_code, code, what);
  assert.equal(typeof reply.json.message, 'string', what);
  assert.deepEqual(
    Object.keys(reply.json).filter((key) => !['message', 'error_code', 'resolution', 'details'].includes(key)),
    [],
    `${what}: only the contract's fields`,
  );
  assert.doesNotMatch(reply.text, /bull|select|params|password_hash|\bat .*\.[jt]s:\d+/i, what);
}

/** The dashboard's basic auth (Redis mode) tried as an attacker would: brute force, enumeration, an old password, a dead database. */
describe('admin basic auth on /admin/queues', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let prefix: string;
  let t: TestApp | undefined;
  let verifier: ReturnType<typeof countingVerifier>;
  let admin: TestAccount;
  let user: TestAccount;

  const start = async (authRateLimit: number) => {
    t = await startTestApp({
      db,
      smtp,
      // The API runs the tasks too, so that the verification and reset mails go out without a worker.
      env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, API_RUNS_TASKS: 'true', AUTH_RATE_LIMIT: String(authRateLimit) },
      passwords: verifier,
    });
    admin = await adminAccount(t, smtp);
    user = await verifiedAccount(t, smtp);
    return t;
  };
  const dashboard = (headers: Record<string, string>, from = '127.0.0.1', url = '/admin/queues') =>
    (t as TestApp).request({ method: 'GET', url, headers, remoteAddress: from });

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(async () => {
    await smtp.close();
    await db.close();
  });
  beforeEach(async () => {
    await db.reset();
    smtp.reset();
    prefix = testPrefix();
    verifier = countingVerifier();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await deleteKeys(redisUrl, prefix);
  });

  it("admits an admin's email and password, to the page and its API; tells a non-admin it is not one; refuses anything else with 401 and a Basic challenge", async () => {
    await start(0);
    for (const [what, headers] of [
      ['no credentials', {}],
      ["an admin's email, a wrong password", basic(admin.email, 'wrong password')],
      ["a non-admin's email, a wrong password", basic(user.email, 'wrong password')],
      ['an unknown email', basic('nobody@example.com', admin.password)],
      ['a header that is not base64', { authorization: 'Basic !!!' }],
      ['a bearer token', { authorization: `Bearer ${admin.accessToken}` }],
    ] as const) {
      const refused = await dashboard(headers);
      assertRefused(refused, 401, 'invalid_email_or_password', what);
      assert.match(String(refused.headers['www-authenticate']), /^Basic realm="[^"]+"/, what);
    }
    // The right password of an account that is not an admin: nothing was guessed, so it is told what is wrong.
    const notAdmin = await dashboard(basic(user.email, user.password));
    assertRefused(notAdmin, 403, 'insufficient_permissions', "a non-admin's email and password");
    assert.equal(notAdmin.json.message, 'This account is not an admin');
    assert.match(notAdmin.json.resolution, /users:promote/);
    assert.equal(notAdmin.headers['www-authenticate'], undefined, 'no challenge: retyping the same password would not help');
    const page = await dashboard(basic(admin.email.toUpperCase(), admin.password));
    assert.equal(page.status, 200);
    assert.match(page.text, /<base href="\/admin\/queues\/"/);
    const api = await dashboard(basic(admin.email, admin.password), '127.0.0.1', '/admin/queues/api/queues');
    assert.equal(api.status, 200);
    assert.deepEqual(api.json.queues.map((queue: { name: string }) => queue.name).sort(), ['bulk', 'default']);
    const theirs = await dashboard(basic(user.email, user.password), '127.0.0.1', '/admin/queues/api/queues');
    assertRefused(theirs, 403, 'insufficient_permissions', 'its API too');
    assert.doesNotMatch(page.text, /fonts\.googleapis|fonts\.gstatic/, 'the page asks no other host for its fonts');
    assert.doesNotMatch(String(page.headers['content-security-policy']), /https:/, 'its policy lets nothing come from another host');

    // The task console has the same guard.
    for (const url of ['/admin/tasks', '/admin/tasks/console.js']) {
      assertRefused(await dashboard(basic(user.email, user.password), '127.0.0.1', url), 403, 'insufficient_permissions', url);
      assertRefused(await dashboard(basic(user.email, 'wrong password'), '127.0.0.1', url), 401, 'invalid_email_or_password', url);
      assert.equal((await dashboard(basic(admin.email, admin.password), '127.0.0.1', url)).status, 200, url);
    }
    const pause = await (t as TestApp).request({
      method: 'POST',
      url: '/admin/tasks/lanes/bulk/pause',
      headers: basic(user.email, user.password),
    });
    assertRefused(pause, 403, 'insufficient_permissions', 'a console action');
    assert.deepEqual(await (t as TestApp).deps.db.select().from(lanePauses), [], 'nothing paused');
  });

  it('does one password verification for every guess, whoever the email belongs to and whatever the header holds', async () => {
    await start(0);
    const guesses = [
      ["an admin's email, a wrong password", basic(admin.email, 'wrong password'), 401],
      ["a non-admin's email and correct password", basic(user.email, user.password), 403],
      ["a non-admin's email, a wrong password", basic(user.email, 'wrong password'), 401],
      ['an unknown email', basic('nobody@example.com', 'wrong password'), 401],
      ['a header that is not base64', { authorization: 'Basic !!!' }, 401],
      ['base64 without a colon', { authorization: `Basic ${Buffer.from('no colon here').toString('base64')}` }, 401],
      ['another scheme', { authorization: `Bearer ${admin.accessToken}` }, 401],
      ["an admin's email and password", basic(admin.email, admin.password), 200],
    ] as const;
    for (const [what, headers, status] of guesses) {
      const before = verifier.count;
      const reply = await dashboard(headers);
      assert.equal(reply.status, status, what);
      assert.equal(verifier.count - before, 1, `${what}: one verification`);
    }
  });

  it('refuses more than AUTH_RATE_LIMIT failed guesses a minute from one client with 429 rate_limited, the right password too', async () => {
    await start(5);
    // Successes are not guesses to limit: the dashboard polls with the right password all day.
    for (let i = 0; i < 8; i++) assert.equal((await dashboard(basic(admin.email, admin.password))).status, 200);
    // Nor is a non-admin's right password: nothing is guessed by it.
    for (let i = 0; i < 8; i++) assert.equal((await dashboard(basic(user.email, user.password))).status, 403);
    for (let i = 0; i < 5; i++)
      assertRefused(await dashboard(basic(admin.email, `guess ${i}`)), 401, 'invalid_email_or_password', `guess ${i}`);
    const before = verifier.count;
    for (const [what, headers] of [
      ['a sixth wrong guess', basic(admin.email, 'guess 5')],
      ["the admin's right password", basic(admin.email, admin.password)],
      ['an unknown email', basic('nobody@example.com', 'guess')],
    ] as const) {
      const limited = await dashboard(headers);
      assertRefused(limited, 429, 'rate_limited', what);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers['retry-after']}`);
    }
    assert.equal(verifier.count, before, 'a refused guess is not checked');
    assert.equal((await dashboard(basic(admin.email, admin.password), '10.0.0.2')).status, 200, 'another client is not limited');
  });

  it('lets a burst of guesses sent at once through only up to the limit', async () => {
    await start(5);
    const before = verifier.count;
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => dashboard(basic(admin.email, `burst ${i}`))));
    const statuses = replies.map((reply) => reply.status);
    assert.equal(statuses.filter((status) => status === 401).length, 5, statuses.join(' '));
    assert.equal(statuses.filter((status) => status === 429).length, 25, statuses.join(' '));
    assert.equal(verifier.count - before, 5, 'five verifications, no more');
  });

  it('locks the old password out at once after a reset, and admits the new one', async () => {
    await start(0);
    assert.equal((await dashboard(basic(admin.email, admin.password))).status, 200, 'admitted before');
    const newPassword = 'a brand new passphrase';
    const request = await t?.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email: admin.email } });
    assert.equal(request?.status, 200);
    const link = await linkFromMail(smtp, admin.email, /reset/i);
    const reset = await t?.request({
      method: 'POST',
      url: link,
      payload: { new_password: newPassword, confirm_new_password: newPassword },
    });
    assert.equal(reset?.status, 200, reset?.text);
    assertRefused(await dashboard(basic(admin.email, admin.password)), 401, 'invalid_email_or_password', 'the old password');
    assert.equal((await dashboard(basic(admin.email, newPassword))).status, 200, 'the new password');
  });
});

/** The database dies under a running app: the dashboard answers 503 in the contract's shape, never Bull Board's 500 with the statement. */
describe('admin basic auth with the database down', () => {
  let postgres: OwnPostgres;
  let smtp: SmtpPeer;
  const prefix = testPrefix();
  let database: Database | undefined;
  let t: TestApp | undefined;

  before(async () => {
    postgres = await OwnPostgres.start();
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(async () => {
    await t?.close();
    await database?.close();
    await deleteKeys(redisUrl, prefix);
    await smtp.close();
    await postgres.destroy();
  });

  it('answers 503 service_unavailable with no query in it, for any credentials', { timeout: 60_000 }, async () => {
    const url = await postgres.createDatabase('dashboard');
    database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
    await migrate(database);
    // Only `database` is used by the app; the closing is this suite's own.
    const db: TestDatabase = { kind: 'postgres', database, url, reset: async () => {}, close: async () => {} };
    t = await startTestApp({
      db,
      smtp,
      runner: false,
      env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, AUTH_RATE_LIMIT: '5' },
    });
    const signup = await t.request({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { first_name: 'Ada', last_name: 'L', username: 'victim', email: 'victim@example.com', password: 'correct horse battery' },
    });
    assert.equal(signup.status, 201, signup.text);
    await t.deps.accounts.promoteToAdmin('victim@example.com');
    const admin = basic('victim@example.com', 'correct horse battery');
    assert.equal((await t.request({ method: 'GET', url: '/admin/queues', headers: admin })).status, 200, 'admitted while it is up');

    await postgres.stop();
    // More tries than AUTH_RATE_LIMIT: a lookup that failed refused no one, so none of them is a 429.
    for (const [what, headers] of [
      ["the admin's email and password", admin],
      ["the admin's email, a wrong password", basic('victim@example.com', 'wrong')],
      ['an unknown email', basic('nobody@example.com', 'wrong')],
      ['the API', admin],
      ['the page again', admin],
      ['and again', admin],
    ] as const) {
      const url = what === 'the API' ? '/admin/queues/api/queues' : '/admin/queues';
      const reply = await t.request({ method: 'GET', url, headers });
      assertRefused(reply, 503, 'service_unavailable', what);
      assert.doesNotMatch(reply.text, /victim|users|uid/i, what);
    }
  });
});
