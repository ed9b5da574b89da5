import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { promqlReads } from '../support/promql-reads.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const ops = fileURLToPath(new URL('../../ops/', import.meta.url));
const rulesFile = join(ops, 'prometheus/bookly-rules.yml');
const rulesTestFile = join(ops, 'prometheus/bookly-rules.test.yml');
const dashboardFile = join(ops, 'grafana/bookly-dashboard.json');

/**
 * Bookly's metrics and their labels, as `src/observability/metrics.ts` names
 * them: the rules and the dashboard may read these, prom-client's defaults
 * and Prometheus's `up`, nothing else.
 */
const booklyMetrics: Record<string, readonly string[]> = {
  bookly_queue_depth: ['lane', 'state'],
  bookly_queue_oldest_waiting_seconds: ['lane'],
  bookly_queue_workers: ['lane'],
  bookly_queue_paused: ['lane'],
  bookly_queue_waiting_for_redis: [],
  bookly_tasks_total: ['name', 'outcome'],
  ...histogram('bookly_task_duration_seconds', ['name', 'outcome']),
  bookly_emails_total: ['outcome'],
  ...histogram('http_request_duration_seconds', ['method', 'route', 'status_code']),
};
const scrapeLabels = ['job', 'instance'];

function histogram(name: string, labels: readonly string[]): Record<string, readonly string[]> {
  const withLe = [...labels, 'le'];
  return { [`${name}_bucket`]: withLe, [`${name}_sum`]: labels, [`${name}_count`]: labels };
}

/** prom-client's default metrics (and their labels), read from a registry of its own rather than listed by hand. */
async function defaultMetrics(): Promise<{ names: Set<string>; labels: Set<string> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const names = new Set<string>();
  const labels = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    // Typed as a numeric enum, but prom-client gives the type's name.
    const suffixes = String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    for (const suffix of suffixes) names.add(metric.name + suffix);
    for (const value of metric.values) for (const label of Object.keys(value.labels)) labels.add(label);
  }
  registry.clear();
  return { names, labels };
}

/** Asserts that the expressions read only known metrics and labels; returns the metrics they read. */
async function assertReadsKnownMetrics(where: string, exprs: readonly string[]): Promise<Set<string>> {
  const defaults = await defaultMetrics();
  const knownNames = new Set([...Object.keys(booklyMetrics), ...defaults.names, 'up']);
  const knownLabels = new Set([...Object.values(booklyMetrics).flat(), ...defaults.labels, ...scrapeLabels]);
  const read = new Set<string>();
  for (const expr of exprs) {
    const { metrics, labels } = promqlReads(expr);
    assert.ok(metrics.size > 0, `${where}: no metric read by ${expr}`);
    for (const name of metrics) {
      assert.ok(knownNames.has(name), `${where} reads ${name}, which Bookly does not expose, in: ${expr}`);
      read.add(name);
    }
    for (const label of labels) assert.ok(knownLabels.has(label), `${where} uses the label ${label}, which no metric has, in: ${expr}`);
  }
  return read;
}

/** Runs promtool; fails (never skips) when it is missing, since CI installs it. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args);
    return stdout + stderr;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      assert.fail(
        process.env.CI === 'true'
          ? 'promtool is missing on CI: .ci/run should have installed the Debian package prometheus; see why that step failed'
          : 'promtool is missing: install it (Debian: apt-get install --no-install-recommends prometheus) to test the alerting rules',
      );
    }
    assert.fail(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

interface RuleBlock {
  alert: string;
  text: string;
  expr: string;
}

/** The alerting rules of our rules file, each with its text and its `expr` (one line, or a `|` block). */
function alertingRules(yaml: string): RuleBlock[] {
  const lines = yaml.split('\n');
  const starts = lines.flatMap((line, index) => (/^\s*- (?:alert|record):/.test(line) ? [index] : []));
  return starts.map((start, i) => {
    const block = lines.slice(start, starts[i + 1] ?? lines.length);
    const at = block.findIndex((line) => /^\s*expr:/.test(line));
    assert.ok(at >= 0, `no expr in ${block[0]}`);
    const exprLine = block[at] ?? '';
    const inline = exprLine.replace(/^\s*expr:\s*/, '');
    const expr = [inline];
    if (inline === '|') {
      expr.length = 0;
      const indent = exprLine.search(/\S/);
      for (const line of block.slice(at + 1)) {
        if (line.trim() !== '' && line.search(/\S/) <= indent) break;
        expr.push(line);
      }
    }
    return { alert: (block[0] ?? '').replace(/^\s*- (?:alert|record):\s*/, ''), text: block.join('\n'), expr: expr.join('\n').trim() };
  });
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, rows' panels included. */
function dashboardExprs(panels: readonly Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).flatMap((target) => (target.expr ? [{ title: panel.title ?? '', expr: target.expr }] : [])),
    ...dashboardExprs(panel.panels ?? []),
  ]);
}

describe('alerting rules and dashboard', () => {
  const rules = alertingRules(readFileSync(rulesFile, 'utf8'));
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { schemaVersion: number; panels: Panel[] };
  const queries = dashboardExprs(dashboard.panels);

  it('promtool finds the rules file valid', async () => {
    const out = await promtool('check', 'rules', rulesFile);
    assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`), out);
  });

  it("passes the rules' unit tests: each alert fires when it should and stays quiet when it should not", async () => {
    const out = await promtool('test', 'rules', rulesTestFile);
    assert.match(out, /SUCCESS/, out);
    const tested = readFileSync(rulesTestFile, 'utf8');
    for (const { alert } of rules) assert.match(tested, new RegExp(`alertname: ${alert}\\n`), `${alert} has no unit test`);
  });

  it('gives every alert a wait, a severity, and a summary and description for the operator', () => {
    assert.ok(rules.length >= 5, `only ${rules.length} rules read from ${rulesFile}`);
    for (const { alert, text } of rules) {
      assert.match(text, /\n\s+for: \d+m\n/, `${alert} has no for:`);
      assert.match(text, /\n\s+severity: (critical|warning)\n/, `${alert} has no severity critical or warning`);
      assert.match(text, /\n\s+summary: \S/, `${alert} has no summary`);
      assert.match(text, /\n\s+description: >-\n\s+\S/, `${alert} has no description`);
    }
  });

  it('has the rules read only metrics and labels Bookly exposes', async () => {
    const read = await assertReadsKnownMetrics(
      'the rules',
      rules.map((rule) => rule.expr),
    );
    for (const name of ['bookly_queue_oldest_waiting_seconds', 'bookly_queue_workers', 'bookly_queue_paused', 'bookly_tasks_total'])
      assert.ok(read.has(name), `no rule reads ${name}`);
  });

  it("has the dashboard's queries parse, and read only metrics and labels Bookly exposes", async () => {
    assert.ok(dashboard.schemaVersion >= 39, `schemaVersion ${dashboard.schemaVersion}`);
    const read = await assertReadsKnownMetrics(
      'the dashboard',
      queries.map((query) => query.expr),
    );
    for (const name of Object.keys(booklyMetrics).filter((name) => !/_(sum|count)$/.test(name)))
      assert.ok(read.has(name), `no panel shows ${name}`);

    // promtool parses the queries as recording rules, Grafana's interval variables given a value.
    const file = join(tempDir('dashboard-queries'), 'queries.yml');
    const recorded = queries.map(
      ({ expr }, i) =>
        `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m'))}`,
    );
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${recorded.join('\n')}\n`);
    const out = await promtool('check', 'rules', file);
    assert.match(out, new RegExp(`SUCCESS: ${queries.length} rules found`), out);
  });
});
