/**
 * A peer of Bookly's in-process runner: graphile-worker, a job queue that
 * also lives in PostgreSQL alone, on a database of its own (DATABASE_URL),
 * running COUNT jobs that do nothing with Bookly's concurrency. Queues them,
 * prints when it is ready, then starts, and prints the epoch times of its
 * first and last completion once COUNT jobs have completed.
 *
 * Its defaults stand: LISTEN/NOTIFY with the default poll interval, no local
 * queue, no batched completions, the default pool; only the concurrency is
 * set, so that it runs as many jobs at once as Bookly does. Its logger drops
 * info lines (one per completed job by default), as Bookly's processes run
 * at LOG_LEVEL=warn in the benchmark.
 */
import { EventEmitter } from 'node:events';
import { Logger, type LogLevel, makeWorkerUtils, run, type WorkerEvents } from 'graphile-worker';

const connectionString = process.env.DATABASE_URL as string;
const count = Number(process.env.COUNT);
const quiet: LogLevel[] = ['info', 'debug'] as LogLevel[];
const logger = new Logger(() => (level, message) => {
  if (!quiet.includes(level)) console.error(`graphile-worker ${level}: ${message}`);
});

const utils = await makeWorkerUtils({ connectionString, logger });
try {
  // Installs its schema, graphile_worker, in the database.
  await utils.migrate();
  for (let queued = 0; queued < count; ) {
    const batch = Math.min(1000, count - queued);
    await utils.addJobs(Array.from({ length: batch }, () => ({ identifier: 'noop', payload: {} })));
    queued += batch;
  }
} finally {
  await utils.release();
}

let completed = 0;
let first = 0;
// Given to `run` rather than taken from its runner, which may have completed jobs by the time it resolves.
const events: WorkerEvents = new EventEmitter();
events.on('job:complete', ({ error }) => {
  if (error) {
    console.log(`failed ${String(error)}`);
    return;
  }
  completed++;
  if (completed === 1) first = Date.now();
  if (completed === count) console.log(`done ${JSON.stringify({ first, last: Date.now() })}`);
});
console.log('ready');
// Started after "ready", so that the benchmark meters its CPU time from its first job (its start-up counts too: it is short).
const runner = await run({
  connectionString,
  concurrency: Number(process.env.CONCURRENCY),
  // The benchmark ends it with SIGKILL; its own handlers would only stand in the way of that.
  noHandleSignals: true,
  logger,
  events,
  taskList: { noop: async () => {} },
});
await runner.promise;
