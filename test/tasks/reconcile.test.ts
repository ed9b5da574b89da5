import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { tasks } from '../../src/db/schema/index.js';
import { Relay } from '../../src/tasks/bullmq/relay.js';
import { LanePauses } from '../../src/tasks/lane-pauses.js';
import { newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * BullMQ finished a job while its task is not done (a job failed by an
 * error outside the task: a database error in an older version, a job
 * stalled too often). The reconciler hands the task over again.
 */
describe('the reconciler', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let t: TestApp;
  const prefix = testPrefix();

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(async () => {
    await t?.close();
    await deleteKeys(redisUrl, prefix);
    await smtp.close();
    await db.close();
  });

  it('hands over again a task whose job failed outside it', { timeout: 60_000 }, async () => {
    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
    t = await startTestApp({ db, smtp, env });
    const redis = t.deps.redis;
    assert.ok(redis);
    // A worker that fails every job without touching the task table.
    const rogue = new Worker(
      'default',
      async () => {
        throw new Error('failed outside the task');
      },
      { connection: redis.connection.workerOptions, prefix },
    );
    const body = newSignup();
    const { status } = await t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    assert.equal(status, 201);
    const [task] = await t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.verify-email'));
    const queue = redis.queues.all().find((each) => each.name === 'default');
    await waitFor('the job to fail', async () => (await queue?.getJobState(task?.id as string)) === 'failed');
    await rogue.close();
    // The relay marks the task handed over just after handing it: the reconciler looks only at those.
    await waitFor('the task to be marked relayed', async () => Boolean((await t.deps.taskStore.find(task?.id as string))?.relayedAt));
    const row = await t.deps.taskStore.find(task?.id as string);
    assert.equal(row?.state, 'pending', 'the task table still waits for it');

    const relay = new Relay({
      redis: redis.connection,
      queues: redis.queues,
      store: t.deps.taskStore,
      pauses: new LanePauses(t.deps.db),
      log: pino({ level: 'silent' }),
      sweepMs: 60_000,
      reconcileMs: 60_000,
    });
    await relay.reconcile(0);
    assert.equal(await queue?.getJobState(task?.id as string), 'waiting', 'queued again');
    await t.close();

    // A process that runs tasks now delivers it.
    t = await startTestApp({ db, smtp, env: { ...env, API_RUNS_TASKS: 'true' } });
    await smtp.waitForMail((m) => m.to.includes(body.email), 30_000);
    await waitFor('the task to complete', async () => (await t.deps.taskStore.find(task?.id as string))?.state === 'completed');
  });
});
