import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pino } from 'pino';
import { tasks } from '../../src/db/schema/index.js';
import { Scheduler } from '../../src/tasks/scheduler.js';
import { adminAccount, newSignup, verifiedAccount } from '../support/accounts.js';
import { waitFor } from '../support/fault-rig.js';
import { describeEachDatabase } from '../support/suite.js';

describeEachDatabase(
  'operating the queue from the API (in-process mode)',
  (ctx) => {
    const api = (method: 'GET' | 'POST', url: string, token: string) => ctx.t.request({ method, url: `/api/v1${url}`, token });
    const stateOf = async (token: string, id: string) => (await api('GET', `/tasks/${id}`, token)).json.state as string;
    const sendMail = (token: string, addresses: string[]) =>
      ctx.t.request({ method: 'POST', url: '/api/v1/auth/send_mail', token, payload: { addresses, subject: 'News' } });

    it('cancels a running task: its SMTP send is aborted within 2 s and the mail never arrives; a retry sends it', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      const release = ctx.smtp.hold();
      const held = ctx.smtp.nextHeld('held@example.com');
      await sendMail(admin.accessToken, ['held@example.com']);
      await held;
      const [row] = (await ctx.t.deps.db.select().from(tasks)).filter((task) => task.name === 'mail.bulk-message');
      const id = row?.id as string;
      assert.equal(await stateOf(admin.accessToken, id), 'active');
      const cancelled = await api('POST', `/tasks/${id}/cancel`, admin.accessToken);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.json.state, 'cancelled');
      await waitFor('the attempt to be aborted', () => ctx.t.deps.taskBackend.store.cancelledAmong([id]).then((s) => s.has(id)), 2000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      release();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(ctx.smtp.mailsTo('held@example.com').length, 0, 'the aborted send delivered nothing');
      assert.equal((await api('POST', `/tasks/${id}/cancel`, admin.accessToken)).json.error_code, 'task_not_cancellable');
      const entryOf = async () => (await api('GET', '/mail/messages?recipient=held@example.com', admin.accessToken)).json[0];
      assert.deepEqual([(await entryOf()).state, (await entryOf()).reason], ['failed', 'its task was cancelled by an operator']);

      const retried = await api('POST', `/tasks/${id}/retry`, admin.accessToken);
      assert.equal(retried.status, 200);
      assert.equal(retried.json.state, 'pending');
      assert.equal(retried.json.attempts_made, 0);
      await ctx.smtp.waitForMail((mail) => mail.to.includes('held@example.com'));
      await waitFor('the retried task to complete', async () => (await stateOf(admin.accessToken, id)) === 'completed');
      assert.equal((await api('POST', `/tasks/${id}/retry`, admin.accessToken)).json.error_code, 'task_not_retryable');
      assert.deepEqual([(await entryOf()).state, (await entryOf()).reason, (await entryOf()).attempts], ['sent', null, 2]);
    });

    it('retries a failed task from the API, attempts counted afresh', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      ctx.smtp.refuse(1, 550);
      await sendMail(admin.accessToken, ['refused@example.com']);
      let id = '';
      await waitFor('the message task to fail', async () => {
        const list = await api('GET', '/tasks?state=failed&name=mail.bulk-message', admin.accessToken);
        id = list.json[0]?.id ?? '';
        return list.json.length === 1;
      });
      const failed = await api('GET', `/tasks/${id}`, admin.accessToken);
      assert.match(failed.json.error, /Mailbox unavailable|550/);
      assert.equal((await api('POST', `/tasks/${id}/retry`, admin.accessToken)).json.state, 'pending');
      await ctx.smtp.waitForMail((mail) => mail.to.includes('refused@example.com'));
      await waitFor('the retry to complete', async () => (await stateOf(admin.accessToken, id)) === 'completed');
      assert.equal((await api('GET', `/tasks/${id}`, admin.accessToken)).json.attempts_made, 1);
    });

    it('pauses a lane: bulk mail waits while verification mail flows; resume sends it', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      const paused = await api('POST', '/queues/bulk/pause', admin.accessToken);
      assert.deepEqual(paused.json, { lane: 'bulk', paused: true });
      assert.equal((await sendMail(admin.accessToken, ['later@example.com'])).status, 202, 'enqueueing goes on');
      const body = newSignup();
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
      await ctx.smtp.waitForMail((mail) => mail.to.includes(body.email));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(ctx.smtp.mailsTo('later@example.com').length, 0, 'nothing of the paused lane ran');
      const queues = (await api('GET', '/queues', admin.accessToken)).json;
      const bulk = queues.find((queue: { lane: string }) => queue.lane === 'bulk');
      assert.equal(bulk.paused, true);
      assert.equal(bulk.counts.pending, 1);
      assert.equal(bulk.per_minute.length, 60);
      assert.equal((await api('POST', '/queues/bulk/resume', admin.accessToken)).json.paused, false);
      await ctx.smtp.waitForMail((mail) => mail.to.includes('later@example.com'));
      assert.equal((await api('POST', '/queues/nope/pause', admin.accessToken)).json.error_code, 'not_found');
    });

    it('lists tasks newest first with filters and a total; shows this process as a worker and the schedules', async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      const list = await api('GET', '/tasks?limit=1&name=mail.verify-email', admin.accessToken);
      assert.equal(list.status, 200);
      assert.equal(list.json.length, 1);
      assert.equal(list.headers['x-total-count'], '1');
      assert.equal(list.json[0].lane, 'default');
      assert.equal((await api('GET', '/tasks?state=bogus', admin.accessToken)).status, 422);
      const workers = (await api('GET', '/workers', admin.accessToken)).json;
      assert.equal(workers.length, 1);
      assert.equal(workers[0].state, 'online');
      assert.equal(workers[0].pid, process.pid);
      assert.deepEqual(workers[0].lanes, ['default', 'bulk']);
      const schedules = (await api('GET', '/schedules', admin.accessToken)).json;
      assert.deepEqual(
        schedules.map((schedule: { name: string; cron: string }) => [schedule.name, schedule.cron]),
        [['maintenance.prune', '0 0 1 1 *']],
      );
      assert.ok(Date.parse(schedules[0].next_run_at) > Date.now());
      assert.equal(schedules[0].last_task_id, null, 'a schedule seen for the first time waits for its next slot');
    });

    it('refuses anyone but an admin: 404 on a task, 403 elsewhere', async () => {
      const user = await verifiedAccount(ctx.t, ctx.smtp);
      const [row] = await ctx.t.deps.db.select().from(tasks);
      assert.equal((await api('GET', `/tasks/${row?.id}`, user.accessToken)).json.error_code, 'task_not_found');
      assert.equal((await api('POST', `/tasks/${row?.id}/cancel`, user.accessToken)).json.error_code, 'task_not_found');
      for (const url of ['/tasks', '/queues', '/workers', '/schedules']) {
        assert.equal((await api('GET', url, user.accessToken)).json.error_code, 'insufficient_permissions', url);
      }
      assert.equal((await api('POST', '/queues/bulk/pause', user.accessToken)).status, 403);
    });

    it('enqueues each slot of a schedule once however many schedulers tick, and a missed run of slots once', async () => {
      const definitions = [{ name: 'test.every-second', cron: '* * * * * *', task: 'system.noop', payload: {} }];
      const silent = pino({ level: 'silent' });
      const schedulers = [1, 2, 3].map(() => new Scheduler(ctx.t.deps.db, definitions, silent));
      for (const scheduler of schedulers) {
        scheduler.start(ctx.t.deps.tasks);
        await scheduler.stop();
      }
      const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, second, 250));
      const enqueued: string[] = [];
      await Promise.all(schedulers.map((scheduler) => scheduler.tick(at(0))));
      for (let second = 1; second <= 5; second++) {
        for (const ids of await Promise.all(schedulers.map((scheduler) => scheduler.tick(at(second))))) enqueued.push(...ids);
        await waitFor('the slot to run', async () => {
          const rows = await ctx.t.deps.db.select().from(tasks);
          return rows.filter((row) => row.name === 'system.noop').every((row) => row.state === 'completed');
        });
      }
      assert.equal(enqueued.length, 5, 'five slots after the first, each once');
      // Nothing ticks for slots 6..20; the next tick takes the latest slot only.
      const catchUp = (await Promise.all(schedulers.map((scheduler) => scheduler.tick(at(21))))).flat();
      assert.equal(catchUp.length, 1, 'the missed slots run once');
      const [view] = (await schedulers[0]?.list()) ?? [];
      assert.equal(view?.lastTaskId, catchUp[0]);
    });
  },
  { env: { PRUNE_SCHEDULE: '0 0 1 1 *' } },
);
