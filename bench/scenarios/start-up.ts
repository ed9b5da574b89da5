import { rmSync } from 'node:fs';
import { createPostgresDatabase } from '../../test/support/databases.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { type Launch, startUpEnv, timeCommand, timeStartUp } from '../lib/start-up.js';
import { round, summarize } from '../lib/stats.js';
import { barChart } from '../report/charts/bar-chart.js';

const sizes = { smoke: 1, quick: 5, full: 15 };
const limitMs = 1000;

/** From spawning `bookly serve` to its first 200 from /health on PostgreSQL: compiled by tsc (`npm start`) and through tsx. */
export const startUp: Scenario = {
  name: 'start-up',
  title: 'API start-up to /health',
  async run({ size, progress, smtp }) {
    const runs = sizes[size];
    const result = emptyResult();
    const database = await createPostgresDatabase();
    const env = startUpEnv(database.url, smtp);
    try {
      // Also builds dist/ when it is stale, so that neither the build nor the migration is in a start-up's figure.
      const migrateMs = await timeCommand('compiled', ['migrate'], env);
      const samples: Record<Launch, { ms: number; cpuMs: number }[]> = { compiled: [], tsx: [] };
      // Alternated, so that the machine's other work weighs on both alike.
      for (let i = 0; i < runs; i++) {
        for (const launch of ['compiled', 'tsx'] as const) {
          progress.update(`${launch} start ${i + 1}/${runs}`);
          samples[launch].push(await timeStartUp(launch, env));
        }
      }
      const compiled = summarize(samples.compiled.map((s) => s.ms));
      const tsx = summarize(samples.tsx.map((s) => s.ms));
      const compiledCpu = summarize(samples.compiled.map((s) => s.cpuMs));
      const tsxCpu = summarize(samples.tsx.map((s) => s.cpuMs));
      result.figures = { runs, migrateMs, samples, compiled, tsx, compiledCpu, tsxCpu };
      result.table.push(
        `| ${runs} starts each | median | max | CPU time, median |`,
        '|---|---|---|---|',
        `| compiled by tsc (\`npm start\`) | ${round(compiled.p50, 0)} ms | ${round(compiled.max, 0)} ms | ${round(compiledCpu.p50, 0)} ms |`,
        `| through tsx (before) | ${round(tsx.p50, 0)} ms | ${round(tsx.max, 0)} ms | ${round(tsxCpu.p50, 0)} ms |`,
      );
      result.checks.push({
        what: 'start-up to /health, compiled (median)',
        value: compiled.p50,
        unit: 'ms',
        limit: limitMs,
        met: compiled.p50 <= limitMs,
      });
      result.comparisons.push(
        compare('start-up to /health, compiled / tsx (median)', compiled.p50, tsx.p50, 'ms'),
        compare('CPU time to /health, compiled / tsx (median)', compiledCpu.p50, tsxCpu.p50, 'ms'),
      );
      result.charts.push({
        name: 'start-up',
        caption: 'Median time from spawning `bookly serve` to its first 200 from /health, on a migrated PostgreSQL database',
        svg: await barChart(
          [
            { label: 'compiled by tsc', value: compiled.p50 },
            { label: 'through tsx', value: tsx.p50 },
          ],
          { title: 'API start-up to /health', unit: 'ms', target: { value: limitMs, label: `target ${limitMs} ms` } },
        ),
      });
      result.notes.push(
        `The database was migrated first (\`bookly migrate\`, compiled: ${round(migrateMs, 0)} ms, including a build of dist/ if it was stale); each start then finds nothing to migrate.`,
        'Timed from spawning node, not npm: `npm start` adds npm’s own start-up on top. The CPU time (all of the process’s threads, read from /proc at the first 200) moves less than the wall time when the machine is busy with other work.',
      );
    } finally {
      await database.drop();
      if (env.DATA_DIR) rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
    return result;
  },
};
