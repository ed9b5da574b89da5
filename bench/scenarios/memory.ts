import { setTimeout as sleep } from 'node:timers/promises';
import { rssMiB } from '../lib/child.js';
import { enqueueNoops } from '../lib/noops.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { waitForTasks } from '../lib/wait.js';
import { lineChart } from '../report/charts/line-chart.js';

const sizes = { smoke: { first: 50, second: 500 }, quick: { first: 2000, second: 20_000 }, full: { first: 10_000, second: 100_000 } };

/** A worker's resident memory after many tasks: what grows with the work done is a leak. */
export const memory: Scenario = {
  name: 'memory',
  title: 'Worker memory after many tasks',
  async run({ size, progress, smtp }) {
    const { first, second } = sizes[size];
    const result = emptyResult();
    const stack = await startStack({ mode: 'bullmq', database: 'postgres', smtp, workers: 1 });
    const samples: { x: number; y: number }[] = [];
    try {
      const worker = stack.workers[0];
      const sql = stack.sql as NonNullable<typeof stack.sql>;
      samples.push({ x: 0, y: rssMiB(worker?.child.pid) });
      let completed = 0;
      const runUntil = async (target: number) => {
        const sampler = setInterval(() => samples.push({ x: completed, y: rssMiB(worker?.child.pid) }), 1000);
        try {
          await enqueueNoops(stack.env, target - completed, (queued) => progress.update(`${queued + completed}/${target} queued`));
          await waitForTasks(sql, 'system.noop', target, (counts) => {
            completed = counts.completed;
            progress.update(`${completed}/${target} done, worker at ${round(rssMiB(worker?.child.pid), 0)} MiB`);
          });
        } finally {
          clearInterval(sampler);
        }
        // A moment for the worker to settle (and collect) before the reading.
        await sleep(2000);
        const rss = rssMiB(worker?.child.pid);
        samples.push({ x: completed, y: rss });
        return rss;
      };
      const afterFirst = await runUntil(first);
      const afterSecond = await runUntil(second);
      result.figures = { tasks: [first, second], workerRssMiB: [afterFirst, afterSecond], samples };
      result.table.push(
        '| after | worker RSS |',
        '|---|---|',
        `| ${first.toLocaleString('en')} tasks | ${round(afterFirst, 1)} MiB |`,
        `| ${second.toLocaleString('en')} tasks | ${round(afterSecond, 1)} MiB |`,
      );
      result.comparisons.push(
        compare(`worker RSS after ${second} / after ${first} tasks`, afterSecond, afterFirst, 'MiB', { ratio: 1.1, better: 'below' }),
      );
      result.charts.push({
        name: 'worker-memory',
        caption: 'Worker resident memory as tasks complete',
        svg: await lineChart([{ name: 'worker RSS', points: samples.sort((a, b) => a.x - b.x) }], {
          title: 'Worker RSS',
          xLabel: 'tasks completed',
          yUnit: 'MiB',
          yFromZero: true,
        }),
      });
    } finally {
      await stack.stop();
    }
    return result;
  },
};
