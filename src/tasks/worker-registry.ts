import { hostname } from 'node:os';
import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type TaskWorkerRow, taskWorkers } from '../db/schema/index.js';
import type { Lane } from './lane.js';

/** A heartbeat's report: what this process has running and has done since it started. */
export interface WorkerTally {
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
}

export interface WorkerView extends TaskWorkerRow {
  readonly state: 'online' | 'lost';
}

/** Heartbeats missed before a process counts as lost (its leases run out about then too). */
export const missedBeatsForLost = 3;

/** A worker is lost once it has missed three heartbeats; what it ran, its leases hand to others. */
const lost = sql<boolean>`${taskWorkers.lastSeenAt} < now() - ${missedBeatsForLost} * ${taskWorkers.heartbeatMs} * interval '1 millisecond'`;

/**
 * The processes that run tasks, each as its own heartbeat last wrote it: the
 * same table in both modes, so `/workers` and the console tell the truth
 * whether the API or `npm run worker` processes run the tasks.
 */
export class WorkerRegistry {
  constructor(private readonly db: Db) {}

  /** Writes this process's row: on start (inserted) and on every heartbeat (updated). */
  async beat(
    id: string,
    about: { readonly lanes: readonly Lane[]; readonly concurrency: number; readonly heartbeatMs: number },
    tally: WorkerTally,
  ): Promise<void> {
    await this.db
      .insert(taskWorkers)
      .values({
        id,
        hostname: hostname(),
        pid: process.pid,
        lanes: [...about.lanes],
        concurrency: about.concurrency,
        heartbeatMs: about.heartbeatMs,
        ...tally,
      })
      .onConflictDoUpdate({ target: taskWorkers.id, set: { ...tally, lastSeenAt: sql`now()` } });
  }

  /** A clean stop: the process is gone, not lost. */
  async leave(id: string): Promise<void> {
    await this.db.delete(taskWorkers).where(eq(taskWorkers.id, id));
  }

  async list(): Promise<WorkerView[]> {
    const rows = await this.db.select({ row: taskWorkers, lost }).from(taskWorkers).orderBy(desc(taskWorkers.lastSeenAt));
    return rows.map(({ row, lost }) => ({ ...row, state: lost ? 'lost' : 'online' }));
  }

  /** Online processes per lane, for `/metrics`: a lane that none runs is absent. */
  async onlineByLane(): Promise<{ lane: string; count: number }[]> {
    const rows = await this.db.select({ lanes: taskWorkers.lanes }).from(taskWorkers).where(sql`not (${lost})`);
    const counts = new Map<string, number>();
    for (const { lanes } of rows) for (const lane of lanes) counts.set(lane, (counts.get(lane) ?? 0) + 1);
    return [...counts].map(([lane, count]) => ({ lane, count }));
  }
}
