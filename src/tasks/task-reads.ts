import { and, count, desc, eq, gt, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type TaskRow, type TaskState, taskStates, tasks } from '../db/schema/index.js';
import type { Lane } from './lane.js';

export interface TaskFilter {
  readonly state?: TaskState | undefined;
  readonly name?: string | undefined;
  readonly lane?: string | undefined;
}

export type StateCounts = Record<TaskState, number>;

export interface LaneStats {
  readonly lane: Lane;
  readonly counts: StateCounts;
  /** Seconds the longest-waiting due task of the lane has waited; 0 when none waits. */
  readonly oldestWaitingSeconds: number;
  /** The last 60 minutes, oldest first, the current minute last. */
  readonly perMinute: readonly { readonly minute: Date; readonly completed: number; readonly failed: number }[];
}

const minutesShown = 60;

/**
 * What the API, the console and `/metrics` read of the task table: the same
 * answers in both modes, since the table is the truth in both.
 */
export class TaskReads {
  constructor(private readonly db: Db) {}

  /** A page of tasks, newest first, and how many match in all. */
  async list(filter: TaskFilter, limit: number, offset: number): Promise<{ rows: TaskRow[]; total: number }> {
    const where = matching(filter);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(tasks).where(where).orderBy(desc(tasks.createdAt), desc(tasks.id)).limit(limit).offset(offset),
      this.db.select({ n: count() }).from(tasks).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }

  /** Each lane's counts by state, oldest waiting age, and the last hour's completed and failed per minute. */
  async laneStats(lanes: readonly Lane[]): Promise<LaneStats[]> {
    const [counts, oldest, minutes] = await Promise.all([
      this.db.select({ lane: tasks.lane, state: tasks.state, n: count() }).from(tasks).groupBy(tasks.lane, tasks.state),
      this.oldestWaiting(),
      this.db
        .select({
          lane: tasks.lane,
          minute: sql<string>`to_char(date_trunc('minute', ${tasks.finishedAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"')`,
          completed: sql<number>`(count(*) filter (where ${tasks.state} = 'completed'))::int`,
          failed: sql<number>`(count(*) filter (where ${tasks.state} = 'failed'))::int`,
        })
        .from(tasks)
        .where(
          and(
            gt(tasks.finishedAt, sql`date_trunc('minute', now()) - ${minutesShown - 1} * interval '1 minute'`),
            inArray(tasks.state, ['completed', 'failed']),
          ),
        )
        .groupBy(sql`1, 2`),
    ]);
    const thisMinute = Math.floor(Date.now() / 60_000) * 60_000;
    return lanes.map((lane) => {
      const byState = Object.fromEntries(taskStates.map((state) => [state, 0])) as StateCounts;
      for (const row of counts) if (row.lane === lane) byState[row.state] = row.n;
      const byMinute = new Map(minutes.filter((row) => row.lane === lane).map((row) => [Date.parse(row.minute), row]));
      const perMinute = Array.from({ length: minutesShown }, (_, i) => {
        const minute = thisMinute - (minutesShown - 1 - i) * 60_000;
        const row = byMinute.get(minute);
        return { minute: new Date(minute), completed: row?.completed ?? 0, failed: row?.failed ?? 0 };
      });
      return { lane, counts: byState, oldestWaitingSeconds: oldest.get(lane) ?? 0, perMinute };
    });
  }

  /** Unfinished tasks (and failed ones, kept for a look and a retry) by lane and state: `/metrics`' queue depths. */
  async depths(): Promise<{ lane: string; state: string; count: number }[]> {
    return this.db
      .select({ lane: tasks.lane, state: tasks.state, count: count() })
      .from(tasks)
      .where(inArray(tasks.state, ['pending', 'delayed', 'active', 'failed']))
      .groupBy(tasks.lane, tasks.state);
  }

  /** Per lane, the seconds since the longest-waiting due task could have started. */
  async oldestWaiting(): Promise<Map<string, number>> {
    const rows = await this.db
      .select({ lane: tasks.lane, seconds: sql<number>`extract(epoch from now() - min(${tasks.runAt}))::float8` })
      .from(tasks)
      .where(and(inArray(tasks.state, ['pending', 'delayed']), lte(tasks.runAt, sql`now()`)))
      .groupBy(tasks.lane);
    return new Map(rows.map((row) => [row.lane, Math.max(0, row.seconds)]));
  }
}

function matching(filter: TaskFilter): SQL | undefined {
  return and(
    filter.state ? eq(tasks.state, filter.state) : undefined,
    filter.name ? eq(tasks.name, filter.name) : undefined,
    filter.lane ? eq(tasks.lane, filter.lane) : undefined,
  );
}
