import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { revokedSessions } from '../../src/db/schema/index.js';
import { adminAccount, login, verifiedAccount } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { deleteKeys, OwnRedis, redisUrl, testPrefix } from '../support/redis.js';
import { runCli, runToEnd } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp, testEnv } from '../support/test-app.js';

/** The Redis mode with the API running tasks too (`API_RUNS_TASKS`), so that one process holds it all. */
describe('Redis mode in one process', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let prefix: string;
  let t: TestApp;
  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    API_RUNS_TASKS: 'true',
    SHUTDOWN_TIMEOUT_MS: '1000',
    ...extra,
  });

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
  });
  afterEach(async () => {
    await t?.close();
    await deleteKeys(redisUrl, prefix);
  });

  it('records a logout in the database, not in Redis', async () => {
    t = await startTestApp({ db, smtp, env: env() });
    const account = await verifiedAccount(t, smtp);
    await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: account.accessToken });
    const { sid } = JSON.parse(Buffer.from(account.accessToken.split('.')[1] as string, 'base64url').toString());
    const rows = await t.deps.db.select({ sessionId: revokedSessions.sessionId }).from(revokedSessions);
    assert.deepEqual(rows, [{ sessionId: sid }]);
    const redis = t.deps.redis?.connection.client;
    assert.ok(redis);
    assert.deepEqual(await redis.keys(`${prefix}:revoked*`), [], 'no revoked key in Redis');
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: account.accessToken });
    assert.equal(me.json.error_code, 'token_revoked');
  });

  it('keeps the send rate under MAIL_RATE_LIMIT', async () => {
    t = await startTestApp({ db, smtp, env: env({ MAIL_RATE_LIMIT: '5' }) });
    const admin = await adminAccount(t, smtp);
    const addresses = Array.from({ length: 16 }, (_, i) => `rate${i}@example.com`);
    const start = Date.now();
    await t.request({ method: 'POST', url: '/api/v1/auth/send_mail', token: admin.accessToken, payload: { addresses } });
    for (const address of addresses) await smtp.waitForMail((m) => m.to.includes(address), 30_000);
    const received = smtp.mails.filter((mail) => mail.to[0]?.startsWith('rate')).map((mail) => mail.receivedAt - start);
    received.sort((a, b) => a - b);
    // Lower bounds from a moment before the first booking: at 5 a second, the nth mail cannot arrive before
    // n × 200 ms, however a busy machine bunches the answers (which counting mails per second mistook for a burst).
    for (const [n, time] of received.entries()) assert.ok(time >= n * 200 - 10, `mail ${n + 1} at ${time} ms`);
  });

  it('shows queue depths, the oldest waiting task and the workers in /metrics', async () => {
    t = await startTestApp({ db, smtp, env: env() });
    const admin = await adminAccount(t, smtp);
    const release = smtp.hold();
    await t.request({
      method: 'POST',
      url: '/api/v1/auth/send_mail',
      token: admin.accessToken,
      payload: { addresses: Array.from({ length: 30 }, (_, i) => `m${i}@example.com`) },
    });
    await new Promise((resolve) => smtp.once('held', resolve));
    const text = (await t.request({ method: 'GET', url: '/metrics' })).text;
    release();
    assert.match(text, /bookly_queue_depth\{lane="bulk",state="active"\} [1-9]/);
    assert.match(text, /bookly_queue_depth\{lane="bulk",state="pending"\} [1-9]/);
    assert.match(text, /bookly_queue_oldest_waiting_seconds\{lane="bulk"\} [0-9.e-]+/);
    assert.match(text, /bookly_queue_paused\{lane="bulk"\} 0/);
    assert.match(text, /bookly_queue_workers\{lane="default"\} 1/);
    assert.match(text, /bookly_queue_workers\{lane="bulk"\} 1/);
  });

  it('warns at start when Redis may evict keys', async () => {
    const evicting = await OwnRedis.start(['--maxmemory-policy', 'allkeys-lru']);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ level: 'warn' }, sink);
    try {
      t = await startTestApp({ db, smtp, env: env({ REDIS_URL: evicting.url }), log });
      const deadline = Date.now() + 10_000;
      while (!lines.some((line) => line.includes('maxmemory-policy')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(
        lines.some((line) => /maxmemory-policy is not noeviction/.test(line) && line.includes('allkeys-lru')),
        lines.join('\n'),
      );
    } finally {
      await t.close();
      await evicting.stop();
    }
  });

  it('checks tokens without Redis: while it is down, a request is let in and a logged-out token is still refused', async () => {
    const own = await OwnRedis.start();
    try {
      t = await startTestApp({ db, smtp, env: env({ REDIS_URL: own.url }) });
      const account = await verifiedAccount(t, smtp);
      const loggedOut = await login(t, account.email, account.password);
      const logout = await t.request({ method: 'GET', url: '/api/v1/auth/logout', token: loggedOut.accessToken });
      assert.equal(logout.status, 200);
      await own.stop();
      const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: account.accessToken });
      assert.equal(me.status, 200, me.text);
      const refused = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: loggedOut.accessToken });
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error_code, 'token_revoked');
    } finally {
      await own.stop();
    }
  });
});

describe('npm run worker', () => {
  it('needs REDIS_URL, and a PostgreSQL server', async () => {
    const noRedis = await runToEnd(runCli(['worker'], testEnv({})));
    assert.equal(noRedis.code, 1);
    assert.match(noRedis.output, /npm run worker needs REDIS_URL/);
    const embedded = await runToEnd(runCli(['worker'], { ...testEnv({}), REDIS_URL: redisUrl }));
    assert.equal(embedded.code, 1);
    assert.match(embedded.output, /needs DATABASE_URL to name a PostgreSQL server/);
    assert.equal(embedded.output.trim().split('\n').length, 1);
  });
});
