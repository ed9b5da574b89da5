import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Options } from '@node-rs/argon2';

type Job = { op: 'hash'; password: string; options: Options } | { op: 'verify'; hash: string; password: string };
type HashJob = Job & { id: number };
type HashAnswer = { id: number; value: string | boolean } | { id: number; error: string };

/**
 * A thread's whole program, in plain JavaScript so that it runs the same from
 * the sources (tsx does not reach worker threads on Node 20) and compiled. It
 * first lowers its own priority: Linux sets a nice value per thread when given
 * a thread's id (from /proc/thread-self); elsewhere it keeps the process's.
 */
const threadProgram = `
const { readlinkSync } = require('node:fs');
const { constants, setPriority } = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const { hashSync, verifySync } = require(workerData.argon2);
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), constants.priority.PRIORITY_LOW);
} catch {}
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? hashSync(job.password, job.options) : verifySync(job.hash, job.password);
    parentPort.postMessage({ id: job.id, value });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: error.message });
  }
});
`;
const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');

/**
 * A pool of hashing threads at the lowest priority, each hashing one password
 * at a time: on a busy machine the event loop's thread, and the database
 * beside it, run first, and a burst of logins waits instead of every other
 * request. Jobs wait in order for a free thread. Threads start at the first
 * job and keep the process alive only while they work.
 */
export class HashingThreads {
  private readonly idle: Worker[] = [];
  private readonly waiting: { job: Job; resolve: (value: string | boolean) => void; reject: (error: Error) => void }[] = [];
  private readonly inFlight = new Map<Worker, { id: number; resolve: (value: string | boolean) => void; reject: (error: Error) => void }>();
  private readonly threads = new Set<Worker>();
  private nextId = 0;

  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();

  /** A thread idle for `idleMs` ends, giving back its memory (an isolate and argon2's 19 MiB); the next job starts one again. */
  constructor(
    private readonly size: number,
    private readonly idleMs = 10_000,
  ) {}

  hash(password: string, options: Options): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  private run(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.threads.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      clearTimeout(this.idleTimers.get(worker));
      this.idleTimers.delete(worker);
      const id = ++this.nextId;
      this.inFlight.set(worker, { id, resolve: next.resolve, reject: next.reject });
      worker.ref();
      worker.postMessage({ ...next.job, id } as HashJob);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(threadProgram, { eval: true, workerData: { argon2 } });
    this.threads.add(worker);
    worker.unref();
    worker.on('message', (answer: HashAnswer) => {
      const pending = this.inFlight.get(worker);
      if (!pending || pending.id !== answer.id) return;
      this.inFlight.delete(worker);
      worker.unref();
      this.idle.push(worker);
      this.idleTimers.set(worker, setTimeout(() => this.retire(worker), this.idleMs).unref());
      if ('error' in answer) pending.reject(new Error(answer.error));
      else pending.resolve(answer.value);
      this.dispatch();
    });
    // A thread that dies takes its job with it: that job fails, and the next job starts a new thread.
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the hashing thread exited with code ${code}`)));
    return worker;
  }

  /** Out of the pool first, so that no job goes to a thread on its way out. */
  private retire(worker: Worker): void {
    this.threads.delete(worker);
    this.idleTimers.delete(worker);
    this.idle.splice(this.idle.indexOf(worker), 1);
    void worker.terminate();
  }

  private lost(worker: Worker, error: Error): void {
    // 'error' is followed by 'exit': the first one counts.
    if (!this.threads.delete(worker)) return;
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    const pending = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    pending?.reject(error);
    this.dispatch();
  }
}
