import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { newSignup } from '../support/accounts.js';
import { adminToken, bulkAddresses, call, deliveries, report, sql, waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { OwnPostgres } from '../support/own-postgres.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/**
 * The database goes away (a PostgreSQL of the test's own, crashed and
 * started again) while Bookly works, in both modes. Every task committed
 * before or after must complete, with every mail delivered.
 */
describe('PostgreSQL stopped and started again', () => {
  let postgres: OwnPostgres;
  let smtp: SmtpPeer;
  let processes: ServerProcess[] = [];
  let prefixes: string[] = [];

  before(async () => {
    postgres = await OwnPostgres.start();
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  afterEach(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    processes = [];
    await postgres.restart();
    for (const prefix of prefixes) await deleteKeys(redisUrl, prefix);
    prefixes = [];
    smtp.reset();
  });
  after(async () => {
    await smtp.close();
    await postgres.destroy();
  });

  type Mode = 'in-process' | 'bullmq';

  /** The API (and in the BullMQ mode two workers) on a database of their own on the test's PostgreSQL. */
  async function start(mode: Mode, name: string): Promise<{ api: string; databaseUrl: string }> {
    const databaseUrl = await postgres.createDatabase(name);
    const prefix = testPrefix();
    prefixes.push(prefix);
    // A lease shorter than the outage: the claims lapse while the database is away.
    const env = {
      ...testEnv({ smtp, databaseUrl }),
      TASK_LEASE_MS: '4000',
      ...(mode === 'bullmq' ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
    };
    const api = await startServerProcess(env);
    processes.push(api);
    if (mode === 'bullmq') processes.push(...(await Promise.all([startWorkerProcess(env), startWorkerProcess(env)])));
    return { api: api.url, databaseUrl };
  }

  const outageMs = 15_000;

  for (const mode of ['in-process', 'bullmq'] as const) {
    it(`${mode}: a 1,000-address bulk send delivers every mail`, { timeout: 240_000 }, async () => {
      const { api, databaseUrl } = await start(mode, `bulk_${mode.replace('-', '_')}`);
      const token = await adminToken(api, smtp, databaseUrl);
      const addresses = bulkAddresses(1000);
      // About a hundred a second: the send is under way for the whole outage.
      smtp.delayMs = 100;
      assert.equal((await call(api, 'POST', '/api/v1/auth/send_mail', { addresses }, token)).status, 202);
      await waitFor('the send to be under way', () => deliveries(smtp, addresses).delivered >= 200, 120_000);

      await postgres.stop();
      const atStop = deliveries(smtp, addresses).delivered;
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      await postgres.restart();
      const restarted = Date.now();

      await withOutputOnFailure(processes, () =>
        waitFor('every mail', () => deliveries(smtp, addresses).delivered === addresses.length, 180_000),
      );
      const recoveredMs = Date.now() - restarted;
      await waitFor(
        'every task to be completed',
        async () => (await sql(databaseUrl, `select count(*)::int as n from tasks where state <> 'completed'`))[0]?.n === 0,
        60_000,
      );
      const { delivered, duplicates } = deliveries(smtp, addresses);
      report(`postgres stopped ${outageMs / 1000} s during a 1,000-mail send (${mode})`, {
        delivered,
        duplicates,
        deliveredBeforeStop: atStop,
        drainedAfterRestartMs: recoveredMs,
      });
      assert.equal(delivered, 1000);
      // In one process nothing else can take a task whose outcome waits for the database.
      if (mode === 'in-process') assert.equal(duplicates, 0, 'no mail twice');
    });

    it(`${mode}: signups answer 503 while it is down, 201 after, and every 201's mail arrives`, { timeout: 180_000 }, async () => {
      const { api } = await start(mode, `signups_${mode.replace('-', '_')}`);
      const answered: { email: string; status: number }[] = [];
      let going = true;
      const signups = (async () => {
        while (going) {
          const body = newSignup();
          answered.push({ email: body.email, status: (await call(api, 'POST', '/api/v1/auth/signup', body)).status });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await waitFor('signups before the outage', () => answered.length >= 10);
      await postgres.stop();
      await waitFor('a signup during the outage', () => answered.some((reply) => reply.status === 503), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await postgres.restart();
      const back = answered.length;
      await waitFor('signups after the restart', () => answered.slice(back).filter((reply) => reply.status === 201).length >= 10, 60_000);
      going = false;
      await signups;

      const statuses = new Set(answered.map((reply) => reply.status));
      assert.deepEqual([...statuses].sort(), [201, 503], 'only 201 and 503, never a 500');
      const created = answered.filter((reply) => reply.status === 201);
      for (const { email } of created) await smtp.waitForMail((m) => m.to.includes(email), 60_000);
      report(`postgres stopped while signups go on (${mode})`, {
        signups: answered.length,
        answered201: created.length,
        answered503: answered.filter((reply) => reply.status === 503).length,
        mailsFor201: created.length,
      });
    });
  }
});
