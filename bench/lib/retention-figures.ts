import { Redis } from 'ioredis';
import type pg from 'pg';
import { taskStates } from '../../src/db/schema/index.js';
import { redisUrl } from '../../test/support/redis.js';

/** The tables that `maintenance.prune` keeps from growing, as the database names them. */
export const prunedTables = [
  'tasks',
  'mailings',
  'link_tokens',
  'dev_mail',
  'revoked_sessions',
  'recipient_sends',
  'task_workers',
  // Kept longer on purpose: the ledger for MAIL_LEDGER_RETENTION_DAYS, the unsubscribe links for good.
  'mail_messages',
  'unsubscribe_tokens',
] as const;
export type PrunedTable = (typeof prunedTables)[number];

/** What the database and Redis hold at one moment. */
export interface Holdings {
  rows: Record<PrunedTable, number>;
  tasksByState: Record<string, number>;
  /** Addresses still listed in `mailings.addresses`, and the bytes those arrays take. */
  mailingAddresses: { listed: number; bytes: number; recipients: number };
  /** `pg_total_relation_size`: the table, its indexes and its TOAST. */
  bytes: Record<PrunedTable, number>;
  /** Keys under the stack's Redis prefix, and of them those of jobs (named by their task's id); undefined without Redis. */
  redisKeys: { all: number; jobs: number } | undefined;
}

export async function holdings(sql: pg.Pool, redisPrefix: string | undefined): Promise<Holdings> {
  const counts = prunedTables.map((table) => `(select count(*) from ${table}) as ${table}`).join(', ');
  const sizes = prunedTables.map((table) => `pg_total_relation_size('${table}') as ${table}`).join(', ');
  const [rowsResult, sizesResult, statesResult, addressesResult] = await Promise.all([
    sql.query<Record<PrunedTable, string>>(`select ${counts}`),
    sql.query<Record<PrunedTable, string>>(`select ${sizes}`),
    sql.query<{ state: string; count: string }>('select state, count(*) from tasks group by state'),
    sql.query<{ listed: string; bytes: string; recipients: string }>(
      `select coalesce(sum(cardinality(addresses)), 0) as listed,
              coalesce(sum(pg_column_size(addresses)), 0) as bytes,
              coalesce(sum(recipients), 0) as recipients
         from mailings`,
    ),
  ]);
  const numbers = (row: Record<PrunedTable, string> | undefined) =>
    Object.fromEntries(prunedTables.map((table) => [table, Number(row?.[table])])) as Record<PrunedTable, number>;
  const tasksByState = Object.fromEntries(taskStates.map((state) => [state, 0]));
  for (const { state, count } of statesResult.rows) tasksByState[state] = Number(count);
  const addresses = addressesResult.rows[0];
  return {
    rows: numbers(rowsResult.rows[0]),
    tasksByState,
    mailingAddresses: { listed: Number(addresses?.listed), bytes: Number(addresses?.bytes), recipients: Number(addresses?.recipients) },
    bytes: numbers(sizesResult.rows[0]),
    redisKeys: redisPrefix === undefined ? undefined : await countKeys(redisPrefix),
  };
}

const taskId = /:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:|$)/;

async function countKeys(prefix: string): Promise<{ all: number; jobs: number }> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    const counts = { all: 0, jobs: 0 };
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      counts.all += keys.length;
      counts.jobs += keys.filter((key) => taskId.test(key)).length;
    } while (cursor !== '0');
    return counts;
  } finally {
    redis.disconnect();
  }
}
