import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { TaskRow } from '../db/schema/index.js';
import { OutageLog } from '../lib/outage-log.js';
import type { Metrics } from '../observability/metrics.js';
import type { Lane } from './define.js';
import { type ExecuteOptions, executeTask, type Outcome } from './execute-task.js';
import type { TaskRegistry } from './registry.js';
import type { CommittedTask, TaskDispatcher } from './task-queue.js';
import type { TaskStore } from './task-store.js';

export interface LocalRunnerOptions {
  readonly store: TaskStore;
  readonly registry: TaskRegistry;
  readonly execute: ExecuteOptions;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Tasks run at once in each lane. */
  readonly concurrency: number;
  readonly pollMs: number;
  readonly leaseMs: number;
  /** Run each task inside the request that enqueued it (tests, benchmarks' "before"). */
  readonly eager: boolean;
  /** No other process can reach the database: tasks left running are orphans and due at once. */
  readonly exclusive: boolean;
}

interface LaneState {
  readonly lane: Lane;
  readonly running: Set<Promise<void>>;
  /** Set by a wake-up that arrived while the loop was busy, so it is not lost. */
  woken: boolean;
  sleeper: (() => void) | undefined;
}

/**
 * Runs tasks inside the server process, from the tasks table: the zero-setup
 * mode. It claims due rows with `FOR UPDATE SKIP LOCKED`, so several API
 * processes on one PostgreSQL share the work, and it renews a lease on what
 * it runs, so the tasks of a process that died run again elsewhere.
 */
export class LocalRunner implements TaskDispatcher {
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly lanes = new Map<Lane, LaneState>();
  private readonly loops: Promise<void>[] = [];
  /** One per running attempt, to give it up at the shutdown deadline. */
  private readonly attempts = new Set<AbortController>();
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly outage: OutageLog;

  constructor(private readonly options: LocalRunnerOptions) {
    this.outage = new OutageLog(options.log, 'Task runner (claiming from the database)');
  }

  async start(): Promise<void> {
    const { store, registry, exclusive, leaseMs, log } = this.options;
    if (exclusive) {
      const orphans = await store.expireAllLeases();
      if (orphans > 0) log.info({ tasks: orphans }, 'tasks interrupted by the last shutdown will run again');
    }
    for (const lane of registry.lanes()) {
      const state: LaneState = { lane, running: new Set(), woken: true, sleeper: undefined };
      this.lanes.set(lane, state);
      this.loops.push(this.loop(state));
    }
    this.heartbeat = setInterval(() => {
      store.heartbeat(this.owner).catch((err: unknown) => log.warn({ err }, 'could not renew task leases'));
    }, leaseMs / 3);
    this.heartbeat.unref();
  }

  async dispatch(committed: readonly CommittedTask[]): Promise<void> {
    if (this.options.eager) {
      for (const task of committed) await this.runNow(task.id);
      return;
    }
    // After the current turn: the request that enqueued answers before its task starts.
    setImmediate(() => {
      for (const task of committed) this.wake(task.lane);
    });
  }

  /**
   * Stops claiming, gives running tasks until `timeoutMs` to finish, then hands
   * back what is still running so that the next start runs it.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const state of this.lanes.values()) this.wake(state.lane);
    await Promise.all(this.loops);
    const running = [...this.lanes.values()].flatMap((state) => [...state.running]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const finished = await Promise.race([Promise.all(running).then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (finished === 'timeout') {
      // Released first, so that an attempt that ends as it is aborted cannot record an outcome.
      const released = await this.options.store.release(this.owner);
      for (const attempt of this.attempts) attempt.abort(new Error('The shutdown deadline passed'));
      this.options.log.warn({ tasks: released }, 'shutdown deadline reached; unfinished tasks will run at the next start');
    }
  }

  private wake(lane: Lane): void {
    const state = this.lanes.get(lane);
    if (!state) return;
    state.woken = true;
    state.sleeper?.();
  }

  private async loop(state: LaneState): Promise<void> {
    const { concurrency, pollMs } = this.options;
    const canClaim = () => state.woken && state.running.size < concurrency;
    while (!this.stopping) {
      if (canClaim()) {
        state.woken = false;
        const free = concurrency - state.running.size;
        const claimed = await this.claim(state.lane, free);
        for (const row of claimed) this.track(state, this.run(row));
        // A full batch suggests more is due: look again as soon as a slot is free.
        if (claimed.length === free) state.woken = true;
        continue;
      }
      // Until a wake-up (a commit, a finished task) or the next poll.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          state.woken = true;
          resolve();
        }, pollMs);
        state.sleeper = () => {
          clearTimeout(timer);
          resolve();
        };
        if (canClaim() || this.stopping) state.sleeper();
      });
      state.sleeper = undefined;
    }
  }

  private track(state: LaneState, work: Promise<void>): void {
    state.running.add(work);
    void work.finally(() => {
      state.running.delete(work);
      this.wake(state.lane);
    });
  }

  private async claim(lane: Lane, limit: number): Promise<TaskRow[]> {
    try {
      const rows = await this.options.store.claim(lane, limit, this.owner);
      this.outage.recovered();
      return rows;
    } catch (err) {
      this.outage.failed(err);
      return [];
    }
  }

  private async runNow(id: string): Promise<void> {
    const row = await this.options.store.claimById(id, this.owner);
    if (row) await this.run(row);
  }

  private async run(row: TaskRow): Promise<void> {
    const started = performance.now();
    const attempt = new AbortController();
    this.attempts.add(attempt);
    const outcome = await executeTask(row, { ...this.options.execute, signal: attempt.signal }).finally(() =>
      this.attempts.delete(attempt),
    );
    this.options.metrics.observeTask(row.name, outcome.kind, (performance.now() - started) / 1000);
    if (outcome.kind === 'retry') setTimeout(() => this.wake(row.lane as Lane), outcome.delayMs).unref();
    try {
      const recorded = await this.record(row.id, outcome);
      if (!recorded) this.options.log.warn({ task: row.id }, 'task outcome not recorded: its claim was lost or released');
    } catch (err) {
      // The lease runs out and the task runs again: at least once, never lost.
      this.options.log.error({ err, task: row.id }, 'could not record a task outcome');
    }
  }

  private record(id: string, outcome: Outcome): Promise<boolean> {
    const { store } = this.options;
    switch (outcome.kind) {
      case 'completed':
        return store.complete(id, this.owner, outcome.result);
      case 'retry':
        return store.retryLater(id, this.owner, outcome.error, outcome.delayMs);
      case 'failed':
        return store.fail(id, this.owner, outcome.error);
    }
  }
}
