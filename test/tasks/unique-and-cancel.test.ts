import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { tasks } from '../../src/db/schema/index.js';
import { transaction } from '../../src/db/transaction.js';
import { adminAccount, newSignup } from '../support/accounts.js';
import { waitFor } from '../support/fault-rig.js';
import { describeEachDatabase } from '../support/suite.js';

/**
 * Tasks that wait: a pending or delayed task that is cancelled never runs,
 * and a task with a key stands for every enqueue of that key while it waits
 * or runs. Retries wait minutes here, so a refused mail stays delayed.
 */
describeEachDatabase(
  'cancelled waiting tasks and unique keys (in-process mode)',
  (ctx) => {
    const api = (method: 'GET' | 'POST', url: string, token: string) => ctx.t.request({ method, url: `/api/v1${url}`, token });
    const row = async (id: string) => (await ctx.t.deps.db.select().from(tasks).where(eq(tasks.id, id)))[0];
    const noop = (key?: string) => transaction(ctx.t.deps.db, (tx) => ctx.t.deps.tasks.enqueue(tx, 'system.noop', {}, key ? { key } : {}));
    const noopRan = async () => {
      const id = await noop();
      await waitFor('a later task to run', async () => (await row(id))?.state === 'completed');
    };

    it('a pending task cancelled never runs, after its lane resumes too', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      await api('POST', '/queues/default/pause', admin.accessToken);
      const id = await noop();
      assert.equal((await row(id))?.state, 'pending');
      const cancelled = await api('POST', `/tasks/${id}/cancel`, admin.accessToken);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.json.state, 'cancelled');
      await api('POST', '/queues/default/resume', admin.accessToken);
      await noopRan();
      const after = await row(id);
      assert.equal(after?.state, 'cancelled');
      assert.equal(after?.attemptsMade, 0, 'no attempt was ever made');
      assert.equal(after?.startedAt, null);
    });

    it('a delayed task cancelled never runs, even once its retry is due', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      ctx.smtp.refuse(1, 451);
      await ctx.t.request({
        method: 'POST',
        url: '/api/v1/auth/send_mail',
        token: admin.accessToken,
        payload: { addresses: ['later@example.com'], subject: 'News' },
      });
      let id = '';
      await waitFor('the refused message to wait for its retry', async () => {
        const list = await api('GET', '/tasks?state=delayed&name=mail.bulk-message', admin.accessToken);
        id = list.json[0]?.id ?? '';
        return id !== '';
      });
      assert.ok(((await row(id))?.runAt.getTime() ?? 0) > Date.now() + 60_000, 'its retry is minutes away');
      assert.equal((await api('POST', `/tasks/${id}/cancel`, admin.accessToken)).json.state, 'cancelled');
      // The retry's time comes: a runner that looked at run_at alone would take it now.
      await ctx.t.deps.db.update(tasks).set({ runAt: sql`now()` }).where(eq(tasks.id, id));
      await noopRan();
      assert.equal((await row(id))?.attemptsMade, 1, 'no second attempt');
      assert.equal(ctx.smtp.mailsTo('later@example.com').length, 0);
    });

    it('enqueueing a key returns the task that waits with it, and adds a new one once that has finished', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      await api('POST', '/queues/default/pause', admin.accessToken);
      const first = await noop('nightly');
      assert.equal(await noop('nightly'), first);
      assert.notEqual(await noop('another key'), first);
      const keyed = await ctx.t.deps.db.select().from(tasks).where(eq(tasks.key, 'nightly'));
      assert.equal(keyed.length, 1);
      await api('POST', '/queues/default/resume', admin.accessToken);
      await waitFor('the keyed task to run', async () => (await row(first))?.state === 'completed');
      const second = await noop('nightly');
      assert.notEqual(second, first, 'a finished task no longer holds its key');
    });

    it('a resend while the verification mail is still on its way adds no second mail', async () => {
      const release = ctx.smtp.hold();
      const body = newSignup();
      const held = ctx.smtp.nextHeld(body.email);
      assert.equal((await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body })).status, 201);
      await held;
      const resend = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email: body.email } });
      assert.equal(resend.status, 202);
      const [request] = await waitForRows('mail.verification-request', 'completed');
      const [mailTask] = await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.verify-email'));
      assert.deepEqual(request?.result, { enqueued: mailTask?.id }, 'the resend found the signup’s mail task');
      release();
      await ctx.smtp.waitForMail((mail) => mail.to.includes(body.email));
      await waitFor('the mail task to complete', async () => (await row(mailTask?.id as string))?.state === 'completed');
      assert.equal((await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.verify-email'))).length, 1);
      assert.equal(ctx.smtp.mailsTo(body.email).length, 1);
    });

    async function waitForRows(name: string, state: string) {
      let rows: (typeof tasks.$inferSelect)[] = [];
      await waitFor(`${name} to be ${state}`, async () => {
        rows = (await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, name))).filter((each) => each.state === state);
        return rows.length > 0;
      });
      return rows;
    }
  },
  { env: { TASK_RETRY_BASE_MS: '3600000' } },
);
