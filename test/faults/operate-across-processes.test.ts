import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { newSignup } from '../support/accounts.js';
import { adminToken, bulkAddresses, call, deliveries, report, sql, waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { type Mode, modes, ProcessRig } from '../support/process-rig.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin } from '../support/test-app.js';

interface TaskView {
  id: string;
  state: string;
  attempts_made: number;
  max_attempts: number;
  error: string | null;
}

interface WorkerView {
  id: string;
  pid: number;
  state: 'online' | 'lost';
  lanes: string[];
  running: number;
  completed: number;
  failed: number;
}

interface QueueView {
  lane: string;
  paused: boolean;
  counts: Record<string, number>;
}

/** The admin API of one process. */
function adminApi(process: ServerProcess, token: string) {
  const get = async (path: string) => (await call(process.url, 'GET', `/api/v1${path}`, undefined, token)).json;
  return {
    url: process.url,
    get,
    post: (path: string, body?: unknown) => call(process.url, 'POST', `/api/v1${path}`, body, token),
    task: async (id: string): Promise<TaskView> => get(`/tasks/${id}`),
    tasks: async (query: string): Promise<TaskView[]> => get(`/tasks?${query}`),
    workers: async (): Promise<WorkerView[]> => get('/workers'),
    lane: async (lane: string): Promise<QueueView> => ((await get('/queues')) as QueueView[]).find((q) => q.lane === lane) as QueueView,
    sendMail: (addresses: readonly string[]) => call(process.url, 'POST', '/api/v1/auth/send_mail', { addresses, subject: 'News' }, token),
  };
}

/**
 * An operator works the queue through the API of one process while the tasks
 * run in others: two APIs on one database in the in-process mode, an API and
 * two workers in the Redis mode. A process killed is shown lost and its task
 * runs elsewhere; a cancel reaches the process that runs the task; a retry
 * runs wherever a runner is free; a paused lane starts nothing anywhere.
 */
describe('operating the queue across processes', () => {
  let smtp: SmtpPeer;
  let rig: ProcessRig;
  const releases: (() => void)[] = [];

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    rig = new ProcessRig(smtp);
  });
  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    await rig.tearDown();
    smtp.reset();
  });
  after(() => smtp.close());

  /** Holds every SMTP answer until released; released after the test whatever happened. */
  function holdSmtp(): () => void {
    const release = smtp.hold();
    releases.push(release);
    return release;
  }

  /**
   * Two processes that run tasks, and an admin: in the in-process mode both
   * are APIs; in the Redis mode they are workers, beside an API of their own.
   */
  async function cluster(mode: Mode, extra: Record<string, string> = {}) {
    // A short lease: a process is lost, and its claims lapse, after some 2 s.
    const setting = await rig.setting({ TASK_LEASE_MS: '2000', ...extra });
    const env = mode === 'bullmq' ? setting.bullmq : setting.inProcess;
    const start = () => rig.started(mode === 'bullmq' ? startWorkerProcess(env) : startServerProcess(env));
    const api = mode === 'bullmq' ? await rig.started(startServerProcess(env)) : undefined;
    const runners = await Promise.all([start(), start()]);
    const first = api ?? (runners[0] as ServerProcess);
    const token = await adminToken(first.url, smtp, setting.databaseUrl);
    const other = (runner: ServerProcess) => runners.find((each) => each !== runner) as ServerProcess;
    return {
      databaseUrl: setting.databaseUrl,
      runners,
      other,
      api: adminApi(first, token),
      /** The API of a process other than `runner` (the Redis mode's API; the other runner in the in-process mode). */
      apiBeside: (runner: ServerProcess) => adminApi(api ?? other(runner), token),
      /** The process whose claim holds the running task `id`, and its id in `/workers` (read in the database: the API shows neither). */
      async runnerOf(id: string): Promise<{ process: ServerProcess; workerId: string }> {
        const [row] = await sql(
          setting.databaseUrl,
          `select w.id, w.pid from tasks t join task_workers w on w.id = t.locked_by where t.id = '${id}' and t.state = 'active'`,
        );
        const process = runners.find((each) => each.child.pid === row?.pid);
        assert.ok(process, `task ${id} runs in one of the two processes (held by ${row?.id})`);
        return { process, workerId: row?.id as string };
      },
    };
  }

  for (const mode of modes) {
    it(`${mode}: a process killed mid-task is shown lost; the other runs its task to completion`, { timeout: 120_000 }, async () => {
      const { runnerOf, other, api, apiBeside } = await cluster(mode);
      await withOutputOnFailure(rig.processes, async () => {
        const address = 'held@example.com';
        const release = holdSmtp();
        const held = smtp.nextHeld(address);
        assert.equal((await api.sendMail([address])).status, 202);
        await held;
        const [task] = await api.tasks('name=mail.bulk-message');
        const id = task?.id as string;
        const { process: killed, workerId: killedId } = await runnerOf(id);
        const survivor = other(killed);
        const admin = apiBeside(killed);
        const survivorId = (await admin.workers()).find((worker) => worker.pid === survivor.child.pid)?.id;
        const completedBefore = (await admin.workers()).find((worker) => worker.id === survivorId)?.completed ?? 0;

        const retaken = smtp.nextHeld(address);
        assert.equal(await killed.stop('SIGKILL'), null);
        const killedAt = Date.now();
        await waitFor('the killed process to be shown lost', async () => {
          const workers = await admin.workers();
          return workers.find((worker) => worker.id === killedId)?.state === 'lost';
        });
        const lostAfterMs = Date.now() - killedAt;
        const workers = await admin.workers();
        assert.deepEqual(
          workers.map((worker) => [worker.id, worker.state]).sort(),
          [
            [killedId, 'lost'],
            [survivorId, 'online'],
          ].sort(),
        );

        await retaken;
        const retakenAfterMs = Date.now() - killedAt;
        assert.equal((await runnerOf(id)).workerId, survivorId, 'the other process runs the task now');
        const running = await admin.task(id);
        assert.equal(running.state, 'active');
        assert.equal(running.attempts_made, 2, 'the killed attempt counts as one');
        release();
        await smtp.waitForMail((mail) => mail.to.includes(address), 30_000);
        await waitFor('the task to be completed', async () => (await admin.task(id)).state === 'completed');
        await waitFor('the survivor to count it', async () => {
          const worker = (await admin.workers()).find((each) => each.id === survivorId);
          return (worker?.completed ?? 0) > completedBefore;
        });
        assert.equal(smtp.mailsTo(address).length, 1, 'the killed attempt delivered nothing: its connection died with it');
        report(`process running a task SIGKILLed (${mode})`, { lostAfterMs, retakenAfterMs, delivered: smtp.mailsTo(address).length });
      });
    });

    it(`${mode}: a cancel through another process aborts a running task; a waiting one never runs`, { timeout: 120_000 }, async () => {
      // One bulk task at a time in each process: the rest of the mailing waits, pending.
      const { databaseUrl, runnerOf, api, apiBeside } = await cluster(mode, { WORKER_CONCURRENCY: '1' });
      await withOutputOnFailure(rig.processes, async () => {
        const addresses = bulkAddresses(6, 'cancel');
        const release = holdSmtp();
        assert.equal((await api.sendMail(addresses)).status, 202);
        await waitFor('a message held in each process', () => smtp.held === 2);
        const [active] = await api.tasks('name=mail.bulk-message&state=active');
        const [pending] = await api.tasks('name=mail.bulk-message&state=pending');
        assert.ok(active && pending);
        const { process: runner } = await runnerOf(active.id);
        const admin = apiBeside(runner);

        const addressOf = async (id: string) => {
          const [row] = await sql(databaseUrl, `select payload->>'address' as address from tasks where id = '${id}'`);
          return row?.address as string;
        };
        const stopped = [await addressOf(active.id), await addressOf(pending.id)];

        // First the waiting one: once the running one is aborted, its process takes the next.
        assert.equal((await admin.post(`/tasks/${pending.id}/cancel`)).json.state, 'cancelled');
        const cancelledAt = Date.now();
        const cancelled = await admin.post(`/tasks/${active.id}/cancel`);
        assert.equal(cancelled.status, 200);
        assert.equal(cancelled.json.state, 'cancelled');
        await waitFor('the running send to be aborted in its process', () => smtp.hungUp(stopped[0] as string));
        const cancelToAbortMs = Date.now() - cancelledAt;
        const ended = new RegExp(`"task":"${active.id}"[^\\n]*"msg":"(task cancelled by an operator[^"]*|task outcome not recorded[^"]*)"`);
        await waitFor('its process to log how the attempt ended', () => ended.test(runner.output()));
        assert.equal(ended.exec(runner.output())?.[1], 'task cancelled by an operator; its attempt was aborted', 'told as a cancel');

        release();
        const others = addresses.filter((address) => !stopped.includes(address));
        await waitFor('the rest of the mailing', () => deliveries(smtp, others).delivered === others.length, 30_000);
        await waitFor('nothing left to run in the bulk lane', async () => {
          const { counts } = await admin.lane('bulk');
          return counts.pending === 0 && counts.active === 0 && counts.delayed === 0;
        });
        assert.deepEqual(
          stopped.map((address) => smtp.mailsTo(address).length),
          [0, 0],
          'neither cancelled task delivered: the aborted send was cut off, the waiting one never started',
        );
        const neverRan = await admin.task(pending.id);
        assert.equal(neverRan.state, 'cancelled');
        assert.equal(neverRan.attempts_made, 0, 'the waiting task never started');
        assert.equal((await admin.task(active.id)).state, 'cancelled');

        for (const id of [active.id, pending.id]) {
          const retried = await admin.post(`/tasks/${id}/retry`);
          assert.equal(retried.status, 200);
          assert.equal(retried.json.state, 'pending');
        }
        await waitFor('both retried tasks to complete', async () => {
          const states = await Promise.all([active.id, pending.id].map(async (id) => (await admin.task(id)).state));
          return states.every((state) => state === 'completed');
        });
        assert.deepEqual(
          stopped.map((address) => smtp.mailsTo(address).length),
          [1, 1],
          'each retried task delivered once',
        );
        assert.equal(deliveries(smtp, addresses).duplicates, 0);
        report(`cancel across processes (${mode})`, { cancelToAbortMs, deliveredAfterRetry: 2 });
      });
    });

    it(`${mode}: retried, a failed task and one cancelled mid-send each run again, once`, { timeout: 120_000 }, async () => {
      const { api, runners, runnerOf, apiBeside } = await cluster(mode);
      await withOutputOnFailure(rig.processes, async () => {
        const address = 'refused@example.com';
        smtp.refuse(1000, 451);
        assert.equal((await api.sendMail([address])).status, 202);
        let failed: TaskView | undefined;
        await waitFor('the message task to fail', async () => {
          [failed] = await api.tasks('name=mail.bulk-message&state=failed');
          return failed !== undefined;
        });
        const id = failed?.id as string;
        assert.equal(failed?.attempts_made, failed?.max_attempts);
        assert.match(failed?.error ?? '', /451|Try again later/);
        const refusals = smtp.refused;
        smtp.reset();
        const completedBy = async () => new Map((await api.workers()).map((worker) => [worker.pid, worker.completed]));
        const before = await completedBy();

        const retriedAt = Date.now();
        const retried = await api.post(`/tasks/${id}/retry`);
        assert.equal(retried.status, 200);
        assert.equal(retried.json.state, 'pending');
        assert.equal(retried.json.attempts_made, 0);
        await smtp.waitForMail((mail) => mail.to.includes(address), 30_000);
        const deliveredAfterMs = Date.now() - retriedAt;
        await waitFor('the retried task to complete', async () => (await api.task(id)).state === 'completed');
        const done = await api.task(id);
        assert.equal(done.attempts_made, 1, 'attempts counted afresh');
        assert.equal(done.error, null);
        let ranIn: number | undefined;
        await waitFor('a process that runs tasks to count it', async () => {
          for (const [pid, completed] of await completedBy()) if (completed > (before.get(pid) ?? 0)) ranIn = pid;
          return ranIn !== undefined;
        });
        assert.ok(
          runners.some((runner) => runner.child.pid === ranIn),
          'one of the two processes that run tasks ran it',
        );
        assert.equal(smtp.mailsTo(address).length, 1);

        // Retried at once after a cancel, while the cancelled attempt is still winding down in its process.
        const second = 'undone@example.com';
        const release = holdSmtp();
        const held = smtp.nextHeld(second);
        assert.equal((await api.sendMail([second])).status, 202);
        await held;
        const [running] = await api.tasks('name=mail.bulk-message&state=active');
        const undone = running?.id as string;
        const { process: runner } = await runnerOf(undone);
        const admin = apiBeside(runner);
        assert.equal((await admin.post(`/tasks/${undone}/cancel`)).json.state, 'cancelled');
        const undoneAt = Date.now();
        assert.equal((await admin.post(`/tasks/${undone}/retry`)).json.state, 'pending');
        await waitFor('the cancelled send to be aborted', () => smtp.hungUp(second));
        release();
        // As soon as any task would: the reconciler's repair, half a minute or more later, is not a retry.
        await smtp.waitForMail((mail) => mail.to.includes(second), 15_000);
        const undoneDeliveredAfterMs = Date.now() - undoneAt;
        await waitFor('the task retried after its cancel to complete', async () => (await admin.task(undone)).state === 'completed');
        assert.equal(smtp.mailsTo(second).length, 1, 'the aborted attempt delivered nothing, the retried one its mail');
        report(`retry of a failed task, and of a running one just cancelled, across processes (${mode})`, {
          refusals,
          attempts: failed?.attempts_made ?? 0,
          deliveredAfterMs,
          retriedJustAfterCancelDeliveredAfterMs: undoneDeliveredAfterMs,
        });
      });
    });

    it(`${mode}: the bulk lane paused starts nothing in either process; verification mail flows`, { timeout: 120_000 }, async () => {
      const { api } = await cluster(mode, { WORKER_CONCURRENCY: '2' });
      await withOutputOnFailure(rig.processes, async () => {
        const addresses = bulkAddresses(60, 'paused');
        smtp.delayMs = 200;
        assert.equal((await api.sendMail(addresses)).status, 202);
        await waitFor('the mailing to be under way', () => deliveries(smtp, addresses).delivered >= 4);
        assert.deepEqual((await api.post('/queues/bulk/pause')).json, { lane: 'bulk', paused: true });
        await waitFor('the sends under way to end', async () => (await api.lane('bulk')).counts.active === 0);
        const atPause = deliveries(smtp, addresses).delivered;

        const body = newSignup();
        assert.equal((await call(api.url, 'POST', '/api/v1/auth/signup', body)).status, 201);
        await smtp.waitForMail((mail) => mail.to.includes(body.email), 30_000);
        // Longer than a worker takes to look again at a job it fetched just before the pause reached its queue (2 s).
        await new Promise((resolve) => setTimeout(resolve, 3000));
        assert.equal(deliveries(smtp, addresses).delivered, atPause, 'no process started a bulk send while the lane was paused');
        const paused = await api.lane('bulk');
        assert.equal(paused.paused, true);
        assert.equal(paused.counts.pending, addresses.length - atPause);
        const workers = await api.workers();
        assert.deepEqual(
          workers.map((worker) => [worker.state, worker.lanes.includes('bulk')]),
          [
            ['online', true],
            ['online', true],
          ],
          'both processes ran on, each free to take bulk tasks but for the pause',
        );

        assert.equal((await api.post('/queues/bulk/resume')).json.paused, false);
        const resumedAt = Date.now();
        await waitFor('every mail of the mailing', () => deliveries(smtp, addresses).delivered === addresses.length, 60_000);
        const allDeliveredAfterMs = Date.now() - resumedAt;
        const { duplicates } = deliveries(smtp, addresses);
        assert.equal(duplicates, 0);
        report(`bulk lane paused across processes (${mode})`, {
          deliveredBeforePause: atPause,
          heldWhilePaused: addresses.length - atPause,
          allDeliveredAfterResumeMs: allDeliveredAfterMs,
          duplicates,
        });
      });
    });
  }
});
