import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import {
  devMail,
  linkTokens,
  mailings,
  mailMessages,
  mailSuppressions,
  recipientSends,
  revokedSessions,
  type TaskState,
  tasks,
  taskWorkers,
  users,
} from '../../src/db/schema/index.js';
import type { PruneResult } from '../../src/tasks/definitions/prune.js';
import { prune } from '../../src/tasks/retention.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { describeEachDatabase } from '../support/suite.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A moment `interval` before now, as the database reckons it. */
const ago = (interval: string): SQL => sql`now() - ${interval}::interval`;
const fromNow = (interval: string): SQL => sql`now() + ${interval}::interval`;

const isLive = (state: TaskState) => state === 'pending' || state === 'delayed' || state === 'active';

interface TaskRows {
  /** How long ago it finished, as an interval (`7 days - 1 minute`); null: it has not. */
  finished: string | null;
  count?: number;
  name?: 'system.noop' | 'mail.bulk-message';
  payload?: Record<string, string>;
}

/**
 * Task rows as the store leaves them. A live one is not due for a day
 * (pending, delayed) or held by another process (active), so that the test's
 * own runner leaves it as it is.
 */
async function insertTasks(
  db: Db,
  state: TaskState,
  { finished, count = 1, name = 'system.noop', payload = {} }: TaskRows,
): Promise<string[]> {
  const rows = Array.from({ length: count }, () => ({
    name,
    lane: name === 'mail.bulk-message' ? 'bulk' : 'default',
    payload,
    maxAttempts: 1,
    state,
    createdAt: ago('60 days'),
    finishedAt: finished === null ? null : ago(finished),
    ...(isLive(state) ? { runAt: fromNow('1 day') } : {}),
    ...(state === 'active' ? { lockedBy: 'another-process', lockedUntil: fromNow('1 day'), attemptsMade: 1 } : {}),
  }));
  const inserted = await db.insert(tasks).values(rows).returning({ id: tasks.id });
  return inserted.map((row) => row.id);
}

async function insertUser(db: Db): Promise<string> {
  const id = randomBytes(4).toString('hex');
  const [user] = await db
    .insert(users)
    .values({ username: `u-${id}`, email: `u-${id}@example.com`, firstName: 'A', lastName: 'B', passwordHash: 'x' })
    .returning({ uid: users.uid });
  return (user as { uid: string }).uid;
}

async function insertMailing(db: Db, addresses: string[], fannedOut: boolean): Promise<string> {
  const [mailing] = await db
    .insert(mailings)
    .values({
      subject: 'News',
      html: '<p>News</p>',
      addresses,
      recipients: addresses.length,
      fannedOutAt: fannedOut ? ago('2 hours') : null,
    })
    .returning({ id: mailings.id });
  return (mailing as { id: string }).id;
}

/** One `mail.bulk-message` task of `mailingId` per address, in `state`. */
async function insertMessages(db: Db, mailingId: string, addresses: string[], state: TaskState): Promise<void> {
  for (const address of addresses) {
    await insertTasks(db, state, { finished: isLive(state) ? null : '1 hour', name: 'mail.bulk-message', payload: { mailingId, address } });
  }
}

async function waitForTask(t: TestApp, id: string, state: TaskState) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [task] = await t.deps.db.select().from(tasks).where(eq(tasks.id, id));
    if (task?.state === state) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${task?.state} (${task?.error}), not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Enqueues `maintenance.prune` as the scheduler does: through the app's task queue, to run as any task. */
async function enqueuePrune(t: TestApp): Promise<string> {
  return t.deps.tasks.enqueue(t.deps.db, 'maintenance.prune', {});
}

/** Runs the prune as a task and gives its result. */
async function runPrune(t: TestApp): Promise<PruneResult> {
  const done = await waitForTask(t, await enqueuePrune(t), 'completed');
  return done.result as PruneResult;
}

const noneRemoved: PruneResult = {
  tasks: 0,
  linkTokens: 0,
  revokedSessions: 0,
  mailingAddresses: 0,
  devMail: 0,
  mailMessages: 0,
  recipientSends: 0,
  taskWorkers: 0,
  redisJobs: 0,
  batches: 0,
};

async function remaining<T extends { id: string }>(rows: Promise<T[]>): Promise<Set<string>> {
  return new Set((await rows).map((row) => row.id));
}

describeEachDatabase('maintenance.prune', (ctx) => {
  it('removes what is past its retention and keeps the rest', async () => {
    const { db } = ctx.t.deps;
    // Each kept row just inside its retention, each removed one just outside.
    const keptTasks = [
      ...(await insertTasks(db, 'completed', { finished: '7 days - 1 minute' })),
      ...(await insertTasks(db, 'failed', { finished: '30 days - 1 minute' })),
      ...(await insertTasks(db, 'cancelled', { finished: '30 days - 1 minute' })),
      // Finished 8 days ago: past the completed tasks' retention, not the failed ones'.
      ...(await insertTasks(db, 'failed', { finished: '8 days' })),
      ...(await insertTasks(db, 'cancelled', { finished: '8 days' })),
      // Live: the state decides, whatever a finish time long past says.
      ...(await insertTasks(db, 'pending', { finished: null })),
      ...(await insertTasks(db, 'delayed', { finished: null })),
      ...(await insertTasks(db, 'active', { finished: null })),
      ...(await insertTasks(db, 'pending', { finished: '90 days' })),
      ...(await insertTasks(db, 'delayed', { finished: '90 days' })),
      ...(await insertTasks(db, 'active', { finished: '90 days' })),
    ];
    const removedTasks = [
      ...(await insertTasks(db, 'completed', { finished: '7 days + 1 minute' })),
      ...(await insertTasks(db, 'failed', { finished: '30 days + 1 minute' })),
      ...(await insertTasks(db, 'cancelled', { finished: '30 days + 1 minute' })),
      ...(await insertTasks(db, 'completed', { finished: '400 days' })),
    ];

    const uid = await insertUser(db);
    const token = (hash: string, expires: SQL, used: SQL | null) =>
      ({ tokenHash: hash, userUid: uid, purpose: 'verify_email', expiresAt: expires, usedAt: used }) as const;
    await db.insert(linkTokens).values([
      token('expired-unused', ago('1 minute'), null),
      token('expired-used', ago('1 minute'), ago('2 hours')),
      // Used and not expired: what refuses the link a second time.
      token('valid-used', fromNow('1 minute'), ago('1 hour')),
      token('valid-unused', fromNow('1 minute'), null),
    ]);

    const [endedSession, liveSession] = [randomUUID(), randomUUID()];
    await db.insert(revokedSessions).values([
      { sessionId: endedSession, expiresAt: ago('1 minute') },
      { sessionId: liveSession, expiresAt: fromNow('1 minute') },
    ]);

    const sent = ['a@example.com', 'b@example.com', 'c@example.com'];
    const finished = await insertMailing(db, sent, true);
    await insertMessages(db, finished, sent.slice(0, 2), 'completed');
    await insertMessages(db, finished, sent.slice(2), 'failed');
    const underWay = await insertMailing(db, sent, true);
    await insertMessages(db, underWay, sent.slice(0, 2), 'completed');
    await insertMessages(db, underWay, sent.slice(2), 'delayed');
    const notFannedOut = await insertMailing(db, sent, false);

    const mail = (createdAt: SQL) => ({ to: 'x@example.com', subject: 's', html: 'h', text: 't', createdAt });
    const [, newMail] = await db
      .insert(devMail)
      .values([mail(ago('2 days')), mail(ago('1 hour'))])
      .returning({ id: devMail.id });

    const send = (address: string, last: SQL) => ({ address, kind: 'verify' as const, sentAt: sql`array[${last}]`, lastSentAt: last });
    await db.insert(recipientSends).values([send('spent@example.com', ago('61 minutes')), send('limited@example.com', ago('59 minutes'))]);

    const worker = (id: string, lastSeen: SQL) => ({
      id,
      hostname: 'h',
      pid: 1,
      lanes: ['default'],
      concurrency: 1,
      heartbeatMs: 1000,
      lastSeenAt: lastSeen,
    });
    await db.insert(taskWorkers).values([worker('lost', ago('25 hours')), worker('quiet', ago('23 hours'))]);

    const entry = (createdAt: SQL) => ({
      id: randomUUID(),
      kind: 'bulk' as const,
      recipient: 'x@example.com',
      subject: 's',
      state: 'sent' as const,
      messageId: `<${randomUUID()}@bookly.test>`,
      taskId: randomUUID(),
      createdAt,
    });
    const [, keptEntry] = await db
      .insert(mailMessages)
      .values([entry(ago('90 days + 1 minute')), entry(ago('90 days - 1 minute'))])
      .returning({ id: mailMessages.id });
    await db.insert(mailSuppressions).values({ email: 'gone@example.com', createdAt: ago('400 days') });

    const counts = await runPrune(ctx.t);

    assert.deepEqual(counts, {
      tasks: removedTasks.length,
      linkTokens: 2,
      revokedSessions: 1,
      mailingAddresses: 1,
      devMail: 1,
      mailMessages: 1,
      recipientSends: 1,
      taskWorkers: 1,
      redisJobs: 0,
      batches: 9,
    });
    const mine = [...keptTasks, ...removedTasks];
    assert.deepEqual(await remaining(db.select({ id: tasks.id }).from(tasks).where(inArray(tasks.id, mine))), new Set(keptTasks));
    const tokens = await db.select({ hash: linkTokens.tokenHash }).from(linkTokens);
    assert.deepEqual(tokens.map((row) => row.hash).sort(), ['valid-unused', 'valid-used']);
    const sessions = await db.select({ id: revokedSessions.sessionId }).from(revokedSessions);
    assert.deepEqual(
      sessions.map((row) => row.id),
      [liveSession],
    );
    const lists = new Map(
      (await db.select().from(mailings)).map((row) => [row.id, { addresses: row.addresses, recipients: row.recipients }]),
    );
    assert.deepEqual(lists.get(finished), { addresses: [], recipients: 3 });
    assert.deepEqual(lists.get(underWay), { addresses: sent, recipients: 3 });
    assert.deepEqual(lists.get(notFannedOut), { addresses: sent, recipients: 3 });
    assert.deepEqual(await remaining(db.select({ id: devMail.id }).from(devMail)), new Set([newMail?.id]));
    assert.deepEqual(await remaining(db.select({ id: mailMessages.id }).from(mailMessages)), new Set([keptEntry?.id]));
    assert.equal((await db.select().from(mailSuppressions)).length, 1, 'suppressions are kept');
    const sends = await db.select({ address: recipientSends.address }).from(recipientSends);
    assert.deepEqual(
      sends.map((row) => row.address),
      ['limited@example.com'],
    );
    const workers = await db
      .select({ id: taskWorkers.id })
      .from(taskWorkers)
      .where(inArray(taskWorkers.id, ['lost', 'quiet']));
    assert.deepEqual(
      workers.map((row) => row.id),
      ['quiet'],
    );

    // What is left is within retention: a second run finds nothing.
    assert.deepEqual(await runPrune(ctx.t), noneRemoved);
  });

  it('deletes PRUNE_BATCH_SIZE rows a statement until none is left, with the retention the variables set', async () => {
    await ctx.t.close();
    ctx.t = await startTestApp({
      db: ctx.db,
      smtp: ctx.smtp,
      env: { PRUNE_BATCH_SIZE: '7', TASK_RETENTION_DAYS: '1', TASK_FAILED_RETENTION_DAYS: '2' },
    });
    const { db } = ctx.t.deps;
    const old = [
      ...(await insertTasks(db, 'completed', { finished: '1 day + 1 minute', count: 25 })),
      ...(await insertTasks(db, 'failed', { finished: '2 days + 1 minute', count: 5 })),
    ];
    const kept = [
      ...(await insertTasks(db, 'completed', { finished: '23 hours', count: 3 })),
      ...(await insertTasks(db, 'failed', { finished: '47 hours', count: 3 })),
    ];

    const counts = await runPrune(ctx.t);

    // 25 completed tasks in 7, 7, 7 and 4; 5 failed ones in one statement.
    assert.deepEqual(counts, { ...noneRemoved, tasks: 30, batches: 5 });
    const left = await remaining(
      db
        .select({ id: tasks.id })
        .from(tasks)
        .where(inArray(tasks.id, [...old, ...kept])),
    );
    assert.deepEqual(left, new Set(kept));
  });

  it('stops before its next statement once its signal fires', async () => {
    const { db } = ctx.t.deps;
    const old = await insertTasks(db, 'completed', { finished: '8 days', count: 3 });
    const stop = new AbortController();
    stop.abort(new Error('shutting down'));
    await assert.rejects(prune(db, ctx.t.config.tasks.retention, stop.signal), /shutting down/);
    const left = await db.select({ id: tasks.id }).from(tasks).where(inArray(tasks.id, old));
    assert.equal(left.length, 3, 'nothing was deleted');
  });

  it('leaves alone the tasks enqueued and run while it prunes', async () => {
    await ctx.t.close();
    ctx.t = await startTestApp({ db: ctx.db, smtp: ctx.smtp, env: { PRUNE_BATCH_SIZE: '10' } });
    const { db } = ctx.t.deps;
    // Old tasks enough for 200 statements, while noops come and go beside them.
    await db.execute(sql`
      insert into ${tasks} (name, lane, payload, max_attempts, state, created_at, finished_at)
      select 'system.noop', 'default', '{}', 1, 'completed', now() - interval '60 days', now() - interval '30 days'
      from generate_series(1, 2000)`);
    const pruneId = await enqueuePrune(ctx.t);
    const pruneState = async () => (await db.select({ state: tasks.state }).from(tasks).where(eq(tasks.id, pruneId)))[0]?.state;

    // One at a time, each in a transaction of its own, until the prune is over and 50 at least.
    const noops: string[] = [];
    let duringPrune = 0;
    const deadline = Date.now() + 60_000;
    for (let state = await pruneState(); state !== 'completed' || noops.length < 50; ) {
      if (Date.now() > deadline) throw new Error(`the prune is ${state} after ${noops.length} noops`);
      noops.push(await ctx.t.deps.tasks.enqueue(db, 'system.noop', {}));
      // A turn of the event loop, as between two requests: PGlite answers within the same turn, and the runner wakes on the next.
      await new Promise(setImmediate);
      const before = state;
      state = await pruneState();
      if (before === 'active' && state === 'active') duringPrune += 1;
    }
    assert.ok(duringPrune > 0, 'some noops were enqueued while the prune ran');
    const done = await waitForTask(ctx.t, pruneId, 'completed');

    for (const id of noops) await waitForTask(ctx.t, id, 'completed');
    assert.equal((done.result as PruneResult).tasks, 2000);
    const [left] = await db.select({ n: sql<number>`count(*)::int` }).from(tasks).where(inArray(tasks.id, noops));
    assert.equal(left?.n, noops.length, 'every noop is still there');
  });
});

/** The Redis mode: the prune runs as a BullMQ job, kept in Redis as long as the database keeps its task. */
describe('maintenance.prune through BullMQ', () => {
  let db: TestDatabase;
  let prefix: string;
  let t: TestApp;

  before(async () => {
    db = await openTestDatabase('postgres');
  });
  after(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.reset();
    prefix = testPrefix();
    t = await startTestApp({
      db,
      env: {
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        API_RUNS_TASKS: 'true',
        TASK_RETENTION_DAYS: '3',
        TASK_FAILED_RETENTION_DAYS: '9',
      },
    });
  });
  afterEach(async () => {
    await t.close();
    await deleteKeys(redisUrl, prefix);
  });

  it('prunes, and its job stays in Redis for TASK_RETENTION_DAYS', async () => {
    const removed = await insertTasks(t.deps.db, 'completed', { finished: '3 days + 1 minute', count: 2 });
    const kept = await insertTasks(t.deps.db, 'failed', { finished: '3 days + 1 minute', count: 2 });
    const id = await enqueuePrune(t);
    const done = await waitForTask(t, id, 'completed');
    assert.equal((done.result as PruneResult).tasks, removed.length);
    const left = await t.deps.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(inArray(tasks.id, [...removed, ...kept]));
    assert.deepEqual(new Set(left.map((row) => row.id)), new Set(kept));

    const queue = t.deps.redis?.queues.all().find((candidate) => candidate.name === 'default');
    const job = await queue?.getJob(id);
    assert.deepEqual(job?.opts.removeOnComplete, { age: 3 * 24 * 3600, count: 100_000 });
    assert.deepEqual(job?.opts.removeOnFail, { age: 9 * 24 * 3600 });
  });

  it('removes the finished jobs of a lane that fell quiet, once past their retention, in batches', async () => {
    const bulk = t.deps.redis?.queues.all().find((candidate) => candidate.name === 'bulk');
    // The bulk lane gets finished jobs, then nothing more: BullMQ itself would keep them until its next job.
    const bulkIds = await t.deps.tasks.enqueueMany(t.deps.db, 'mail.bulk', [{ mailingId: randomUUID() }, { mailingId: randomUUID() }]);
    for (const id of bulkIds) await waitForTask(t, id, 'completed');
    await waitFor('BullMQ to hold the bulk lane’s finished jobs', async () => (await bulk?.getCompletedCount()) === 2);

    const done = await waitForTask(t, await enqueuePrune(t), 'completed');
    assert.equal((done.result as PruneResult).redisJobs, 0, 'nothing is three days old');
    assert.equal(await bulk?.getCompletedCount(), 2);

    // What the prune asks of BullMQ once they are past retention: here, with a retention of none.
    const removed = await t.deps.redis?.queues.pruneFinished(
      { completedDays: 0, failedDays: 0, batchSize: 1 },
      new AbortController().signal,
    );
    assert.ok((removed ?? 0) >= 2, `${removed} removed`);
    assert.equal(await bulk?.getCompletedCount(), 0);
  });
});
