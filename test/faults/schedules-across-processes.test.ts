import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createPostgresDatabase } from '../support/databases.js';
import { report, sql, withOutputOnFailure } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/**
 * A schedule that fires every second, ticked by three processes that run
 * tasks (three APIs in the in-process mode, three workers in the Redis
 * mode): each slot runs once; everything stopped across slots, then started
 * again, runs the missed slots once.
 */
describe('a periodic task across three processes', () => {
  let smtp: SmtpPeer;
  let processes: ServerProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  afterEach(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    processes = [];
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  after(() => smtp.close());

  const slots = async (databaseUrl: string) =>
    sql(databaseUrl, `select key, state, created_at from tasks where name = 'maintenance.prune' order by created_at`);

  for (const mode of ['in-process', 'bullmq'] as const) {
    it(`${mode}: every second for ten seconds runs ten times, then a stop across slots runs once`, { timeout: 180_000 }, async () => {
      const database = await createPostgresDatabase();
      const prefix = testPrefix();
      cleanups.push(database.drop, () => deleteKeys(redisUrl, prefix));
      const env = {
        ...testEnv({ smtp, databaseUrl: database.url }),
        PRUNE_SCHEDULE: '* * * * * *',
        ...(mode === 'bullmq' ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
      };
      const start = () => (mode === 'bullmq' ? startWorkerProcess(env) : startServerProcess(env));
      if (mode === 'bullmq') processes.push(await startServerProcess(env));
      const runners = await Promise.all([start(), start(), start()]);
      processes.push(...runners);
      await withOutputOnFailure(processes, async () => {
        const first = (await slots(database.url)).length;
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        const during = (await slots(database.url)).length - first;
        // Ten seconds hold nine to eleven slot boundaries, depending on where they start.
        assert.ok(during >= 9 && during <= 11, `${during} runs in ten seconds of a per-second schedule`);
        const rows = await sql(
          database.url,
          `select count(*)::int as n, count(distinct created_at)::int as d from tasks where name = 'maintenance.prune'`,
        );
        assert.equal(rows[0]?.n, rows[0]?.d);

        for (const runner of runners) await runner.stop('SIGTERM');
        processes = processes.filter((process) => !runners.includes(process));
        const beforeGap = (await slots(database.url)).length;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const restarted = Date.now();
        const again = await Promise.all([start(), start(), start()]);
        processes.push(...again);
        const afterStart = await slots(database.url);
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
