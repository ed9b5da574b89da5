import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** Polls until `done()` holds, failing after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Tasks of one name by state, and the span of their completions, from the task table. */
export async function taskCounts(sql: pg.Pool, name: string): Promise<{ completed: number; failed: number; spanMs: number }> {
  const { rows } = await sql.query<{ completed: string; failed: string; span_ms: string | null }>(
    `select count(*) filter (where state = 'completed') as completed,
            count(*) filter (where state = 'failed') as failed,
            extract(epoch from max(finished_at) - min(finished_at)) * 1000 as span_ms
       from tasks where name = $1`,
    [name],
  );
  const row = rows[0];
  return { completed: Number(row?.completed), failed: Number(row?.failed), spanMs: Number(row?.span_ms ?? 0) };
}
