import { Redis } from 'ioredis';
import type pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { lanes } from '../../src/tasks/lane.js';
import { redisUrl } from '../../test/support/redis.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import { benchAccount } from './accounts.js';
import { ageFixedHorizons } from './age-rows.js';
import { enqueueTask } from './enqueue-task.js';
import { type Holdings, holdings, prunedTables } from './retention-figures.js';
import { type Mode, startStack } from './stack.js';
import { waitFor } from './wait.js';

export interface RetentionSize {
  mailings: number;
  addresses: number;
  /** Addresses of the one mailing sent after the prune. */
  later: number;
}

/** The prune's own task row. */
export interface PruneRun {
  /** From its start to its end. */
  runMs: number;
  /** From its enqueueing to its end. */
  totalMs: number;
  /** What it reported (`PruneCounts`). */
  result: Record<string, number>;
}

export interface RetentionRun {
  /** Days the rows with a fixed end were moved into the past (`ageFixedHorizons`), and how many of each. */
  agedDays: number;
  aged: Record<string, number>;
  /** What the mail was sent with (production's defaults); the prune ran with both days at 0. */
  retention: { completedDays: number; failedDays: number; batchSize: number };
  prune: PruneRun;
  sent: Holdings;
  pruned: Holdings;
  vacuumed: Holdings;
  later: Holdings;
}

/** A month: past every fixed end (the longest, a revocation's, is a refresh token's life, two days by default). */
const agedDays = 31;

/**
 * One stack of `mode` on a fresh database (and Redis prefix), with
 * production's retention: an admin sends the mailings and they are
 * delivered. Then the stack restarts with both retentions at 0 days, the
 * rows whose end is fixed in code are moved a month back, one
 * `maintenance.prune` runs, the tables are vacuumed, and one more mailing
 * goes out. What is held is read after each step.
 */
export async function retentionRun(
  mode: Mode,
  size: RetentionSize,
  smtp: SmtpPeer,
  onProgress: (what: string) => void,
): Promise<RetentionRun> {
  const stack = await startStack({ mode, database: 'postgres', smtp, workers: 1 });
  try {
    const sql = stack.sql as pg.Pool;
    const prefix = mode === 'bullmq' ? stack.env.REDIS_PREFIX : undefined;
    const admin = await benchAccount(stack, smtp, true);
    // A second login of the admin's, logged out: a revocation for the prune to find.
    await logInAndOut(stack.url, admin);
    const tag = `retention-${mode}-${Date.now()}`;
    const send = async (count: number, size: number, what: 'mailings' | 'later') => {
      const addresses: string[] = [];
      for (let m = 0; m < count; m++) {
        const batch = Array.from({ length: size }, (_, i) => `${tag}-${what}-${m}-${i}@example.com`);
        const response = await fetch(`${stack.url}/api/v1/auth/send_mail`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
          body: JSON.stringify({ addresses: batch, subject: 'News', html: '<p>Hello</p>' }),
        });
        const answer = await response.text();
        if (response.status !== 202) throw new Error(`send_mail answered ${response.status}: ${answer}`);
        addresses.push(...batch);
      }
      await settled(sql, prefix, smtp, addresses, (done) => onProgress(`${what}: ${done}/${addresses.length} delivered`));
    };

    await send(size.mailings, size.addresses, 'mailings');
    const sent = await holdings(sql, prefix);
    const { completedDays, failedDays, batchSize } = loadConfig(stack.env).tasks.retention;

    onProgress('restarting with retention 0 days');
    // The shortest retention the configuration takes: everything finished is past it, and the
    // BullMQ jobs added from now on carry it, so that each queue drops the older finished jobs.
    await stack.restart({ TASK_RETENTION_DAYS: '0', TASK_FAILED_RETENTION_DAYS: '0' });
    const aged = await ageFixedHorizons(sql, agedDays);
    onProgress('pruning');
    const taskId = await enqueueTask(stack.env, mode, 'maintenance.prune', {});
    const prune = await finished(sql, taskId);
    await settled(sql, prefix, smtp, [], () => {});
    const pruned = await holdings(sql, prefix);

    onProgress('vacuuming');
    // What autovacuum would do in its own time: make the deleted rows' space reusable.
    await sql.query(`vacuum (analyze) ${prunedTables.join(', ')}`);
    const vacuumed = await holdings(sql, prefix);

    await send(1, size.later, 'later');
    const later = await holdings(sql, prefix);
    return {
      agedDays,
      aged,
      retention: { completedDays, failedDays, batchSize },
      prune,
      sent,
      pruned,
      vacuumed,
      later,
    };
  } finally {
    await stack.stop();
  }
}

async function logInAndOut(url: string, account: { email: string; password: string }): Promise<void> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const logout = await fetch(`${url}/api/v1/auth/logout`, { headers: { authorization: `Bearer ${access_token}` } });
  await logout.arrayBuffer();
  if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`);
}

/** Until every address has its mail, no task is left to run, and (Redis mode) BullMQ has moved every job to its end. */
async function settled(
  sql: pg.Pool,
  prefix: string | undefined,
  smtp: SmtpPeer,
  addresses: readonly string[],
  onProgress: (done: number) => void,
): Promise<void> {
  const redis = prefix === undefined ? undefined : new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await waitFor(
      'the mail to be delivered and every task to end',
      async () => {
        const delivered = addresses.filter((address) => smtp.acceptedAt.has(address)).length;
        onProgress(delivered);
        if (delivered < addresses.length) return false;
        const { rows } = await sql.query<{ live: string }>(
          `select count(*) as live from tasks where state in ('pending', 'delayed', 'active')`,
        );
        if (Number(rows[0]?.live) > 0) return false;
        if (!redis) return true;
        const lengths = await Promise.all(
          lanes.flatMap((lane) => [
            redis.llen(`${prefix}:${lane}:wait`),
            redis.llen(`${prefix}:${lane}:active`),
            redis.zcard(`${prefix}:${lane}:prioritized`),
          ]),
        );
        return lengths.every((length) => length === 0);
      },
      900_000,
      250,
    );
  } finally {
    redis?.disconnect();
  }
}

async function finished(sql: pg.Pool, taskId: string): Promise<PruneRun> {
  let run: PruneRun | undefined;
  await waitFor(
    'the prune to finish',
    async () => {
      const { rows } = await sql.query<{ state: string; error: string | null; run_ms: number; total_ms: number; result: unknown }>(
        `select state, error, result,
                extract(epoch from finished_at - started_at) * 1000 as run_ms,
                extract(epoch from finished_at - created_at) * 1000 as total_ms
           from tasks where id = $1`,
        [taskId],
      );
      const row = rows[0];
      if (row?.state === 'failed' || row?.state === 'cancelled') throw new Error(`the prune ${row.state}: ${row.error}`);
      if (row?.state !== 'completed') return false;
      run = { runMs: Number(row.run_ms), totalMs: Number(row.total_ms), result: row.result as Record<string, number> };
      return true;
    },
    600_000,
  );
  return run as PruneRun;
}
