import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { login, verifiedAccount } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { OwnRedis, testPrefix } from '../support/redis.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

/** Revocations live in the database: a Redis that restarts empty brings no logged-out token back. */
describe('a logout survives a Redis restart', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let own: OwnRedis;
  let t: TestApp | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    own = await OwnRedis.start();
  });
  after(async () => {
    await t?.close();
    await own.stop();
    await smtp.close();
    await db.close();
  });

  it('refuses the logged-out access and refresh tokens after Redis comes back empty, and lets a fresh login in', async () => {
    // The API runs the tasks itself, so that the verification mail goes out without a worker.
    t = await startTestApp({ db, smtp, env: { REDIS_URL: own.url, REDIS_PREFIX: testPrefix(), API_RUNS_TASKS: 'true' } });
    const app = t;
    const account = await verifiedAccount(app, smtp);
    const logout = await app.request({ method: 'POST', url: '/api/v1/auth/logout', token: account.accessToken });
    assert.equal(logout.status, 200);

    await own.stop();
    await own.start();
    // Back and reconnected, so that what follows is checked beside an empty Redis, not a missing one.
    const redis = app.deps.redis?.connection.client;
    assert.ok(redis);
    if (redis.status !== 'ready') await once(redis, 'ready', { signal: AbortSignal.timeout(10_000) });
    assert.deepEqual(await redis.keys('*:revoked*'), []);

    for (const [what, url, token] of [
      ['the access token', '/api/v1/auth/me', account.accessToken],
      ['the refresh token', '/api/v1/auth/refresh_token', account.refreshToken],
    ] as const) {
      const reply = await app.request({ method: 'GET', url, token });
      assert.equal(reply.status, 401, what);
      assert.equal(reply.json.error_code, 'token_revoked', what);
    }
    const fresh = await login(app, account.email, account.password);
    assert.equal((await app.request({ method: 'GET', url: '/api/v1/auth/me', token: fresh.accessToken })).status, 200);
  });
});
