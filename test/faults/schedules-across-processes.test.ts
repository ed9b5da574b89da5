import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { report, sql, waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { modes, ProcessRig } from '../support/process-rig.js';
import { startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin } from '../support/test-app.js';

/**
 * A schedule that fires every second, ticked by three processes that run
 * tasks (three APIs in the in-process mode, three workers in the Redis
 * mode): each slot runs once; everything stopped across slots, then started
 * again, runs the missed slots once.
 */
describe('a periodic task across three processes', () => {
  let smtp: SmtpPeer;
  let rig: ProcessRig;

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    rig = new ProcessRig(smtp);
  });
  afterEach(() => rig.tearDown());
  after(() => smtp.close());

  const slots = async (databaseUrl: string) =>
    sql(databaseUrl, `select key, state, created_at from tasks where name = 'maintenance.prune' order by created_at`);

  for (const mode of modes) {
    it(`${mode}: every second for ten seconds runs ten times, then a stop across slots runs once`, { timeout: 180_000 }, async () => {
      const setting = await rig.setting({ PRUNE_SCHEDULE: '* * * * * *' });
      const { databaseUrl } = setting;
      const env = mode === 'bullmq' ? setting.bullmq : setting.inProcess;
      const start = () => rig.started(mode === 'bullmq' ? startWorkerProcess(env) : startServerProcess(env));
      if (mode === 'bullmq') await rig.started(startServerProcess(env));
      const runners = await Promise.all([start(), start(), start()]);
      await withOutputOnFailure(rig.processes, async () => {
        const first = (await slots(databaseUrl)).length;
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        const during = (await slots(databaseUrl)).length - first;
        // Ten seconds hold nine to eleven slot boundaries, depending on where they start.
        assert.ok(during >= 9 && during <= 11, `${during} runs in ten seconds of a per-second schedule`);
        const rows = await sql(
          databaseUrl,
          `select count(*)::int as n, count(distinct created_at)::int as d from tasks where name = 'maintenance.prune'`,
        );
        assert.equal(rows[0]?.n, rows[0]?.d);

        for (const runner of runners) await runner.stop('SIGTERM');
        const beforeGap = (await slots(databaseUrl)).length;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const restarted = Date.now();
        await Promise.all([start(), start(), start()]);
        // On a loaded machine a process says it is ready before its scheduler's first tick has committed.
        await waitFor('the catch-up run', async () => (await slots(databaseUrl)).length > beforeGap, 20_000);
        const afterStart = await slots(databaseUrl);
        // One catch-up run for the three or more slots missed, then one per slot boundary since the first start.
        const added = afterStart.length - beforeGap;
        const boundaries = Math.ceil((Date.now() - restarted) / 1000);
        assert.ok(added >= 1 && added <= boundaries + 1, `${added} runs in the ${boundaries} s since the start (missed slots run once)`);
        const unfinished = afterStart.filter((row) => row.state !== 'completed' && row.state !== 'active' && row.state !== 'pending');
        assert.deepEqual(unfinished, []);
        report(`schedule every second, ${mode}`, { runsIn10s: during, afterMissedSlots: added });
      });
    });
  }
});
