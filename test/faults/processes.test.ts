import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { adminToken, bulkAddresses, call, deliveries, report, sql, waitFor } from '../support/fault-rig.js';
import { ProcessRig } from '../support/process-rig.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin } from '../support/test-app.js';

/**
 * The process running the tasks is killed, or frozen and thawed, in the
 * middle of a bulk send; or tasks are left running by one mode and the next
 * start is in the other. Every mail must be delivered.
 */
describe('processes killed, frozen, or switched mid-batch', () => {
  let smtp: SmtpPeer;
  let rig: ProcessRig;

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    rig = new ProcessRig(smtp);
  });
  afterEach(async () => {
    await rig.tearDown();
    smtp.reset();
  });
  after(() => smtp.close());

  const setting = () => rig.setting({ TASK_LEASE_MS: '2000', SHUTDOWN_TIMEOUT_MS: '2000' });

  const unfinished = async (databaseUrl: string) =>
    (await sql(databaseUrl, `select count(*)::int as n from tasks where state <> 'completed'`))[0]?.n as number;

  it('in-process: the API killed (SIGKILL) mid-batch, started again, delivers every mail', { timeout: 180_000 }, async () => {
    const { databaseUrl, inProcess } = await setting();
    const first = await rig.started(startServerProcess(inProcess));
    const token = await adminToken(first.url, smtp, databaseUrl);
    const addresses = bulkAddresses(300);
    smtp.delayMs = 20;
    assert.equal((await call(first.url, 'POST', '/api/v1/auth/send_mail', { addresses }, token)).status, 202);
    await waitFor('the batch to be under way', () => deliveries(smtp, addresses).delivered >= 50);
    assert.equal(await first.stop('SIGKILL'), null);
    const atKill = deliveries(smtp, addresses).delivered;
    const killed = Date.now();

    await rig.started(startServerProcess(inProcess));
    await waitFor('every mail', () => deliveries(smtp, addresses).delivered === addresses.length, 120_000);
    const recoveredMs = Date.now() - killed;
    await waitFor('every task completed', async () => (await unfinished(databaseUrl)) === 0);
    const { delivered, duplicates } = deliveries(smtp, addresses);
    report('SIGKILL of the API mid-batch (in-process)', {
      delivered,
      duplicates,
      deliveredAtKill: atKill,
      allDeliveredAfterMs: recoveredMs,
    });
    assert.equal(delivered, addresses.length);
  });

  /** The API and two workers in the BullMQ mode, with a 300-address bulk send under way. */
  async function bulkUnderWay() {
    const { databaseUrl, bullmq } = await setting();
    const api = await rig.started(startServerProcess(bullmq));
    const workers = await Promise.all([rig.started(startWorkerProcess(bullmq)), rig.started(startWorkerProcess(bullmq))]);
    const token = await adminToken(api.url, smtp, databaseUrl);
    const addresses = bulkAddresses(300);
    smtp.delayMs = 20;
    assert.equal((await call(api.url, 'POST', '/api/v1/auth/send_mail', { addresses }, token)).status, 202);
    await waitFor('the batch to be under way', () => deliveries(smtp, addresses).delivered >= 50);
    return { databaseUrl, addresses, worker: workers[0] as ServerProcess };
  }

  it('bullmq: a worker killed (SIGKILL) mid-batch; the other delivers every mail', { timeout: 180_000 }, async () => {
    const { databaseUrl, addresses, worker } = await bulkUnderWay();
    assert.equal(await worker.stop('SIGKILL'), null);
    const killed = Date.now();
    await waitFor('every mail', () => deliveries(smtp, addresses).delivered === addresses.length, 120_000);
    const recoveredMs = Date.now() - killed;
    await waitFor('every task completed', async () => (await unfinished(databaseUrl)) === 0);
    const { delivered, duplicates } = deliveries(smtp, addresses);
    report('SIGKILL of a worker mid-batch (bullmq)', { delivered, duplicates, allDeliveredAfterMs: recoveredMs });
    assert.equal(delivered, addresses.length);
  });

  it('bullmq: a worker frozen (SIGSTOP) past its lock and resumed; nothing is lost or overwritten', { timeout: 180_000 }, async () => {
    const { databaseUrl, addresses, worker: frozen } = await bulkUnderWay();
    frozen.child.kill('SIGSTOP');
    // Three leases: its locks and claims lapse, and the other worker takes its jobs.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    frozen.child.kill('SIGCONT');

    await waitFor('every mail', () => deliveries(smtp, addresses).delivered === addresses.length, 120_000);
    await waitFor('every task completed', async () => (await unfinished(databaseUrl)) === 0);
    const rows = await sql(databaseUrl, `select state, count(*)::int as n from tasks group by state`);
    assert.deepEqual(rows, [{ state: 'completed', n: 302 }], 'every task completed, none left failed or running');
    const { delivered, duplicates } = deliveries(smtp, addresses);
    const superseded = (frozen.output().match(/another attempt has the task/g) ?? []).length;
    report('worker frozen past its lock, then resumed (bullmq)', { delivered, duplicates, outcomesRefusedToTheThawedWorker: superseded });
    assert.equal(delivered, addresses.length);
    assert.equal(frozen.child.exitCode, null, 'the thawed worker runs on');
  });

  it('tasks left running by the BullMQ mode run when the next start is in-process', { timeout: 180_000 }, async () => {
    const { databaseUrl, bullmq, inProcess } = await setting();
    const api = await rig.started(startServerProcess(bullmq));
    const worker = await rig.started(startWorkerProcess(bullmq));
    const token = await adminToken(api.url, smtp, databaseUrl);
    const addresses = bulkAddresses(20);
    const release = smtp.hold();
    assert.equal((await call(api.url, 'POST', '/api/v1/auth/send_mail', { addresses }, token)).status, 202);
    await waitFor('tasks running in the worker', async () => {
      const [row] = await sql(databaseUrl, `select count(*)::int as n from tasks where state = 'active' and name = 'mail.bulk-message'`);
      return (row?.n ?? 0) > 0;
    });
    await worker.stop('SIGKILL');
    await api.stop('SIGKILL');
    release();

    await rig.started(startServerProcess(inProcess));
    await waitFor('every mail, in-process', () => deliveries(smtp, addresses).delivered === addresses.length, 60_000);
    await waitFor('every task completed', async () => (await unfinished(databaseUrl)) === 0);
    report('switch from BullMQ to in-process with tasks active', deliveries(smtp, addresses));
  });
});
