import { Cron } from 'croner';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { taskSchedules } from '../db/schema/index.js';
import { transaction } from '../db/transaction.js';
import { OutageLog } from '../lib/outage-log.js';
import type { TaskEnqueuer } from './context.js';

/** A periodic task: `task` is enqueued at every slot of `cron` (five fields, or six with seconds; UTC). */
export interface ScheduleDefinition {
  readonly name: string;
  readonly cron: string;
  readonly task: string;
  readonly payload: unknown;
}

export interface ScheduleView {
  readonly name: string;
  readonly cron: string;
  readonly task: string;
  readonly nextRunAt: Date | null;
  readonly lastRunAt: Date | null;
  readonly lastTaskId: string | null;
}

/** The longest the scheduler sleeps, so a clock that jumps is caught up with soon. */
const maxSleepMs = 60_000;

/**
 * Enqueues the periodic tasks, in every process that runs tasks. Each slot is
 * enqueued once however many processes tick: the slot is taken by moving the
 * schedule's `last_slot_at` forward in the same transaction that enqueues the
 * task, and a process that finds it moved already enqueues nothing. A process
 * that starts after slots went by while nothing ran takes only the latest of
 * them: a missed slot runs once, not once per slot missed. The task carries
 * the schedule's key, so a slot whose predecessor still runs adds none.
 */
export class Scheduler {
  private readonly crons: Map<string, { definition: ScheduleDefinition; cron: Cron }>;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly outage: OutageLog;

  private enqueuer: Pick<TaskEnqueuer, 'enqueueKeyed'> | undefined;

  constructor(
    private readonly db: Db,
    definitions: readonly ScheduleDefinition[],
    private readonly log: Logger,
  ) {
    this.crons = new Map(definitions.map((definition) => [definition.name, { definition, cron: parseCron(definition) }]));
    this.outage = new OutageLog(log, 'Scheduler');
  }

  /** Starts ticking in this process (one that runs tasks), enqueueing through `enqueuer`. */
  start(enqueuer: Pick<TaskEnqueuer, 'enqueueKeyed'>): void {
    this.enqueuer = enqueuer;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  /** Every schedule with its next slot and its last enqueued task, for `/schedules` and the console. */
  async list(): Promise<ScheduleView[]> {
    const rows = await this.db.select().from(taskSchedules);
    const byName = new Map(rows.map((row) => [row.name, row]));
    return [...this.crons.values()].map(({ definition, cron }) => {
      const row = byName.get(definition.name);
      return {
        name: definition.name,
        cron: definition.cron,
        task: definition.task,
        nextRunAt: cron.nextRun(),
        lastRunAt: row?.lastRunAt ?? null,
        lastTaskId: row?.lastTaskId ?? null,
      };
    });
  }

  /** Takes every schedule's latest slot that is due and not yet taken; returns the ids of the tasks enqueued. */
  async tick(now = new Date()): Promise<string[]> {
    const enqueued: string[] = [];
    for (const { definition, cron } of this.crons.values()) {
      // previousRuns looks strictly before its reference: a slot at exactly `now` is due now.
      const [slot] = cron.previousRuns(1, new Date(now.getTime() + 1));
      if (!slot) continue;
      const taskId = await this.take(definition, slot);
      if (taskId) enqueued.push(taskId);
    }
    return enqueued;
  }

  private async take(definition: ScheduleDefinition, slot: Date): Promise<string | undefined> {
    return transaction(this.db, async (tx) => {
      // The first time a schedule is seen, its current slot counts as taken: only later slots run.
      const first = await tx
        .insert(taskSchedules)
        .values({ name: definition.name, lastSlotAt: slot })
        .onConflictDoNothing()
        .returning({ name: taskSchedules.name });
      if (first.length > 0) return undefined;
      const [taken] = await tx
        .update(taskSchedules)
        .set({ lastSlotAt: slot, lastRunAt: sql`now()` })
        .where(and(eq(taskSchedules.name, definition.name), lt(taskSchedules.lastSlotAt, slot)))
        .returning({ name: taskSchedules.name });
      if (!taken) return undefined;
      if (!this.enqueuer) throw new Error('Scheduler.tick() before start()');
      const taskId = await this.enqueuer.enqueueKeyed(tx, definition.task, definition.payload, `schedule:${definition.name}`);
      await tx.update(taskSchedules).set({ lastTaskId: taskId }).where(eq(taskSchedules.name, definition.name));
      return taskId;
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.run();
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      const enqueued = await this.tick();
      if (enqueued.length > 0) this.log.info({ tasks: enqueued }, 'periodic tasks enqueued');
      this.outage.recovered();
    } catch (err) {
      this.outage.failed(err);
    }
    this.schedule(this.untilNextSlot());
  }

  private untilNextSlot(): number {
    const now = Date.now();
    let soonest = now + maxSleepMs;
    for (const { cron } of this.crons.values()) {
      const next = cron.nextRun()?.getTime();
      if (next !== undefined && next < soonest) soonest = next;
    }
    // A few milliseconds past the slot, so that the slot is in the past when the tick looks.
    return Math.max(soonest - now + 5, 10);
  }
}

function parseCron(definition: ScheduleDefinition): Cron {
  try {
    return new Cron(definition.cron, { timezone: 'UTC', paused: true });
  } catch (err) {
    throw new Error(`Schedule ${definition.name} has an invalid cron expression "${definition.cron}": ${(err as Error).message}`);
  }
}
