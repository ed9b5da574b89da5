import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { tasks } from '../../src/db/schema/index.js';
import { adminAccount, newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { deleteKeys, redisUrl, testPrefix, waitingInRedis } from '../support/redis.js';
import { type ServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp, testEnv } from '../support/test-app.js';

/**
 * The Redis mode: the API (here, in the test's process) records tasks and
 * relays them to BullMQ; worker processes of their own run them.
 */
describe('BullMQ workers', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let prefix: string;
  let t: TestApp;
  const workers: ServerProcess[] = [];
  const redisEnv = () => ({ REDIS_URL: redisUrl, REDIS_PREFIX: prefix, TASK_LEASE_MS: '2000', SHUTDOWN_TIMEOUT_MS: '3000' });
  const workerEnv = (extra: Record<string, string> = {}) => ({ ...testEnv({ smtp, databaseUrl: db.url }), ...redisEnv(), ...extra });
  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = await startWorkerProcess(workerEnv(extra));
    workers.push(worker);
    return worker;
  };

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
    t = await startTestApp({ db, smtp, env: redisEnv() });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await t.close();
    await deleteKeys(redisUrl, prefix);
  });

  const signup = (body = newSignup()) => t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
  const taskRows = (name: string) => t.deps.db.select().from(tasks).where(eq(tasks.name, name));
  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('runs tasks in a worker process, not in the API; the task status reads the same', async () => {
    await startWorker();
    const admin = await adminAccount(t, smtp);
    assert.equal(await workers.splice(0)[0]?.stop('SIGTERM'), 0);

    const body = newSignup();
    const { json } = await signup(body);
    const ofSignup = async () =>
      (await taskRows('mail.verify-email')).find((row) => (row.payload as { userUid: string }).userUid === json.user.uid);
    await waitFor(async () => Boolean((await ofSignup())?.relayedAt), 'the relay to hand the task to BullMQ');
    assert.equal(await waitingInRedis(t.deps.redis?.queues, 'default'), 1, 'waiting in Redis');
    const task = await ofSignup();
    assert.equal(task?.state, 'pending', 'without a worker, nothing runs it: the API only enqueues');

    await startWorker();
    await smtp.waitForMail((m) => m.to.includes(body.email));
    const status = async () => (await t.request({ method: 'GET', url: `/api/v1/tasks/${task?.id}`, token: admin.accessToken })).json;
    await waitFor(async () => (await status()).state === 'completed', 'the task to complete');
    assert.equal((await status()).attempts_made, 1);
    assert.equal(smtp.mailsTo(body.email).length, 1);
  });

  /** Sends a mail to each of `count` addresses through the bulk lane; returns the addresses. */
  async function bulkSend(count: number): Promise<string[]> {
    const admin = await adminAccount(t, smtp);
    const addresses = Array.from({ length: count }, (_, i) => `bulk${i}@example.com`);
    const reply = await t.request({ method: 'POST', url: '/api/v1/auth/send_mail', token: admin.accessToken, payload: { addresses } });
    assert.equal(reply.status, 202);
    return addresses;
  }

  const bulkDelivered = () => new Set(smtp.mails.filter((m) => m.to[0]?.startsWith('bulk')).map((m) => m.to[0])).size;

  it('shares the load between two workers', async () => {
    await Promise.all([startWorker(), startWorker()]);
    smtp.delayMs = 10;
    await bulkSend(200);
    await waitFor(async () => bulkDelivered() === 200, '200 mails');
    const jobs = await t.deps.redis?.queues
      .all()
      .find((queue) => queue.name === 'bulk')
      ?.getJobs(['completed'], 0, 1000);
    const byWorker = new Map<string, number>();
    for (const job of jobs ?? [])
      if (job.name === 'mail.bulk-message') byWorker.set(job.processedBy ?? '?', (byWorker.get(job.processedBy ?? '?') ?? 0) + 1);
    assert.equal(byWorker.size, 2, `jobs by worker: ${JSON.stringify([...byWorker])}`);
    for (const [worker, count] of byWorker) assert.ok(count >= 20, `${worker} ran ${count} of 200`);
  });

  it('loses no task when a worker is killed (SIGKILL) in the middle of a batch', async () => {
    const [doomed] = await Promise.all([startWorker(), startWorker()]);
    smtp.delayMs = 30;
    const addresses = await bulkSend(150);
    await waitFor(async () => bulkDelivered() >= 30, 'the batch to be under way');
    assert.equal(await doomed?.stop('SIGKILL'), null);
    await waitFor(async () => bulkDelivered() === 150, "every mail, the killed worker's included", 60_000);
    const rows = await taskRows('mail.bulk-message');
    assert.equal(rows.length, addresses.length);
    await waitFor(async () => (await taskRows('mail.bulk-message')).every((row) => row.state === 'completed'), 'every task completed');
  });

  it('drains on SIGTERM: running tasks finish, the rest stay queued for another worker', async () => {
    const worker = await startWorker({ WORKER_CONCURRENCY: '2' });
    const addresses = await bulkSend(10);
    const release = smtp.hold();
    await once(smtp, 'held');
    const stopping = worker.stop('SIGTERM');
    setTimeout(release, 300);
    assert.equal(await stopping, 0, 'exits cleanly');
    const rows = await taskRows('mail.bulk-message');
    const done = rows.filter((row) => row.state === 'completed').length;
    assert.ok(done >= 1 && done < addresses.length, `${done} finished before the exit`);
    assert.ok(
      rows.every((row) => row.state === 'completed' || row.state === 'pending'),
      'nothing left half-done',
    );
    await startWorker();
    await waitFor(async () => bulkDelivered() === addresses.length, 'the rest, by another worker');
  });

  it('hands a task still running at the shutdown deadline back to the queue', async () => {
    const worker = await startWorker({ WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '300' });
    const body = newSignup();
    const release = smtp.hold();
    await signup(body);
    await once(smtp, 'held');
    const hungUp = once(smtp, 'client-closed');
    assert.equal(await worker.stop('SIGTERM'), 0);
    await hungUp;
    release();
    const [task] = await taskRows('mail.verify-email');
    assert.equal(task?.state, 'pending');
    assert.equal(task?.attemptsMade, 0, 'the interrupted attempt does not count');
    await startWorker();
    await smtp.waitForMail((m) => m.to.includes(body.email));
    await waitFor(async () => (await taskRows('mail.verify-email'))[0]?.state === 'completed', 'completed by the next worker');
    assert.equal(smtp.mailsTo(body.email).length, 1);
  });

  it('sends a verification mail while 1,000 bulk mails are queued ahead of it', async () => {
    await startWorker({ WORKER_CONCURRENCY: '4' });
    smtp.delayMs = 5;
    await bulkSend(1000);
    await waitFor(async () => bulkDelivered() >= 10, 'the bulk send to start');
    const body = newSignup();
    await signup(body);
    const verification = await smtp.waitForMail((m) => m.to.includes(body.email));
    const before = smtp.mails.filter((m) => m.to[0]?.startsWith('bulk') && m.receivedAt <= verification.receivedAt).length;
    assert.ok(before < 500, `the verification mail came after ${before} of 1,000 bulk mails`);
  });

  it('retries with backoff through BullMQ until the SMTP server accepts, and fails for good on a 5xx', async () => {
    await startWorker();
    smtp.refuse(2, 451);
    const first = newSignup();
    await signup(first);
    await smtp.waitForMail((m) => m.to.includes(first.email));
    await waitFor(async () => (await taskRows('mail.verify-email'))[0]?.state === 'completed', 'completed');
    assert.equal((await taskRows('mail.verify-email'))[0]?.attemptsMade, 3);

    smtp.refuse(1, 550);
    const second = newSignup();
    const { json } = await signup(second);
    const ofSecond = async () =>
      (await taskRows('mail.verify-email')).find((row) => (row.payload as { userUid: string }).userUid === json.user.uid);
    await waitFor(async () => (await ofSecond())?.state === 'failed', 'failed');
    assert.match((await ofSecond())?.error ?? '', /550|Mailbox unavailable/);
    const failed = await t.deps.redis?.queues
      .all()
      .find((queue) => queue.name === 'default')
      ?.getJobs(['failed']);
    assert.deepEqual(
      failed?.map((job) => job.id),
      [(await ofSecond())?.id],
      'kept in the failed set, to be looked at and retried',
    );

    // What the dashboard's retry button does: the task runs again, its attempts counted afresh.
    await failed?.[0]?.retry('failed');
    await smtp.waitForMail((m) => m.to.includes(second.email));
    await waitFor(async () => (await ofSecond())?.state === 'completed', 'completed after the retry');
    assert.equal((await ofSecond())?.attemptsMade, 1);
  });
});
