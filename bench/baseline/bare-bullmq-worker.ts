/**
 * The task benchmark's ceiling: a BullMQ worker whose jobs do nothing and
 * leave no record but Redis's, with the concurrency Bookly's workers use.
 * Prints when it is ready, then starts, and prints the epoch times of its
 * first and last completion once COUNT jobs have completed.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const count = Number(process.env.COUNT);
let completed = 0;
let first = 0;
const worker = new Worker(process.env.QUEUE as string, async () => null, {
  connection: new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: null }),
  prefix: process.env.PREFIX,
  concurrency: Number(process.env.CONCURRENCY),
  // Started after "ready", so that the benchmark can meter its CPU time from the first job.
  autorun: false,
});
worker.on('completed', () => {
  completed++;
  if (completed === 1) first = Date.now();
  if (completed === count) console.log(`done ${JSON.stringify({ first, last: Date.now() })}`);
});
await worker.waitUntilReady();
console.log('ready');
await worker.run();
