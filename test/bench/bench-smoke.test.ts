import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBench, scenarios } from '../../bench/run-bench.js';
import { tempDir } from '../support/temp-dir.js';

// Not a measurement (nothing here looks at a time): every scenario runs once at its smallest size, so that `npm run bench` cannot rot.
test('npm run bench runs every scenario at its smallest size and writes the report', { timeout: 600_000 }, async (t) => {
  const outDir = tempDir('bench-out');
  try {
    const { run, report } = await runBench({ names: [], size: 'smoke', outDir, command: 'test', signal: t.signal });
    const failed = run.scenarios.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`);
    assert.deepEqual(failed, []);
    assert.deepEqual(
      run.scenarios.map((s) => s.name),
      scenarios.map((s) => s.name),
    );
    const json = JSON.parse(readFileSync(join(outDir, `${run.date}.json`), 'utf8')) as { scenarios: { name: string; charts: string[] }[] };
    const markdown = readFileSync(report, 'utf8');
    for (const scenario of json.scenarios) {
      assert.ok(scenario.charts.length > 0, `${scenario.name} draws a chart`);
      for (const chart of scenario.charts) {
        assert.ok(existsSync(join(outDir, chart)), `${chart} is written`);
        assert.ok(markdown.includes(`](${chart})`), `the report shows ${chart}`);
      }
    }
    // Each figure that is compared sits beside its baseline from the same run.
    for (const s of run.scenarios) {
      for (const c of s.result?.comparisons ?? []) {
        assert.ok(Number.isFinite(c.value) && Number.isFinite(c.baseline) && c.baseline > 0, `${c.what}: ${c.value} / ${c.baseline}`);
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('npm run bench -- --profile adds a flame graph of each process it started', { timeout: 300_000 }, async (t) => {
  const outDir = tempDir('bench-out');
  try {
    const { run } = await runBench({ names: ['signup-to-inbox'], size: 'smoke', outDir, command: 'test', profile: true, signal: t.signal });
    const [scenario] = run.scenarios;
    assert.equal(scenario?.error, undefined);
    // The scenario starts an in-process API, then a BullMQ API and its worker.
    const flames = (scenario?.result?.charts ?? []).filter((chart) => chart.name.includes('-flame-'));
    assert.deepEqual(
      flames.map((chart) => chart.name.replace(/^.*-flame-\d+-/, '')),
      ['in-process-postgres-api', 'bullmq-postgres-api', 'bullmq-postgres-worker'],
    );
    for (const chart of flames) {
      // Frames of the project's own code are drawn: the profile covers the work, not only the start-up.
      assert.match(chart.svg, /src\/(http|tasks|services)\//, chart.name);
      assert.ok(existsSync(join(outDir, `${run.date}-${chart.name}.svg`)), `${chart.name} is written`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('an unknown scenario name is refused, naming the known ones', async () => {
  await assert.rejects(
    runBench({ names: ['nope'], size: 'smoke', outDir: tmpdir(), command: 'test' }),
    /unknown scenario nope; there are signup-latency, signup-to-inbox/,
  );
});
