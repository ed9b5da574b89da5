import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createPostgresDatabase } from '../support/databases.js';
import { adminToken, bulkAddresses, call, deliveries, report, sql, waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { histogramQuantile, readHistogram } from '../support/prometheus-histogram.js';
import { deleteKeys, freePort, redisUrl, testPrefix } from '../support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

const recipients = 1000;
/** Where each of the three runs of a mode is killed: early, half-way and late in the batch. */
const killPoints = [250, 500, 750] as const;

/**
 * Issue 13's target: the process that sends a 1,000-address mailing is
 * killed (SIGKILL) mid-batch and started again, three times in each mode,
 * and no recipient gets the message twice, counted at the SMTP server.
 * What is left is the window from the end of a message's DATA to the
 * ledger's record: the server's own time to answer, which no sender sees
 * into, then its 250 to the record, which the sending process measures
 * (bookly_mail_sent_record_seconds); each run reports both sides.
 */
describe('no recipient mailed twice when the sending process is killed mid-batch', () => {
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
    smtp.reset();
  });
  after(() => smtp.close());

  async function setting() {
    const database = await createPostgresDatabase();
    const prefix = testPrefix();
    cleanups.push(database.drop, () => deleteKeys(redisUrl, prefix));
    const base = { ...testEnv({ smtp, databaseUrl: database.url }), TASK_LEASE_MS: '2000', SHUTDOWN_TIMEOUT_MS: '2000' };
    return { databaseUrl: database.url, inProcess: base, bullmq: { ...base, REDIS_URL: redisUrl, REDIS_PREFIX: prefix } };
  }

  async function started(process: Promise<ServerProcess>): Promise<ServerProcess> {
    const running = await process;
    processes.push(running);
    return running;
  }

  /** A worker with a metrics server of its own, to read its window. */
  const worker = async (env: Record<string, string>) =>
    started(startWorkerProcess({ ...env, WORKER_METRICS_PORT: String(await freePort()) }));

  /** Starts the mailing and resolves once `killAt` recipients have theirs. */
  async function mailingUnderWay(api: ServerProcess, databaseUrl: string, killAt: number): Promise<string[]> {
    const token = await adminToken(api.url, smtp, databaseUrl);
    const addresses = bulkAddresses(recipients);
    // The server's answer takes a while, as a real one's does, so that the kill lands with messages in flight.
    smtp.delayMs = 10;
    assert.equal((await call(api.url, 'POST', '/api/v1/auth/send_mail', { addresses }, token)).status, 202);
    await waitFor('the mailing to be under way', () => deliveries(smtp, addresses).delivered >= killAt, 60_000);
    return addresses;
  }

  /** Waits for every recipient and every task after the kill, reports the run, and reads the window off `sender`. */
  async function recovered(mode: string, run: number, addresses: string[], databaseUrl: string, sender: ServerProcess, kill: Kill) {
    await waitFor('every recipient to have the mail', () => deliveries(smtp, addresses).delivered === addresses.length, 90_000);
    const recoveryMs = Date.now() - kill.at;
    await waitFor(
      'every task finished',
      async () => (await sql(databaseUrl, `select count(*)::int as n from tasks where state <> 'completed'`))[0]?.n === 0,
    );
    const { delivered, duplicates } = deliveries(smtp, addresses);
    const page = await fetch(`${sender.url}/metrics`);
    assert.equal(page.status, 200);
    const window = readHistogram(await page.text(), 'bookly_mail_sent_record_seconds');
    assert.ok(window, 'the sending process measures the window');
    report(`SIGKILL mid-batch, ${mode}, run ${run}`, {
      delivered,
      duplicates,
      duplicatesWithNewMessageId: withNewMessageId(addresses),
      deliveredAtKill: kill.delivered,
      recoveryMs,
      windowCount: window.count,
      windowP99Ms: (histogramQuantile(window, 0.99) * 1000).toFixed(2),
      windowMeanMs: window.count > 0 ? ((window.sum / window.count) * 1000).toFixed(2) : 'n/a',
      ...(duplicates > 0 ? { twice: await twice(databaseUrl, addresses, kill) } : {}),
    });
    assert.equal(delivered, addresses.length, 'every recipient has the mail');
    // What the ledger makes sure of by construction: a message is sent with one Message-ID, whatever ran it.
    assert.equal(withNewMessageId(addresses), 0, 'no recipient has two different messages');
  }

  /**
   * For a failed run, each recipient mailed twice: the ledger's attempts and state, whether both
   * copies carried one Message-ID, and when the server answered 250 to the first copy, in ms from
   * the SIGKILL (positive: after it, to a process that was already dead).
   */
  async function twice(databaseUrl: string, addresses: string[], kill: Kill): Promise<string> {
    const rows = await sql(databaseUrl, `select recipient, attempts, state from mail_messages where kind = 'bulk'`);
    const entries = new Map(rows.map((row) => [String(row.recipient).toLowerCase(), row]));
    return addresses
      .map((address) => ({ address, mails: smtp.mailsTo(address) }))
      .filter(({ mails }) => mails.length > 1)
      .map(({ address, mails }) => {
        const entry = entries.get(address);
        const ids = new Set(mails.map((mail) => mail.messageId)).size === 1 ? 'one Message-ID' : 'two Message-IDs';
        const answered = (mails[0]?.receivedAt ?? 0) - kill.signalledAt;
        return `${address}(attempts:${entry?.attempts},${entry?.state},${ids},first 250 at kill${answered < 0 ? '' : '+'}${answered}ms)`;
      })
      .join(',');
  }

  /** Recipients whose copies carry different Message-IDs: a receiver that folds copies by Message-ID cannot fold them. */
  const withNewMessageId = (addresses: readonly string[]) =>
    addresses.filter((address) => new Set(smtp.mailsTo(address).map((mail) => mail.messageId)).size > 1).length;

  interface Kill {
    /** When the signal was sent. */
    signalledAt: number;
    /** When the last victim had exited. */
    at: number;
    delivered: number;
  }

  const killed = async (victims: readonly ServerProcess[], addresses: string[]): Promise<Kill> => {
    const signalledAt = Date.now();
    const codes = await Promise.all(victims.map((victim) => victim.stop('SIGKILL')));
    assert.deepEqual(
      codes,
      victims.map(() => null),
    );
    return { signalledAt, at: Date.now(), delivered: deliveries(smtp, addresses).delivered };
  };

  for (const [index, killAt] of killPoints.entries()) {
    const run = index + 1;
    it(`in-process, run ${run}: the API killed after ${killAt} of ${recipients}, started again`, { timeout: 150_000 }, async () => {
      const { databaseUrl, inProcess } = await setting();
      const first = await started(startServerProcess(inProcess));
      const addresses = await mailingUnderWay(first, databaseUrl, killAt);
      const kill = await killed([first], addresses);
      const second = await started(startServerProcess(inProcess));
      await withOutputOnFailure([second], () => recovered('in-process', run, addresses, databaseUrl, second, kill));
    });
  }

  // Both workers at once, not one: twice the messages in flight at the kill, and no survivor to take
  // the stalled jobs, so a cold worker finds every one of them and runs them again.
  for (const [index, killAt] of killPoints.entries()) {
    const run = index + 1;
    it(`bullmq, run ${run}: both workers killed after ${killAt} of ${recipients}, one started again`, { timeout: 150_000 }, async () => {
      const { databaseUrl, bullmq } = await setting();
      const api = await started(startServerProcess(bullmq));
      const workers = await Promise.all([worker(bullmq), worker(bullmq)]);
      const addresses = await mailingUnderWay(api, databaseUrl, killAt);
      const kill = await killed(workers, addresses);
      const again = await worker(bullmq);
      await withOutputOnFailure([again, api], () => recovered('bullmq', run, addresses, databaseUrl, again, kill));
    });
  }
});
