import type { Logger } from 'pino';
import { OutageLog } from '../lib/outage-log.js';
import type { Attempts } from './attempts.js';
import type { Lane } from './lane.js';
import type { TaskRegistry } from './registry.js';
import type { CommittedTask, TaskDispatcher } from './task-queue.js';
import type { ClaimedTask, TaskStore } from './task-store.js';

export interface LocalRunnerOptions {
  readonly store: TaskStore;
  readonly attempts: Attempts;
  readonly registry: TaskRegistry;
  readonly log: Logger;
  /** Tasks run at once in each lane. */
  readonly concurrency: number;
  readonly pollMs: number;
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
  /** Set at start and by the poll's timer: the next claim looks for lapsed claims too, which no event announces. */
  polled: boolean;
  sleeper: (() => void) | undefined;
}

/**
 * Runs tasks inside the server process, from the tasks table: the zero-setup
 * mode. It gets work by claiming due rows with `FOR UPDATE SKIP LOCKED`, so
 * several API processes on one PostgreSQL share it, and it waits out a
 * retry's backoff by waking when the task is due. The attempts themselves
 * (lease, outcome, shutdown) are `Attempts`'.
 */
export class LocalRunner implements TaskDispatcher {
  private readonly lanes = new Map<Lane, LaneState>();
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private readonly outage: OutageLog;

  constructor(private readonly options: LocalRunnerOptions) {
    this.outage = new OutageLog(options.log, 'Task runner (claiming from the database)');
  }

  async start(): Promise<void> {
    const { store, registry, exclusive, log } = this.options;
    if (exclusive) {
      const orphans = await store.expireAllLeases();
      if (orphans > 0) log.info({ tasks: orphans }, 'tasks interrupted by the last shutdown will run again');
    }
    for (const lane of registry.lanes()) {
      const state: LaneState = { lane, running: new Set(), woken: true, polled: true, sleeper: undefined };
      this.lanes.set(lane, state);
      this.loops.push(this.loop(state));
    }
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

  /** Stops claiming; the attempts under way are `Attempts.stop`'s to wait for. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const state of this.lanes.values()) this.wake(state.lane);
    await Promise.all(this.loops);
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
        const claimed = await this.claim(state.lane, free, state.polled);
        // A claim that failed is tried again at the next poll, lapsed claims included.
        if (claimed === undefined) continue;
        for (const task of claimed) this.begin(state, task);
        // A full batch suggests more is due: look again as soon as a slot is free.
        if (claimed.length === free) state.woken = true;
        else state.polled = false;
        continue;
      }
      // Until a wake-up (a commit, a finished task) or the next poll.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          state.woken = true;
          state.polled = true;
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

  /**
   * A task holds its slot while it runs, not while its outcome is written: the
   * next claim goes out beside that write instead of after it (the outcome's
   * guard keeps a task from being claimed twice, and the runner never claims
   * one it holds).
   */
  private begin(state: LaneState, task: ClaimedTask): void {
    let free: () => void = () => {};
    const slot = new Promise<void>((resolve) => {
      free = resolve;
    });
    state.running.add(slot);
    void slot.then(() => {
      state.running.delete(slot);
      this.wake(state.lane);
    });
    void this.run(task, free).finally(free);
  }

  /** Undefined when the database did not answer. */
  private async claim(lane: Lane, limit: number, lapsed: boolean): Promise<ClaimedTask[] | undefined> {
    const { store, attempts } = this.options;
    try {
      const claimed = await store.claimDue(lane, limit, attempts.owner, attempts.holding(), lapsed);
      this.outage.recovered();
      return claimed;
    } catch (err) {
      this.outage.failed(err);
      return undefined;
    }
  }

  private async runNow(id: string): Promise<void> {
    const claimed = await this.options.store.claimById(id, this.options.attempts.owner);
    if ('owner' in claimed) await this.run(claimed);
  }

  private async run(task: ClaimedTask, executed?: () => void): Promise<void> {
    const ended = await this.options.attempts.run(task, undefined, executed);
    if (ended.kind === 'retry') setTimeout(() => this.wake(task.lane), ended.delayMs).unref();
  }
}
