import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { call, report, waitFor } from '../support/fault-rig.js';
import { OwnRedis } from '../support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/**
 * Redis is not there when the API and a worker start (a deployment whose
 * Redis is restarting). Both start and stay up; signups answer 201 and
 * their mail goes out once Redis is.
 */
describe('Redis unreachable when the API and a worker start', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let redis: OwnRedis;
  const processes: ServerProcess[] = [];

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    redis = await OwnRedis.reserve();
  });
  after(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await redis.stop();
    await smtp.close();
    await db.close();
  });

  it('serves, and sends the mail once Redis is up', { timeout: 120_000 }, async () => {
    const env = { ...testEnv({ smtp, databaseUrl: db.url }), REDIS_URL: redis.url, REDIS_PREFIX: 'down-at-start' };
    const [api, worker] = await Promise.all([startServerProcess(env), startWorkerProcess(env)]);
    processes.push(api, worker);

    const emails: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = newSignup();
      emails.push(body.email);
      assert.equal((await call(api.url, 'POST', '/api/v1/auth/signup', body)).status, 201);
    }
    const ready = await call(api.url, 'GET', '/ready');
    assert.equal(ready.status, 503);
    assert.ok(
      ready.json.details.some((detail: { field: string }) => detail.field === 'redis'),
      'it says Redis is what is missing',
    );
    assert.equal(smtp.mails.length, 0, 'nothing can be sent yet');

    const down = Date.now();
    await redis.start();
    for (const email of emails) await smtp.waitForMail((m) => m.to.includes(email), 60_000);
    report('Redis unreachable at start, then up', {
      signups: emails.length,
      delivered: emails.length,
      mailAfterRedisUpMs: Date.now() - down,
    });
    await waitFor('/ready', async () => (await call(api.url, 'GET', '/ready')).status === 200, 30_000);
    assert.equal(api.child.exitCode, null, 'the API is still running');
    assert.equal(worker.child.exitCode, null, 'the worker is still running');
    assert.doesNotMatch(api.output() + worker.output(), /unhandled|Unhandled/);
  });

  it('stops at once while tasks wait for a Redis that has never answered', { timeout: 60_000 }, async () => {
    const env = { ...testEnv({ smtp, databaseUrl: db.url }), REDIS_URL: redis.url, REDIS_PREFIX: 'down-at-stop' };
    await redis.stop();
    const api = await startServerProcess(env);
    processes.push(api);
    assert.equal((await call(api.url, 'POST', '/api/v1/auth/signup', newSignup())).status, 201);

    // A hand-over begun before Redis was ever ready used to wait on it, holding a database
    // transaction: the shutdown then sat out its whole grace period and was killed.
    const code = await api.stop('SIGTERM');
    assert.doesNotMatch(api.output(), /killed by timeout/);
    assert.equal(code, 0, api.output());
  });
});
