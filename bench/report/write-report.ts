import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison, ScenarioResult } from '../lib/scenario.js';
import { round } from '../lib/stats.js';

export interface Machine {
  cpus: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
}

export interface BenchRun {
  date: string;
  command: string;
  size: string;
  machine: Machine;
  durationSeconds: number;
  scenarios: { name: string; title: string; result?: ScenarioResult; error?: string }[];
}

/** Writes `<stem>.json`, `<stem>.md` and one SVG per chart into `dir`; returns the report's path. */
export function writeReport(dir: string, stem: string, run: BenchRun): string {
  mkdirSync(dir, { recursive: true });
  const json = {
    ...run,
    scenarios: run.scenarios.map(({ result, ...rest }) => ({
      ...rest,
      ...(result ? { ...result, charts: result.charts.map((c) => `${stem}-${c.name}.svg`) } : {}),
    })),
  };
  writeFileSync(join(dir, `${stem}.json`), `${JSON.stringify(json, null, 2)}\n`);
  for (const scenario of run.scenarios) {
    for (const chart of scenario.result?.charts ?? []) writeFileSync(join(dir, `${stem}-${chart.name}.svg`), chart.svg);
  }
  const path = join(dir, `${stem}.md`);
  writeFileSync(path, markdown(stem, run));
  return path;
}

function markdown(stem: string, run: BenchRun): string {
  const { machine } = run;
  const lines = [
    `# Bookly benchmarks, ${run.date}`,
    '',
    `\`${run.command}\` (size \`${run.size}\`, ${Math.round(run.durationSeconds)} s), on ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}. Everything ran on this one machine over loopback: the load generator, the API, its workers, PostgreSQL, Redis and the SMTP server share its cores.`,
    '',
    '## Targets',
    '',
    'Each ratio compares two figures measured in this run.',
    '',
    '| | measured | baseline | ratio | target | |',
    '|---|---|---|---|---|---|',
  ];
  for (const scenario of run.scenarios) {
    for (const c of scenario.result?.comparisons ?? []) lines.push(comparisonRow(c));
    for (const check of scenario.result?.checks ?? []) {
      lines.push(
        `| ${check.what} | ${round(check.value, 1)} ${check.unit} | | | < ${check.limit} ${check.unit} | ${check.met ? 'met' : '**missed**'} |`,
      );
    }
    if (scenario.error) lines.push(`| ${scenario.title} | **failed to run** | | | | |`);
  }
  for (const [index, scenario] of run.scenarios.entries()) {
    lines.push('', `## ${index + 1}. ${scenario.title} (\`${scenario.name}\`)`, '');
    if (scenario.error) {
      lines.push('```', scenario.error, '```');
      continue;
    }
    const result = scenario.result as ScenarioResult;
    for (const chart of result.charts) lines.push(`![${chart.caption}](${stem}-${chart.name}.svg)`, '', `*${chart.caption}*`, '');
    lines.push(...result.table);
    if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${note}`));
  }
  return `${lines.join('\n')}\n`;
}

function comparisonRow(c: Comparison): string {
  const target = c.target ? `${c.target.better === 'above' ? '≥' : '≤'} ${c.target.ratio}` : '';
  const verdict = c.met === undefined ? '' : c.met ? 'met' : '**missed**';
  return `| ${c.what} | ${round(c.value, 1)} ${c.unit} | ${round(c.baseline, 1)} ${c.unit} | ${round(c.ratio, 2)} | ${target} | ${verdict} |`;
}
