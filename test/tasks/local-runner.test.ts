import assert from 'node:assert/strict';
import { once } from 'node:events';
import { it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { tasks } from '../../src/db/schema/index.js';
import { adminAccount, newSignup } from '../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';
import { startTestApp } from '../support/test-app.js';

describeEachDatabase(
  'in-process tasks',
  (ctx) => {
    const signup = (body = newSignup()) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });

    it('answers a signup before the SMTP server has accepted its mail', async () => {
      const release = ctx.smtp.hold();
      const body = newSignup();
      const reply = await signup(body);
      assert.equal(reply.status, 201);
      assert.equal(ctx.smtp.mails.length, 0, 'the mail is not delivered yet');
      const [task] = await tasksNamed(ctx, 'mail.verify-email');
      assert.notEqual(task?.state, 'completed');
      release();
      await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
      await waitForTask(ctx, 'mail.verify-email', 'completed');
    });

    it('retries with backoff until an SMTP server that refuses for a while accepts', async () => {
      ctx.smtp.refuse(3, 451);
      const body = newSignup();
      await signup(body);
      await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
      const task = await waitForTask(ctx, 'mail.verify-email', 'completed');
      assert.equal(ctx.smtp.refused, 3);
      assert.equal(task.attemptsMade, 4);
      assert.equal(ctx.smtp.mailsTo(body.email).length, 1);
    });

    it('fails at once, keeping the error, when the server refuses the recipient for good', async () => {
      ctx.smtp.refuse(1, 550);
      await signup();
      const task = await waitForTask(ctx, 'mail.verify-email', 'failed');
      assert.equal(task.attemptsMade, 1);
      assert.match(task.error ?? '', /550|Mailbox unavailable/);
      assert.ok(task.finishedAt);
    });

    it('fails a task after its last attempt, keeping the last error', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      ctx.smtp.refuse(1000, 421);
      await ctx.t.request({
        method: 'POST',
        url: '/api/v1/auth/send_mail',
        token: admin.accessToken,
        payload: { addresses: ['gone@example.com'] },
      });
      const task = await waitForTask(ctx, 'mail.bulk-message', 'failed');
      assert.equal(task.attemptsMade, task.maxAttempts);
      assert.match(task.error ?? '', /421|Try again later/);
    });

    it('never lets a bulk send hold back a verification mail', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      ctx.smtp.delayMs = 20;
      const addresses = Array.from({ length: 300 }, (_, i) => `bulk${i}@example.com`);
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/send_mail', token: admin.accessToken, payload: { addresses } });
      await ctx.smtp.waitForMail((m) => m.to[0]?.startsWith('bulk') ?? false);
      const body = newSignup();
      await signup(body);
      const verification = await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
      const bulkBefore = ctx.smtp.mails.filter((m) => m.to[0]?.startsWith('bulk') && m.receivedAt <= verification.receivedAt).length;
      assert.ok(bulkBefore < 150, `the verification mail came after ${bulkBefore} of 300 bulk mails`);
      await ctx.smtp.waitForCount(302, 60_000);
    });

    it('lets a running task finish when shutting down within the deadline', async () => {
      const release = ctx.smtp.hold();
      const body = newSignup();
      await signup(body);
      await once(ctx.smtp, 'held');
      const stopping = ctx.t.tasks?.stop(10_000);
      setTimeout(release, 100);
      await stopping;
      const [task] = await tasksNamed(ctx, 'mail.verify-email');
      assert.equal(task?.state, 'completed');
      assert.equal(ctx.smtp.mailsTo(body.email).length, 1);
    });

    it('does not take back a task it is still running when its own lease has lapsed', async () => {
      const release = ctx.smtp.hold();
      const first = newSignup();
      await signup(first);
      await once(ctx.smtp, 'held');
      // What a heartbeat held up by a busy machine leaves behind: the running task's lease is past.
      await ctx.t.deps.db.update(tasks).set({ lockedUntil: sql`now() - interval '1 second'` }).where(eq(tasks.state, 'active'));
      const second = newSignup();
      const secondHeld = ctx.smtp.nextHeld(second.email);
      await signup(second); // its commit wakes the runner, which claims whatever is due
      await secondHeld;
      release();
      await ctx.t.tasks?.stop(5000);
      assert.equal(ctx.smtp.mailsTo(first.email).length, 1, 'delivered once');
      const verifications = await tasksNamed(ctx, 'mail.verify-email');
      assert.deepEqual(
        verifications.map((task) => [task.state, task.attemptsMade]),
        [
          ['completed', 1],
          ['completed', 1],
        ],
      );
    });

    it('hands back a task still running at the shutdown deadline; the next start runs it', async () => {
      const release = ctx.smtp.hold();
      const body = newSignup();
      await signup(body);
      await once(ctx.smtp, 'held');
      const hungUp = once(ctx.smtp, 'client-closed');
      await ctx.t.close();
      await hungUp;
      const [task] = await tasksNamed(ctx, 'mail.verify-email');
      assert.equal(task?.state, 'pending');
      assert.equal(task?.attemptsMade, 0, 'an attempt cut short by a shutdown does not count');
      release();

      ctx.t = await startTestApp({ db: ctx.db, smtp: ctx.smtp });
      await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
      const done = await waitForTask(ctx, 'mail.verify-email', 'completed');
      assert.equal(done.attemptsMade, 1);
      await ctx.t.tasks?.stop(5000);
      assert.equal(ctx.smtp.mailsTo(body.email).length, 1, 'delivered once');
    });
  },
  { env: { SHUTDOWN_TIMEOUT_MS: '200' } },
);

describeEachDatabase(
  'eager tasks (the test setting)',
  (ctx) => {
    it('runs the task inside the request: the signup answers after the mail is accepted', async () => {
      const order: string[] = [];
      ctx.smtp.on('mail', () => order.push('mail accepted'));
      const body = newSignup();
      const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
      order.push('response');
      assert.equal(reply.status, 201);
      assert.deepEqual(order, ['mail accepted', 'response']);
      const [task] = await tasksNamed(ctx, 'mail.verify-email');
      assert.equal(task?.state, 'completed');
    });
  },
  { env: { TASKS_EAGER: 'true' } },
);

function tasksNamed(ctx: SuiteContext, name: string) {
  return ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, name));
}

async function waitForTask(ctx: SuiteContext, name: string, state: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [task] = await tasksNamed(ctx, name);
    if (task?.state === state) return task;
    if (Date.now() > deadline) throw new Error(`${name} is ${task?.state} (${task?.error}), not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
