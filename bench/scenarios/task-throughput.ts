import { Queue } from 'bullmq';
import nodemailer from 'nodemailer';
import type pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { connectionsPerLane } from '../../src/mail/smtp-mailer.js';
import { createPostgresDatabase } from '../../test/support/databases.js';
import { deleteKeys, redisUrl, testPrefix } from '../../test/support/redis.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import { smtpLogin } from '../../test/support/test-app.js';
import { benchAccount } from '../lib/accounts.js';
import { startChild } from '../lib/child.js';
import { type CpuPerUnit, cpuPerUnit, meterCpu, processes, processesNamed } from '../lib/cpu-meter.js';
import { postJson } from '../lib/load.js';
import { enqueueNoops, queuePausedNoops } from '../lib/noops.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { type Mode, startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { taskCounts, waitFor, waitForTasks } from '../lib/wait.js';
import { barChart } from '../report/charts/bar-chart.js';
import { stackedBarChart } from '../report/charts/stacked-bar-chart.js';

const sizes = { smoke: { mails: 20, noops: 50 }, quick: { mails: 2000, noops: 2000 }, full: { mails: 10_000, noops: 10_000 } };
/** Bookly's own settings, so that the baselines get the same means: a lane's SMTP pool at the defaults. */
const defaults = loadConfig({});
const smtpConnections = connectionsPerLane(defaults.mail.maxConnections, defaults.tasks.concurrency);
const workerConcurrency = 10;

interface Measured {
  perSecond: number;
  cpu: CpuPerUnit;
}

/** Where a task's CPU time goes. The bench process is the SMTP server, and nodemailer itself in its baseline. */
const cpuParts = ['Bookly or bare worker', 'PostgreSQL', 'Redis', 'bench process', 'other'] as const;
const meterGroups = (...pids: (number | undefined)[]) => ({
  'Bookly or bare worker': processes(...pids),
  PostgreSQL: processesNamed('postgres'),
  Redis: processesNamed('redis-server'),
  'bench process': processes(process.pid),
});

/**
 * Mails per second from queued mail tasks, beside nodemailer sending straight
 * to the same server; no-op tasks per second beside a bare BullMQ worker.
 */
export const taskThroughput: Scenario = {
  name: 'task-throughput',
  title: 'Task throughput: mail and no-op tasks',
  async run({ size, progress, smtp }) {
    const { mails, noops } = sizes[size];
    const result = emptyResult();
    smtp.delayMs = 0;

    progress.update(`nodemailer alone: ${mails} mails`);
    const raw = await rawNodemailer(smtp, mails);
    const bookly: Record<string, Measured> = {};
    for (const [label, mode, workers] of [
      ['in-process (API)', 'in-process', 0],
      ['BullMQ, 1 worker', 'bullmq', 1],
      ['BullMQ, 2 workers', 'bullmq', 2],
    ] as const) {
      progress.update(`${label}: ${mails} mails`);
      bookly[label] = await booklyMail(smtp, mode, workers, mails, (done) => progress.update(`${label}: ${done}/${mails} mails`));
    }

    progress.update(`bare BullMQ worker: ${noops} no-op jobs`);
    const bareNoops = await bareBullmq(noops);
    progress.update(`Bookly worker: ${noops} no-op tasks`);
    const booklyNoops = await booklyNoop(smtp, noops, (what) => progress.update(`Bookly worker: ${what}`));
    progress.update(`Bookly in-process runner: ${noops} no-op tasks`);
    const inProcessNoops = await booklyInProcessNoop(smtp, noops, (what) => progress.update(`Bookly in-process runner: ${what}`));
    progress.update(`graphile-worker: ${noops} no-op jobs`);
    const graphileNoops = await graphileWorker(noops);

    const mailRuns: [string, Measured][] = [
      [`nodemailer alone, pool of ${smtpConnections}`, raw],
      ...Object.entries(bookly).map(([label, measured]): [string, Measured] => [`Bookly mail, ${label}`, measured]),
    ];
    const noopRuns: [string, Measured][] = [
      ['bare BullMQ worker, no-op jobs', bareNoops],
      ['Bookly worker, no-op tasks', booklyNoops],
      ['graphile-worker, no-op jobs', graphileNoops],
      ['Bookly in-process runner (API), no-op tasks', inProcessNoops],
    ];
    result.figures = {
      mails,
      noops,
      mailRuns: Object.fromEntries(mailRuns),
      noopRuns: Object.fromEntries(noopRuns),
    };
    const ms = (v: number | undefined) => round(v ?? 0, 3);
    result.table.push(
      `| what | per second | CPU ms each: ${cpuParts.join(' | ')} | machine busy |`,
      `|---|---|${cpuParts.map(() => '---|').join('')}---|`,
    );
    for (const [label, { perSecond, cpu }] of [...mailRuns, ...noopRuns]) {
      result.table.push(
        `| ${label} | ${round(perSecond, 0)} | ${cpuParts.map((part) => ms(cpu.parts[part])).join(' | ')} | ${round(cpu.busyShare * 100, 0)}% |`,
      );
    }
    const oneWorker = bookly['BullMQ, 1 worker'] as Measured;
    result.comparisons.push(
      compare('mail, 1 BullMQ worker / nodemailer alone', oneWorker.perSecond, raw.perSecond, 'mails/s', { ratio: 0.8, better: 'above' }),
      compare('mail, 2 BullMQ workers / nodemailer alone', (bookly['BullMQ, 2 workers'] as Measured).perSecond, raw.perSecond, 'mails/s'),
      compare('mail, in-process / nodemailer alone', (bookly['in-process (API)'] as Measured).perSecond, raw.perSecond, 'mails/s'),
      compare('no-op tasks, Bookly worker / bare BullMQ worker', booklyNoops.perSecond, bareNoops.perSecond, 'tasks/s', {
        ratio: 0.8,
        better: 'above',
      }),
      compare('no-op tasks, Bookly in-process runner / graphile-worker', inProcessNoops.perSecond, graphileNoops.perSecond, 'tasks/s', {
        ratio: 1.0,
        better: 'above',
      }),
    );
    const cpuBars = (runs: [string, Measured][]) =>
      runs.map(([label, { cpu }]) => ({
        label,
        values: cpuParts.map((part) => cpu.parts[part] ?? 0),
        note: `machine ${round(cpu.busyShare * 100, 0)}% busy`,
      }));
    result.charts.push(
      {
        name: 'mail-throughput',
        caption: `Mails per second into the SMTP server (${mails} mails)`,
        svg: await barChart(
          mailRuns.map(([label, { perSecond }]) => ({ label, value: perSecond })),
          { title: 'Mail throughput', unit: 'mails/s', target: { value: raw.perSecond * 0.8, label: '0.8 × nodemailer' } },
        ),
      },
      {
        name: 'mail-cpu',
        caption:
          'CPU time per mail, by process, over the whole send (the bench process is the SMTP server, and in the first row nodemailer too)',
        svg: await stackedBarChart(cpuBars(mailRuns), { title: 'CPU per mail', unit: 'ms', parts: cpuParts }),
      },
      {
        name: 'noop-throughput',
        caption: `No-op tasks per second, ${workerConcurrency} at a time (${noops} tasks)`,
        svg: await barChart(
          noopRuns.map(([label, { perSecond }]) => ({ label, value: perSecond })),
          { title: 'Task machinery throughput', unit: 'tasks/s', target: { value: bareNoops.perSecond * 0.8, label: '0.8 × bare' } },
        ),
      },
      {
        name: 'noop-cpu',
        caption:
          'CPU time per no-op task, by process, from the worker being ready (the in-process API: its first claim) to the last task done',
        svg: await stackedBarChart(cpuBars(noopRuns), { title: 'CPU per no-op task', unit: 'ms', parts: cpuParts }),
      },
    );
    const part = (measured: Measured, name: string) => ms(measured.cpu.parts[name]);
    const total = (measured: Measured) => ms(measured.cpu.totalMs);
    result.notes.push(
      `What bounds the tasks: a mail through one Bookly worker cost the machine ${total(oneWorker)} ms of CPU (worker ${part(oneWorker, 'Bookly or bare worker')}, PostgreSQL ${part(oneWorker, 'PostgreSQL')}, Redis ${part(oneWorker, 'Redis')}), against ${total(raw)} ms for nodemailer and the SMTP server alone; a no-op task ${total(booklyNoops)} ms (PostgreSQL ${part(booklyNoops, 'PostgreSQL')}) against ${total(bareNoops)} ms for a bare BullMQ job, with the machine ${round(booklyNoops.cpu.busyShare * 100, 0)}% busy. The README's Performance section says what remains and why.`,
      'A Bookly task writes its start and its end to the task table (the record that status queries and retries read); the bare worker keeps nothing but BullMQ’s own job hash.',
      inProcessNote(inProcessNoops, graphileNoops),
    );
    return result;
  },
};

/** Rate between the first and the last acceptance, so that start-up costs do not count. */
function rate(count: number, firstMs: number, lastMs: number): number {
  return (count - 1) / ((lastMs - firstMs) / 1000);
}

function acceptedSpan(smtp: SmtpPeer, addresses: readonly string[]): { first: number; last: number } {
  const times = addresses.map((a) => smtp.acceptedAt.get(a) as number);
  return { first: Math.min(...times), last: Math.max(...times) };
}

async function rawNodemailer(smtp: SmtpPeer, count: number): Promise<Measured> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: smtpConnections,
    maxMessages: Number.POSITIVE_INFINITY,
    host: '127.0.0.1',
    port: smtp.port,
    requireTLS: true,
    auth: smtpLogin,
    tls: { rejectUnauthorized: false },
  });
  const tag = `raw-${Date.now()}`;
  const addresses = Array.from({ length: count }, (_, i) => `${tag}-${i}@example.com`);
  const meter = meterCpu(meterGroups());
  try {
    await Promise.all(
      addresses.map((to) => transport.sendMail({ from: 'noreply@bookly.test', to, subject: 'News', html: '<p>Hello</p>', text: 'Hello' })),
    );
  } finally {
    transport.close();
  }
  const cpu = cpuPerUnit(meter.stop(), count);
  const { first, last } = acceptedSpan(smtp, addresses);
  return { perSecond: rate(count, first, last), cpu };
}

async function booklyMail(
  smtp: SmtpPeer,
  mode: Mode,
  workers: number,
  count: number,
  onProgress: (done: number) => void,
): Promise<Measured> {
  const stack = await startStack({ mode, database: 'postgres', smtp, workers });
  try {
    const { token } = await benchAccount(stack, smtp, true);
    const tag = `${mode}-${workers}-${Date.now()}`;
    const addresses = Array.from({ length: count }, (_, i) => `${tag}-${i}@example.com`);
    const meter = meterCpu(meterGroups(stack.api.child.pid, ...stack.workers.map((worker) => worker.child.pid)));
    for (let start = 0; start < count; start += 1000) {
      const status = await postJson(
        `${stack.url}/api/v1/auth/send_mail`,
        { addresses: addresses.slice(start, start + 1000), subject: 'News', html: '<p>Hello</p>' },
        { authorization: `Bearer ${token}` },
      );
      if (status !== 202) throw new Error(`send_mail answered ${status}`);
    }
    await waitFor(
      `${count} bulk mails`,
      () => {
        const done = addresses.filter((a) => smtp.acceptedAt.has(a)).length;
        onProgress(done);
        return done === count;
      },
      600_000,
      250,
    );
    const cpu = cpuPerUnit(meter.stop(), count);
    const { first, last } = acceptedSpan(smtp, addresses);
    return { perSecond: rate(count, first, last), cpu };
  } finally {
    await stack.stop();
  }
}

async function bareBullmq(count: number): Promise<Measured> {
  const prefix = testPrefix();
  const queue = new Queue('noop', { connection: { host: '127.0.0.1', port: 6379 }, prefix });
  try {
    for (let start = 0; start < count; start += 1000) {
      const batch = Math.min(1000, count - start);
      await queue.addBulk(
        Array.from({ length: batch }, () => ({ name: 'noop', data: {}, opts: { removeOnComplete: { age: 24 * 3600, count: 100_000 } } })),
      );
    }
    return await meteredBaseline(
      'bare-bullmq-worker.ts',
      { REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: 'noop', CONCURRENCY: String(workerConcurrency), COUNT: String(count) },
      count,
    );
  } finally {
    await queue.close();
    await deleteKeys(redisUrl, prefix);
  }
}

/** Queues the no-op tasks first, then starts one worker, so that it has a full queue from its first moment. */
async function booklyNoop(smtp: SmtpPeer, count: number, onProgress: (what: string) => void): Promise<Measured> {
  const stack = await startStack({
    mode: 'bullmq',
    database: 'postgres',
    smtp,
    workers: 0,
    env: { WORKER_CONCURRENCY: String(workerConcurrency) },
  });
  try {
    await enqueueNoops(stack.env, count, (done) => onProgress(`${done}/${count} queued`));
    const worker = await stack.addWorker();
    // The worker starts on the queue as soon as it is ready: only what it runs from here on is metered.
    return await meteredNoops(stack.sql as NonNullable<typeof stack.sql>, worker.child.pid, count, onProgress);
  } finally {
    await stack.stop();
  }
}

/**
 * The peer of the in-process runner, with the same concurrency, on a
 * database of its own: the jobs are queued before it starts, as for the
 * bare BullMQ worker.
 */
async function graphileWorker(count: number): Promise<Measured> {
  const database = await createPostgresDatabase();
  try {
    return await meteredBaseline(
      'graphile-worker-noops.ts',
      { DATABASE_URL: database.url, CONCURRENCY: String(workerConcurrency), COUNT: String(count) },
      count,
    );
  } finally {
    await database.drop();
  }
}

/**
 * The API runs the tasks itself (no Redis): they are recorded while their
 * lane is paused, then let go, so that it has a full table from its first claim.
 * Its rate, like the worker's, runs from the first completion to the last.
 */
async function booklyInProcessNoop(smtp: SmtpPeer, count: number, onProgress: (what: string) => void): Promise<Measured> {
  const stack = await startStack({
    mode: 'in-process',
    database: 'postgres',
    smtp,
    env: { WORKER_CONCURRENCY: String(workerConcurrency) },
  });
  try {
    const queued = await queuePausedNoops(stack.env, count, (done) => onProgress(`${done}/${count} queued`));
    const sql = stack.sql as NonNullable<typeof stack.sql>;
    await queued.resume();
    // The API finds them at its next poll (up to TASK_POLL_MS later): metering from its first claim
    // keeps that idle wait out of the figures, as the worker above is metered from its being ready.
    await waitFor(
      'the API to claim the first no-op tasks',
      async () => (await sql.query(`select 1 from tasks where name = 'system.noop' and state <> 'pending' limit 1`)).rowCount === 1,
      30_000,
      5,
    );
    return await meteredNoops(sql, stack.api.child.pid, count, onProgress);
  } finally {
    await stack.stop();
  }
}

/**
 * A baseline program of `bench/baseline/` that says "ready", runs its `count`
 * jobs and prints the epoch times of its first and last completion: metered
 * from "ready" on.
 */
async function meteredBaseline(script: string, env: Record<string, string>, count: number): Promise<Measured> {
  const worker = await startChild(script, env, /(ready)/);
  try {
    const meter = meterCpu(meterGroups(worker.child.pid));
    const [, json] = await worker.next(/done (\{.*\})/);
    const cpu = cpuPerUnit(meter.stop(), count);
    const { first, last } = JSON.parse(json as string) as { first: number; last: number };
    return { perSecond: rate(count, first, last), cpu };
  } finally {
    await worker.stop();
  }
}

/** Meters the process `pid` until `count` no-op tasks have completed; the rate runs from the first completion to the last. */
async function meteredNoops(sql: pg.Pool, pid: number | undefined, count: number, onProgress: (what: string) => void): Promise<Measured> {
  const meter = meterCpu(meterGroups(pid));
  const before = await taskCounts(sql, 'system.noop');
  const counts = await waitForTasks(sql, 'system.noop', count, ({ completed }) => onProgress(`${completed}/${count} done`));
  const cpu = cpuPerUnit(meter.stop(), counts.completed - before.completed);
  return { perSecond: (count - 1) / (counts.spanMs / 1000), cpu };
}

/** What bounds the in-process runner beside graphile-worker, from this run's CPU figures. */
function inProcessNote(bookly: Measured, graphile: Measured): string {
  const ms = (measured: Measured, part: string) => round(measured.cpu.parts[part] ?? 0, 3);
  const times = (part: string) => round((bookly.cpu.parts[part] ?? 0) / (graphile.cpu.parts[part] ?? Number.NaN), 2);
  const busy = (measured: Measured) => round(measured.cpu.busyShare * 100, 0);
  const ratio = round(bookly.perSecond / graphile.perSecond, 2);
  const figures = `In-process runner beside graphile-worker (${ratio}×): a no-op task cost PostgreSQL ${ms(bookly, 'PostgreSQL')} ms and the API ${ms(bookly, 'Bookly or bare worker')} ms, a graphile-worker job PostgreSQL ${ms(graphile, 'PostgreSQL')} ms and its process ${ms(graphile, 'Bookly or bare worker')} ms (${times('PostgreSQL')}× and ${times('Bookly or bare worker')}×), with the machine ${busy(bookly)}% and ${busy(graphile)}% busy.`;
  const why =
    'A Bookly task is a claim that writes its start (state, lease, attempt) and a finish that writes its end, both kept in the task table for status queries and retries; a graphile-worker job is one claim (get_job) and one delete (complete_job), and nothing is kept.';
  if (ratio >= 1) return `${figures} ${why}`;
  // Below the peer: say which of the two bounds this run shows, the database's work per task or the runner's own waiting.
  const waits =
    bookly.cpu.busyShare < graphile.cpu.busyShare
      ? ` The machine was also less busy than under graphile-worker, so CPU alone does not bound it: the runner claims a lane's tasks from one loop, one claim at a time, where graphile-worker's ${workerConcurrency} slots each claim their own next job.`
      : '';
  const first =
    times('PostgreSQL') >= times('Bookly or bare worker')
      ? `PostgreSQL's work per task (${times('PostgreSQL')}× graphile-worker's)`
      : `the API's own CPU per task (${times('Bookly or bare worker')}× graphile-worker's process)`;
  return `${figures} ${why} So ${first} bounds it first.${waits}`;
}
