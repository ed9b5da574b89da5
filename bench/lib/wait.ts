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

export interface TaskCounts {
  completed: number;
  failed: number;
  /** From the first completion to the last. */
  spanMs: number;
}

/** Waits until `target` tasks named `name` have completed, failing at the first failed one. */
export async function waitForTasks(
  sql: pg.Pool,
  name: string,
  target: number,
  onProgress: (counts: TaskCounts) => void,
): Promise<TaskCounts> {
  let counts: TaskCounts = { completed: 0, failed: 0, spanMs: 0 };
  await waitFor(
    `${target} ${name} tasks`,
    async () => {
      counts = await taskCounts(sql, name);
      onProgress(counts);
      if (counts.failed > 0) throw new Error(`${counts.failed} ${name} tasks failed`);
      return counts.completed >= target;
    },
    900_000,
    250,
  );
  return counts;
}

/** Tasks of one name by state, and the span of their completions, from the task table. */
export async function taskCounts(sql: pg.Pool, name: string): Promise<TaskCounts> {
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
