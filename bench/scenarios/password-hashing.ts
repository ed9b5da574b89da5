import { setTimeout as sleep } from 'node:timers/promises';
import { newSignup } from '../../test/support/accounts.js';
import { postJson } from '../lib/load.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { metricsHeaders, startStack } from '../lib/stack.js';
import { round, summarize } from '../lib/stats.js';
import { barChart } from '../report/charts/bar-chart.js';

const sizes = { smoke: { logins: 5 }, quick: { logins: 50 }, full: { logins: 50 } };
const healthEveryMs = 10;

/**
 * 50 logins at once, each an argon2id verification: the hashing runs on
 * libuv's threads, so the event loop keeps answering. Read from the API's
 * own event-loop delay histogram (prom-client resets it at each scrape) and
 * from a /health probe sent throughout.
 */
export const passwordHashing: Scenario = {
  name: 'password-hashing',
  title: 'The event loop during a burst of logins',
  async run({ size, progress, smtp }) {
    const { logins } = sizes[size];
    const result = emptyResult();
    const stack = await startStack({ mode: 'in-process', database: 'postgres', smtp });
    try {
      progress.update(`signing up ${logins} accounts`);
      const accounts = Array.from({ length: logins }, () => newSignup());
      for (const body of accounts) {
        const status = await postJson(`${stack.url}/api/v1/auth/signup`, body);
        if (status !== 201) throw new Error(`signup answered ${status}`);
      }
      await stack.sql?.query(`update users set is_verified = true`);

      const measure = async (during: () => Promise<number[]>) => {
        await eventLoopDelay(stack.url);
        const health: number[] = [];
        let running = true;
        const probe = (async () => {
          while (running) {
            const sent = performance.now();
            await fetch(`${stack.url}/health`).then((r) => r.arrayBuffer());
            health.push(performance.now() - sent);
            await sleep(healthEveryMs);
          }
        })();
        const latencies = await during();
        running = false;
        await probe;
        return { loop: await eventLoopDelay(stack.url), health: summarize(health), logins: summarize(latencies) };
      };
      progress.update('idle');
      const idle = await measure(async () => {
        await sleep(2000);
        return [];
      });
      progress.update(`${logins} logins at once`);
      const burst = await measure(() =>
        Promise.all(
          accounts.map(async ({ email, password }) => {
            const sent = performance.now();
            const status = await postJson(`${stack.url}/api/v1/auth/login`, { email, password });
            if (status !== 200) throw new Error(`login answered ${status}`);
            return performance.now() - sent;
          }),
        ),
      );
      result.figures = { logins, idle, burst };
      result.table.push(
        '| while | event-loop delay p99 | event-loop delay max | /health p99 | login p50 | login p99 |',
        '|---|---|---|---|---|---|',
        `| idle | ${round(idle.loop.p99, 1)} ms | ${round(idle.loop.max, 1)} ms | ${round(idle.health.p99, 1)} ms | — | — |`,
        `| ${logins} logins at once | ${round(burst.loop.p99, 1)} ms | ${round(burst.loop.max, 1)} ms | ${round(burst.health.p99, 1)} ms | ${round(burst.logins.p50, 0)} ms | ${round(burst.logins.p99, 0)} ms |`,
      );
      result.comparisons.push(compare('event-loop delay p99, burst / idle', burst.loop.p99, idle.loop.p99, 'ms'));
      result.checks.push({
        what: `event-loop delay p99 while ${logins} logins hash at once`,
        value: burst.loop.p99,
        unit: 'ms',
        limit: 30,
        met: burst.loop.p99 <= 30,
      });
      result.charts.push({
        name: 'password-hashing',
        caption: `Event-loop delay and /health latency, idle and while ${logins} logins hash at once`,
        svg: await barChart(
          [
            { label: 'event loop p99, idle', value: idle.loop.p99 },
            { label: `event loop p99, ${logins} logins`, value: burst.loop.p99 },
            { label: '/health p99, idle', value: idle.health.p99 },
            { label: `/health p99, ${logins} logins`, value: burst.health.p99 },
            { label: `login p99, ${logins} at once`, value: burst.logins.p99 },
          ],
          { title: 'Hashing off the event loop', unit: 'ms' },
        ),
      });
      result.notes.push(
        'Node’s event-loop delay histogram samples every 10 ms, so figures near 10 ms mean the loop was free; the login latency is the hashing itself, 50 verifications sharing the machine’s cores.',
      );
    } finally {
      await stack.stop();
    }
    return result;
  },
};

/** The API's event-loop delay since the last scrape, in ms. */
async function eventLoopDelay(url: string): Promise<{ p99: number; max: number }> {
  const reply = await fetch(`${url}/metrics`, { headers: metricsHeaders });
  // A refused scrape would read as NaN figures, not as a failure.
  if (!reply.ok) throw new Error(`GET /metrics answered ${reply.status}`);
  const text = await reply.text();
  const read = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1]) * 1000;
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
}
