import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { every } from '../lib/every.js';
import { linkedAbort } from '../lib/linked-abort.js';
import { OutageLog } from '../lib/outage-log.js';
import type { Metrics } from '../observability/metrics.js';
import type { TaskServices } from './context.js';
import { executeTask, type Outcome } from './execute-task.js';
import type { Lane } from './lane.js';
import type { TaskRegistry } from './registry.js';
import type { Claim, ClaimedTask, TaskStore } from './task-store.js';
import type { WorkerRegistry } from './worker-registry.js';

/** How an attempt ended, once its runner has recorded it (or could not). */
export type Ended =
  /** Recorded in the task table. */
  | (Outcome & { readonly recorded: true })
  /** Its claim no longer held when the outcome was to be written: another attempt has the task. */
  | { readonly kind: 'superseded' }
  /** An operator cancelled the task while it ran: the attempt was aborted and the row says `cancelled` already. */
  | { readonly kind: 'cancelled' }
  /** Cut short by the shutdown deadline and handed back, uncounted (or left to its lease if the database was down). */
  | { readonly kind: 'released' }
  /** The outcome could not be written before the shutdown gave up on the database: the lease runs out and it runs again. */
  | { readonly kind: 'unrecorded' };

export interface AttemptsOptions {
  readonly store: TaskStore;
  readonly workers: WorkerRegistry;
  readonly registry: TaskRegistry;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly leaseMs: number;
  /** Replaces every definition's first retry delay (tests, impatient operators). */
  readonly retryBaseMs: number | undefined;
}

interface InFlight {
  readonly claim: ClaimedTask;
  /** Aborted when the claim is lost or the shutdown deadline passes. */
  readonly abort: AbortController;
  /** Until the attempt's own work is over; then only its outcome is left to write, and its lease is no longer renewed. */
  running: boolean;
  /** Set when the task was found cancelled: the attempt is aborted and nothing of it is written. */
  cancelled: boolean;
  readonly ended: Promise<Ended>;
}

/** How often running attempts look for an operator's cancel: the contract gives a cancel 2 s. */
const cancelWatchMs = 1000;
const firstRetryMs = 100;
const lastRetryMs = 2000;

/**
 * Every attempt of every task in this process goes through here, whichever
 * runner claimed it: the attempt runs under its lease, which a heartbeat
 * renews while it runs; its outcome is timed, counted, and written with
 * backoff until the database takes it (never dropped because the database was
 * away for a while); and a shutdown waits for it, then cuts it short and
 * hands it back at the deadline.
 */
export class Attempts {
  /** This process, as the claims name it. */
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<string, InFlight>();
  private services: TaskServices | undefined;
  private timers: NodeJS.Timeout[] = [];
  private presence: { readonly lanes: readonly Lane[]; readonly concurrency: number; readonly heartbeatMs: number } | undefined;
  private readonly tally = { completed: 0, failed: 0 };
  /** Fired at the shutdown deadline. */
  private readonly deadline = new AbortController();
  /** Fired when the shutdown stops waiting for the database. */
  private readonly giveUp = new AbortController();
  private readonly outage: OutageLog;

  constructor(private readonly options: AttemptsOptions) {
    // Each attempt under way listens to both; hundreds may run at once.
    setMaxListeners(0, this.deadline.signal, this.giveUp.signal);
    this.outage = new OutageLog(options.log, 'Recording task attempts in the database');
  }

  /**
   * Registers this process as running `lanes` and starts its heartbeat, which
   * renews the running attempts' leases and tells the registry it is alive;
   * attempts can run from now on, with `services` as their context.
   */
  async start(services: TaskServices, runs: { readonly lanes: readonly Lane[]; readonly concurrency: number }): Promise<void> {
    this.services = services;
    const heartbeatMs = Math.round(this.options.leaseMs / 3);
    this.presence = { ...runs, heartbeatMs };
    await this.beat();
    this.timers.push(
      every(heartbeatMs, async () => {
        await this.renew();
        await this.beat();
      }),
      every(cancelWatchMs, () => this.watchForCancels()),
    );
  }

  private async beat(): Promise<void> {
    if (!this.presence) return;
    const running = [...this.inFlight.values()].filter((flight) => flight.running).length;
    try {
      await this.options.workers.beat(this.owner, this.presence, { running, ...this.tally });
    } catch (err) {
      // Missed beats only make the process look lost for a while; its leases are what hold its tasks.
      this.options.log.warn({ err: (err as Error).message }, 'could not write the worker heartbeat');
    }
  }

  /** Ids of the tasks this process holds: running, or with an outcome still to write. */
  holding(): string[] {
    return [...this.inFlight.keys()];
  }

  /**
   * Runs one claimed attempt to its end, outcome written; `signal` aborts it
   * from outside (BullMQ's own). `executed` is called once the task's own work
   * is over, before its outcome is written.
   */
  run(claim: ClaimedTask, signal?: AbortSignal, executed?: () => void): Promise<Ended> {
    const abort = new AbortController();
    const flight: InFlight = { claim, abort, running: true, cancelled: false, ended: this.attempt(claim, abort, signal, executed) };
    this.inFlight.set(claim.id, flight);
    return flight.ended;
  }

  private async attempt(
    claim: ClaimedTask,
    abort: AbortController,
    outside: AbortSignal | undefined,
    executed: (() => void) | undefined,
  ): Promise<Ended> {
    const { registry, log, metrics, retryBaseMs } = this.options;
    if (!this.services) throw new Error('Attempts.run() before start()');
    const started = performance.now();
    const linked = linkedAbort(outside ? [abort.signal, this.deadline.signal, outside] : [abort.signal, this.deadline.signal]);
    try {
      const attempt = {
        id: claim.id,
        name: claim.name,
        payload: claim.payload,
        attemptsMade: claim.attempt,
        maxAttempts: claim.maxAttempts,
      };
      const outcome = await executeTask(attempt, { registry, services: this.services, log, retryBaseMs, signal: linked.signal });
      const flight = this.inFlight.get(claim.id);
      if (flight) flight.running = false;
      executed?.();
      if (flight?.cancelled) {
        metrics.observeTask(claim.name, 'cancelled', (performance.now() - started) / 1000);
        log.info({ task: claim.id, attempt: claim.attempt }, 'task cancelled by an operator; its attempt was aborted');
        return { kind: 'cancelled' };
      }
      if (outcome.kind !== 'completed' && this.deadline.signal.aborted) {
        await this.write(() => this.options.store.release(claim));
        return { kind: 'released' };
      }
      metrics.observeTask(claim.name, outcome.kind, (performance.now() - started) / 1000);
      const written = await this.write(() => this.options.store.finish(claim, outcome));
      if (written === undefined) return { kind: 'unrecorded' };
      if (!written) {
        log.warn(
          { task: claim.id, attempt: claim.attempt },
          'task outcome not recorded: its claim lapsed and another attempt has the task',
        );
        return { kind: 'superseded' };
      }
      if (outcome.kind === 'completed') this.tally.completed += 1;
      if (outcome.kind === 'failed') this.tally.failed += 1;
      return { ...outcome, recorded: true };
    } finally {
      linked.release();
      // Only this attempt's entry: a later claim of the same task (after this one lost it) has its own.
      if (this.inFlight.get(claim.id)?.claim === claim) this.inFlight.delete(claim.id);
    }
  }

  /** Writes an outcome until the database answers: true or false as its guard decided; undefined when the shutdown gave up first. */
  private write(statement: () => Promise<boolean>): Promise<boolean | undefined> {
    return this.untilAnswered(statement, this.giveUp.signal);
  }

  /**
   * Runs `statement` until the database answers it, with backoff, logging the
   * outage once; undefined if `until` fires first (by default, the shutdown deadline).
   */
  async untilAnswered<T>(statement: () => Promise<T>, until: AbortSignal = this.deadline.signal): Promise<T | undefined> {
    for (let wait = firstRetryMs; ; wait = Math.min(wait * 2, lastRetryMs)) {
      try {
        const answer = await statement();
        this.outage.recovered();
        return answer;
      } catch (err) {
        this.outage.failed(err);
      }
      if (until.aborted) return undefined;
      await sleep(wait, until);
    }
  }

  /** Renews the lease of each attempt still running; one whose claim is gone is aborted. */
  private async renew(): Promise<void> {
    const running = [...this.inFlight.values()].filter((flight) => flight.running);
    if (running.length === 0) return;
    let held: Set<string>;
    try {
      held = await this.options.store.renew(
        running.map(({ claim }): Claim => ({ id: claim.id, owner: claim.owner, attempt: claim.attempt })),
      );
    } catch (err) {
      // The claims lapse if this goes on past the lease; the attempts run on and their outcome waits for the database.
      this.options.log.warn({ err: (err as Error).message }, 'could not renew task leases');
      return;
    }
    const lost = running.filter((flight) => !held.has(flight.claim.id));
    if (lost.length === 0) return;
    // A cancel takes the claim too, and this often sees it before the cancel watch does: such an
    // attempt is cancelled, not superseded (else it is logged and counted as a retry another process took).
    await this.abortCancelled(lost);
    for (const flight of lost) {
      if (flight.running && !flight.cancelled) flight.abort.abort(new Error('The claim on this task was lost'));
    }
  }

  /** Aborts the running attempts whose task an operator cancelled. */
  private watchForCancels(): Promise<void> {
    return this.abortCancelled([...this.inFlight.values()]);
  }

  /** Of `flights`, aborts those still running whose task an operator cancelled, as cancelled. */
  private async abortCancelled(flights: readonly InFlight[]): Promise<void> {
    const running = flights.filter((flight) => flight.running && !flight.cancelled);
    if (running.length === 0) return;
    let cancelled: Set<string>;
    try {
      cancelled = await this.options.store.cancelledAmong(running.map((flight) => flight.claim.id));
    } catch {
      return; // The database is away: the heartbeat says so, and the next look will do.
    }
    for (const flight of running) {
      if (!cancelled.has(flight.claim.id)) continue;
      flight.cancelled = true;
      flight.abort.abort(new Error('Cancelled by an operator'));
    }
  }

  /**
   * Waits for every attempt until `timeoutMs`; then cuts the running ones
   * short, which hands them back, and waits a little more for their writes.
   * Resolves only once no attempt is left, so that the database and the mail
   * transport can close behind it.
   */
  async stop(timeoutMs: number): Promise<void> {
    const all = () => Promise.all([...this.inFlight.values()].map((flight) => flight.ended.catch(() => undefined)));
    if (!(await settlesWithin(all(), timeoutMs))) {
      this.options.log.warn({ tasks: this.inFlight.size }, 'shutdown deadline reached; handing running tasks back');
      this.deadline.abort(new Error('The shutdown deadline passed'));
      if (!(await settlesWithin(all(), 3000))) {
        this.options.log.warn('the database did not take the last task outcomes; those tasks run again when their leases run out');
      }
    }
    this.giveUp.abort();
    await all();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.presence) await this.options.workers.leave(this.owner).catch(() => {});
  }
}

async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([work.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
