import { newSignup } from '../../test/support/accounts.js';
import { closedLoop, postJson } from '../lib/load.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { type Mode, startStack } from '../lib/stack.js';
import { round, type Summary, summarize } from '../lib/stats.js';
import { groupedBarChart } from '../report/charts/grouped-bar-chart.js';

const modes: Mode[] = ['eager', 'in-process', 'bullmq'];
const delays = [0, 4000];
const sizes = { smoke: { total: 2, concurrency: 2 }, quick: { total: 40, concurrency: 10 }, full: { total: 200, concurrency: 10 } };

/**
 * The Python course's experiment: signup while the SMTP server takes 4 s to
 * answer, against one that answers at once, with the mail sent inside the
 * request (eager, the "before") and in each background mode.
 */
export const signupLatency: Scenario = {
  name: 'signup-latency',
  title: 'Signup latency with a slow SMTP server',
  async run({ size, progress, smtp }) {
    const { total, concurrency } = sizes[size];
    const result = emptyResult();
    const measured: Record<string, Record<string, Summary>> = {};
    for (const mode of modes) {
      const stack = await startStack({ mode, database: 'postgres', smtp });
      measured[mode] = {};
      try {
        for (const delay of delays) {
          smtp.delayMs = delay;
          progress.update(`${mode}, SMTP answering after ${delay / 1000} s`);
          const { latenciesMs, statuses } = await closedLoop({
            total,
            concurrency,
            send: () => postJson(`${stack.url}/api/v1/auth/signup`, newSignup()),
            onProgress: (done) => progress.update(`${mode}, SMTP ${delay / 1000} s: ${done}/${total} signups`),
          });
          if (statuses.get(201) !== total) throw new Error(`signups answered ${JSON.stringify([...statuses])}`);
          (measured[mode] as Record<string, Summary>)[`smtp${delay}ms`] = summarize(latenciesMs);
        }
      } finally {
        smtp.delayMs = 0;
        await stack.stop();
      }
    }
    const at = (mode: Mode, delay: number) => measured[mode]?.[`smtp${delay}ms`] as Summary;
    result.figures = { signups: total, concurrency, latencyMs: measured };
    result.table.push('| mode | SMTP delay | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|---|');
    for (const mode of modes) {
      for (const delay of delays) {
        const s = at(mode, delay);
        result.table.push(`| ${mode} | ${delay / 1000} s | ${round(s.p50, 1)} | ${round(s.p95, 1)} | ${round(s.p99, 1)} |`);
      }
    }
    for (const mode of ['in-process', 'bullmq'] as const) {
      for (const p of ['p50', 'p95', 'p99'] as const) {
        result.comparisons.push(
          compare(`${mode} ${p}, SMTP 4 s / SMTP 0 s`, at(mode, 4000)[p], at(mode, 0)[p], 'ms', { ratio: 1.1, better: 'below' }),
        );
      }
      result.comparisons.push(
        compare(`eager p50 / ${mode} p50, both with SMTP 4 s`, at('eager', 4000).p50, at(mode, 4000).p50, 'ms', {
          ratio: 10,
          better: 'above',
        }),
      );
    }
    result.charts.push({
      name: 'signup-latency',
      caption: `Signup latency, p50 and p99 (${total} signups, ${concurrency} at a time; log scale)`,
      svg: await groupedBarChart(
        delays.flatMap((delay) =>
          (['p50', 'p99'] as const).map((p) => ({ name: `${p}, SMTP ${delay / 1000} s`, values: modes.map((m) => at(m, delay)[p]) })),
        ),
        { title: 'POST /auth/signup latency', unit: 'ms', categories: modes, log: true },
      ),
    });
    result.notes.push(
      'Every signup hashes its password with argon2id (about as long as the rest of the request together); the Python course measured its 8 ms Celery figure with no hashing cost shown separately.',
    );
    return result;
  },
};
