import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { tasks } from '../../src/db/schema/index.js';
import { newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { OwnRedis, waitingInRedis } from '../support/redis.js';
import { type ServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp, testEnv } from '../support/test-app.js';

/**
 * Redis (a server of the test's own) is killed and started again, empty,
 * while signups go on. Every signup must answer 201 and every mail arrive.
 */
describe('Redis down and back', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let redis: OwnRedis;
  let t: TestApp;
  let worker: ServerProcess | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    redis = await OwnRedis.start();
  });
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    await t?.close();
  });
  after(async () => {
    await redis.stop();
    await smtp.close();
    await db.close();
  });

  it('answers every signup and delivers every mail', { timeout: 120_000 }, async () => {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'outage', TASK_POLL_MS: '200' };
    t = await startTestApp({ db, smtp, env });
    worker = await startWorkerProcess({
      ...testEnv({ smtp, databaseUrl: db.url }),
      ...env,
      TASK_LEASE_MS: '2000',
      WORKER_CONCURRENCY: '2',
    });
    // Held mail keeps the worker busy, so that most of the first tasks are still waiting in Redis when it dies.
    const release = smtp.hold();

    const emails: string[] = [];
    const statuses: number[] = [];
    const signupSome = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const body = newSignup();
        emails.push(body.email);
        statuses.push((await t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body })).status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    await signupSome(10);
    const waiting = await waitingInRedis(t.deps.redis?.queues, 'default');
    assert.ok(waiting >= 5, `tasks wait in Redis (${waiting})`);
    await redis.stop();
    release();
    await signupSome(10);
    const ready = await t.request({ method: 'GET', url: '/ready' });
    assert.equal(ready.status, 503, 'not ready while Redis is down');
    assert.ok(ready.json.details.some((d: { field: string }) => d.field === 'redis'));
    const metrics = await t.request({ method: 'GET', url: '/metrics' });
    assert.match(metrics.text, /bookly_queue_waiting_for_redis [1-9]/, 'the tasks wait in the database meanwhile');
    await redis.start();
    await signupSome(10);

    assert.deepEqual(statuses, Array(30).fill(201), 'every signup answered 201');
    for (const email of emails) await smtp.waitForMail((m) => m.to.includes(email), 60_000);
    assert.equal((await t.request({ method: 'GET', url: '/ready' })).status, 200);
    const rows = await t.deps.db.select().from(tasks);
    assert.equal(rows.length, 30);
  });
});
