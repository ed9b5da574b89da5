import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { killChildren } from '../test/support/children.js';
import { adminUrl } from '../test/support/databases.js';
import { redisUrl } from '../test/support/redis.js';
import { SmtpPeer } from '../test/support/smtp-peer.js';
import { tempDir } from '../test/support/temp-dir.js';
import { smtpLogin } from '../test/support/test-app.js';
import { flameGraphs, profileInto } from './lib/profiling.js';
import { Progress } from './lib/progress.js';
import type { Scenario, Size } from './lib/scenario.js';
import { type BenchRun, type Machine, writeReport } from './report/write-report.js';
import { memory } from './scenarios/memory.js';
import { passwordHashing } from './scenarios/password-hashing.js';
import { readThroughput } from './scenarios/read-throughput.js';
import { retention } from './scenarios/retention.js';
import { signupLatency } from './scenarios/signup-latency.js';
import { signupToInbox } from './scenarios/signup-to-inbox.js';
import { slowSmtp } from './scenarios/slow-smtp.js';
import { startUp } from './scenarios/start-up.js';
import { taskThroughput } from './scenarios/task-throughput.js';

export const scenarios: readonly Scenario[] = [
  signupLatency,
  signupToInbox,
  slowSmtp,
  readThroughput,
  taskThroughput,
  memory,
  passwordHashing,
  retention,
  startUp,
];

export interface BenchOptions {
  names: readonly string[];
  size: Size;
  outDir: string;
  command: string;
  /** Profile the API and worker processes, and add their flame graphs to the report. */
  profile?: boolean;
  /** Ends the run: its processes are killed at once and no further scenario starts (a test that timed out). */
  signal?: AbortSignal;
}

/** Runs the chosen scenarios one after another and writes the report; the run and the report's path. */
export async function runBench(options: BenchOptions): Promise<{ run: BenchRun; report: string }> {
  const unknown = options.names.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; there are ${scenarios.map((s) => s.name).join(', ')}`);
  const chosen = options.names.length === 0 ? scenarios : scenarios.filter((s) => options.names.includes(s.name));
  const started = performance.now();
  const date = new Date().toISOString().slice(0, 10);
  const run: BenchRun = { date, command: options.command, size: options.size, machine: await machine(), durationSeconds: 0, scenarios: [] };
  const progress = new Progress(chosen.length);
  // One SMTP server for the whole run, as a provider would be: STARTTLS and a login, messages counted, not parsed.
  const smtp = await SmtpPeer.start({ auth: smtpLogin, parse: false });
  options.signal?.addEventListener('abort', killChildren, { once: true });
  try {
    for (const [index, scenario] of chosen.entries()) {
      options.signal?.throwIfAborted();
      progress.start(index + 1, scenario.title);
      const scenarioStarted = performance.now();
      const profiles = options.profile ? tempDir('profiles') : undefined;
      profileInto(profiles);
      try {
        const result = await scenario.run({ size: options.size, progress, smtp });
        if (profiles) result.charts.push(...flameGraphs(profiles, scenario.name));
        run.scenarios.push({ name: scenario.name, title: scenario.title, result });
        progress.done(`${scenario.name}: done in ${Math.round((performance.now() - scenarioStarted) / 1000)} s`);
      } catch (error) {
        run.scenarios.push({ name: scenario.name, title: scenario.title, error: (error as Error).stack ?? String(error) });
        progress.done(`${scenario.name}: FAILED: ${(error as Error).message}`);
      } finally {
        profileInto(undefined);
        if (profiles) rmSync(profiles, { recursive: true, force: true });
      }
    }
  } finally {
    await smtp.close();
  }
  run.durationSeconds = (performance.now() - started) / 1000;
  return { run, report: writeReport(options.outDir, date, run) };
}

async function machine(): Promise<Machine> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const info = await redis.info('server');
  redis.disconnect();
  const cores = cpus();
  return {
    cpus: `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    postgres: rows[0]?.server_version.split(' ')[0] ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}
