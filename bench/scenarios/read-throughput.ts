import autocannon from 'autocannon';
import { loadConfig } from '../../src/config/load-config.js';
import { benchAccount } from '../lib/accounts.js';
import { type Child, rssMiB, startChild } from '../lib/child.js';
import {
  addReadings,
  type CpuPerUnit,
  type CpuReading,
  cpuPerUnit,
  meterCpu,
  type Pids,
  processes,
  processesNamed,
  processTree,
} from '../lib/cpu-meter.js';
import { postJson } from '../lib/load.js';
import { assertSameBodies, giveReviewsAndTags, startOneQuery } from '../lib/one-query.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { groupedBarChart } from '../report/charts/grouped-bar-chart.js';
import { stackedBarChart } from '../report/charts/stacked-bar-chart.js';

/** On PostgreSQL the servers compared with each other take turns, `rounds` times each for `seconds`. */
const sizes = {
  smoke: { seconds: 1, rounds: 1, warmUpSeconds: 0 },
  quick: { seconds: 5, rounds: 2, warmUpSeconds: 1 },
  full: { seconds: 15, rounds: 2, warmUpSeconds: 2 },
};
const connections = 50;
/** API processes sharing the port in the cluster row: one a core on this two-core machine. */
const clusterWorkers = 2;
/** The servers measured, in the order the tables and charts show them. */
const servers = ['postgres', 'postgresCluster', 'pglite', 'oneQuery', 'oneQueryPostgresJs', 'bare'] as const;
const labels = {
  postgres: 'Bookly on PostgreSQL',
  postgresCluster: `Bookly on PostgreSQL, ${clusterWorkers} processes`,
  pglite: 'Bookly on PGlite',
  oneQuery: 'one-query limit (pg)',
  oneQueryPostgresJs: 'one-query limit, postgres.js',
  bare: 'bare Fastify',
};
const label = (where: string) => labels[where as keyof typeof labels];

interface Measured {
  requestsPerSecond: number;
  latencyP99Ms: number;
  non2xx: number;
  cpu: CpuPerUnit;
}

/** Where a request's CPU time is spent: the server measured, its database, the load generator (this process). */
const cpuParts = ['server', 'PostgreSQL', 'load generator', 'other'] as const;
const meterGroups = (server: Pids) => ({
  server,
  PostgreSQL: processesNamed('postgres'),
  'load generator': processes(process.pid),
});

/**
 * Authenticated reads at 50 connections, on each database, beside two
 * baselines: a bare Fastify server that answers the same bodies as constants
 * (how much of the machine the API's own work takes: auth, database,
 * serialisation, logging), and, on PostgreSQL, one that reads them with one
 * prepared statement a request and nothing else (how far the API is from the
 * cheapest read of the same rows).
 */
export const readThroughput: Scenario = {
  name: 'read-throughput',
  title: 'Read throughput at 50 connections',
  async run({ size, progress, smtp }) {
    const { seconds, rounds, warmUpSeconds } = sizes[size];
    const result = emptyResult();
    const rps: Record<string, Record<string, Measured>> = {};
    const bodies: Record<string, string> = {};
    const apiRssMiB: Record<string, number> = {};
    let pools: Record<string, number> = {};
    /** Each endpoint in turn, for the scenario's seconds. */
    const cannonEach = async (
      server: string,
      origin: string,
      paths: readonly (readonly [string, string])[],
      headers: Record<string, string>,
      pid: number | undefined,
    ) => {
      const measured: Record<string, Measured> = {};
      for (const [endpoint, path] of paths) {
        progress.update(`${server}: ${endpoint} for ${seconds} s`);
        measured[endpoint] = summarise([await cannon(`${origin}${path}`, headers, seconds, processes(pid))]);
      }
      return measured;
    };
    /**
     * Servers that are compared with each other, in turns (A, B, A, B) on each endpoint: on a machine
     * shared with other work, a slow spell then falls on each of them rather than on one.
     */
    const cannonInTurns = async (
      contenders: readonly { where: string; origin: string; headers: Record<string, string>; pids: Pids }[],
      paths: readonly (readonly [string, string])[],
    ) => {
      for (const [endpoint, path] of paths) {
        const runs = new Map<string, Run[]>(contenders.map(({ where }) => [where, []]));
        // Unmeasured, so that the first in turn does not take the others' share of compiling and filling caches.
        for (const { where, origin, headers } of warmUpSeconds > 0 ? contenders : []) {
          progress.update(`${label(where)}: ${endpoint}, warming up`);
          await autocannon({ url: `${origin}${path}`, connections, duration: warmUpSeconds, headers });
        }
        for (let round = 1; round <= rounds; round++) {
          for (const { where, origin, headers, pids } of contenders) {
            progress.update(`${label(where)}: ${endpoint} for ${seconds} s (round ${round} of ${rounds})`);
            runs.get(where)?.push(await cannon(`${origin}${path}`, headers, seconds, pids));
          }
        }
        for (const [where, done] of runs) {
          rps[where] ??= {};
          rps[where][endpoint] = summarise(done);
        }
      }
    };
    for (const database of ['postgres', 'pglite'] as const) {
      progress.update(`${database}: starting`);
      const stack = await startStack({ mode: 'in-process', database, smtp });
      try {
        const { token } = await benchAccount(stack, smtp);
        const headers = { authorization: `Bearer ${token}` };
        for (let i = 0; i < 50; i++) {
          const status = await postJson(
            `${stack.url}/api/v1/books`,
            {
              title: `Book ${i}`,
              author: 'A. Writer',
              publisher: 'Bench Press',
              published_date: '2024-01-01',
              page_count: 100 + i,
              language: 'en',
            },
            headers,
          );
          if (status !== 201) throw new Error(`creating a book answered ${status}`);
        }
        const list = await fetch(`${stack.url}/api/v1/books`, { headers }).then((r) => r.text());
        const [bookId, otherId] = (JSON.parse(list) as { uid: string }[]).map((book) => book.uid) as [string, string];
        bodies.list = list;
        bodies.one = await fetch(`${stack.url}/api/v1/books/${bookId}`, { headers }).then((r) => r.text());
        const paths = [
          ['GET /books', '/api/v1/books'],
          ['GET /books/{id}', `/api/v1/books/${bookId}`],
        ] as const;
        if (database === 'pglite') {
          rps[database] = await cannonEach(database, stack.url, paths, headers, stack.api.child.pid);
        } else {
          progress.update('one-query limits and the cluster: starting');
          // The measured book stays as it was; another shows that reviews and tags are answered alike.
          await giveReviewsAndTags(stack, otherId, headers);
          const checked = [...paths.map(([, path]) => path), `/api/v1/books/${otherId}`];
          const { database: db } = loadConfig(stack.env);
          if (db.kind !== 'postgres') throw new Error('the stack was to be on PostgreSQL');
          const own = (child: Child) => processes(child.child.pid);
          // Each pair runs alone beside the idle API, whose pool keeps its connections: within PostgreSQL's
          // 100 (the machine's, shared with other work), the pairs share out the API's own pool size.
          const workerPool = Math.floor(db.poolSize / clusterWorkers);
          await withChildren(
            [
              () =>
                startChild(
                  'cluster-serve.ts',
                  // The same database, users and sessions: the token signed in on the first process holds on the others.
                  { ...stack.env, PORT: '0', LOG_LEVEL: 'info', WORKERS: String(clusterWorkers), DATABASE_POOL_SIZE: String(workerPool) },
                  /ready (http:\/\/\S+)/,
                ),
            ],
            async ([cluster]) => {
              const origin = (cluster as Child).ready;
              await assertSameBodies('the cluster', { url: origin, headers }, stack, checked, headers);
              await cannonInTurns(
                [
                  { where: 'postgres', origin: stack.url, headers, pids: processes(stack.api.child.pid) },
                  // The primary hands out connections: its CPU is the cluster's too.
                  { where: 'postgresCluster', origin, headers, pids: processTree(cluster?.child.pid) },
                ],
                paths,
              );
            },
          );
          // Both drivers alike, half the API's pool each.
          const driverPool = Math.floor(db.poolSize / 2);
          await withChildren(
            [
              () => startOneQuery(stack, checked, headers, 'pg', driverPool),
              () => startOneQuery(stack, checked, headers, 'postgresJs', driverPool),
            ],
            ([pg, postgresJs]) =>
              cannonInTurns(
                [
                  { where: 'oneQuery', origin: (pg as Child).ready, headers: {}, pids: own(pg as Child) },
                  { where: 'oneQueryPostgresJs', origin: (postgresJs as Child).ready, headers: {}, pids: own(postgresJs as Child) },
                ],
                paths,
              ),
          );
          pools = { api: db.poolSize, clusterWorker: workerPool, oneQuery: driverPool };
        }
        apiRssMiB[database] = rssMiB(stack.api.child.pid);
      } finally {
        await stack.stop();
      }
    }
    progress.update('bare Fastify');
    rps.bare = {};
    for (const [endpoint, body] of [
      ['GET /books', bodies.list],
      ['GET /books/{id}', bodies.one],
    ] as const) {
      const bare = await startChild('bare-fastify.ts', { BODY: body as string }, /listening (http:\/\/\S+)/);
      try {
        rps.bare[endpoint] = summarise([await cannon(`${bare.ready}/`, {}, seconds, processes(bare.child.pid))]);
      } finally {
        await bare.stop();
      }
    }
    const endpoints = ['GET /books', 'GET /books/{id}'] as const;
    const at = (where: string, endpoint: string) => rps[where]?.[endpoint] as Measured;
    result.figures = { connections, seconds, rounds, clusterWorkers, pools, results: rps, apiRssMiB };
    if (apiRssMiB.postgres !== undefined) {
      result.checks.push({
        what: 'API resident memory after the reads, on PostgreSQL',
        value: apiRssMiB.postgres,
        unit: 'MiB',
        limit: 120,
        met: apiRssMiB.postgres <= 120,
      });
    }
    result.table.push('| server | endpoint | requests/s | p99 ms | non-2xx |', '|---|---|---|---|---|');
    for (const where of servers) {
      for (const endpoint of endpoints) {
        const m = at(where, endpoint);
        result.table.push(`| ${label(where)} | ${endpoint} | ${round(m.requestsPerSecond, 0)} | ${m.latencyP99Ms} | ${m.non2xx} |`);
      }
    }
    for (const endpoint of endpoints) {
      result.comparisons.push(
        compare(
          `${endpoint}, Bookly on PostgreSQL / bare Fastify`,
          at('postgres', endpoint).requestsPerSecond,
          at('bare', endpoint).requestsPerSecond,
          'req/s',
          {
            ratio: 0.3,
            better: 'above',
          },
        ),
        compare(
          `${endpoint}, Bookly on PostgreSQL / one-query limit`,
          at('postgres', endpoint).requestsPerSecond,
          at('oneQuery', endpoint).requestsPerSecond,
          'req/s',
          { ratio: 0.8, better: 'above' },
        ),
        compare(
          `${endpoint}, Bookly on PostgreSQL, ${clusterWorkers} processes / 1 process`,
          at('postgresCluster', endpoint).requestsPerSecond,
          at('postgres', endpoint).requestsPerSecond,
          'req/s',
        ),
        compare(
          `${endpoint}, one-query limit's server CPU a request, postgres.js / pg`,
          at('oneQueryPostgresJs', endpoint).cpu.parts.server ?? 0,
          at('oneQuery', endpoint).cpu.parts.server ?? 0,
          'ms',
        ),
        compare(
          `${endpoint}, Bookly on PGlite / bare Fastify`,
          at('pglite', endpoint).requestsPerSecond,
          at('bare', endpoint).requestsPerSecond,
          'req/s',
        ),
      );
    }
    const ms = (v: number | undefined) => round(v ?? 0, 3);
    result.table.push(
      '',
      `CPU time per request, ms, by process (from /proc: the whole machine's time over the requests answered; "other" is the kernel's own work and every other process):`,
      '',
      `| server | endpoint | ${cpuParts.join(' | ')} | total | machine busy |`,
      `|---|---|${cpuParts.map(() => '---|').join('')}---|---|`,
    );
    for (const where of servers) {
      for (const endpoint of endpoints) {
        const { parts, totalMs, busyShare } = at(where, endpoint).cpu;
        result.table.push(
          `| ${label(where)} | ${endpoint} | ${cpuParts.map((part) => ms(parts[part])).join(' | ')} | ${ms(totalMs)} | ${round(busyShare * 100, 0)}% |`,
        );
      }
    }
    result.table.push(
      '',
      `API resident memory at the end: ${Object.entries(apiRssMiB)
        .map(([db, mib]) => `${round(mib, 0)} MiB on ${db}`)
        .join(', ')}.`,
    );
    result.charts.push({
      name: 'read-throughput',
      caption: `Requests per second at ${connections} connections (autocannon, ${seconds} s each)`,
      svg: await groupedBarChart(
        servers.map((where) => ({
          name: label(where),
          values: endpoints.map((endpoint) => at(where, endpoint).requestsPerSecond),
        })),
        { title: 'Authenticated reads', unit: 'req/s', categories: [...endpoints] },
      ),
    });
    const one = at('postgres', 'GET /books/{id}');
    const cores = (part: string) => round(((one.cpu.parts[part] ?? 0) * one.requestsPerSecond) / 1000, 2);
    result.notes.push(
      `What bounds the reads: at ${round(one.requestsPerSecond, 0)} req/s on GET /books/{id} the API process used ${cores('server')} of a core (one JavaScript thread) and PostgreSQL ${cores('PostgreSQL')}, for its one statement a request once the token's user and session are cached (three with AUTH_CACHE_SIZE=0); the bare server spent ${ms(at('bare', 'GET /books/{id}').cpu.parts.server)} ms of CPU a request against Bookly's ${ms(one.cpu.parts.server)}, and the one-query limit, whose one statement also brings reviews and tags, ${ms(at('oneQuery', 'GET /books/{id}').cpu.parts.server)} (PostgreSQL ${ms(at('oneQuery', 'GET /books/{id}').cpu.parts.PostgreSQL)} against Bookly's ${ms(one.cpu.parts.PostgreSQL)}). The README's Performance section says what remains and why.`,
    );
    const percent = (value: number, baseline: number) => `${value >= baseline ? '+' : ''}${round((value / baseline - 1) * 100, 0)}%`;
    const each = (describe: (endpoint: string) => string) => endpoints.map((endpoint) => `${endpoint} ${describe(endpoint)}`).join('; ');
    result.notes.push(
      `Driver, pg against postgres.js (the one-query limit on each, the same prepared statements and bodies, a pool of ${pools.oneQuery} each, in turns ${rounds}× ${seconds} s): server CPU a request ${each(
        (endpoint) => {
          const [pg, js] = [at('oneQuery', endpoint), at('oneQueryPostgresJs', endpoint)];
          return `${ms(pg.cpu.parts.server)} ms on pg, ${ms(js.cpu.parts.server)} on postgres.js (${percent(js.cpu.parts.server ?? 0, pg.cpu.parts.server ?? 0)}), PostgreSQL ${ms(pg.cpu.parts.PostgreSQL)} and ${ms(js.cpu.parts.PostgreSQL)}, ${round(pg.requestsPerSecond, 0)} and ${round(js.requestsPerSecond, 0)} req/s`;
        },
      )}.`,
      `${clusterWorkers} API processes sharing the port (node:cluster, ${pools.clusterWorker} database connections each) against one (${pools.api}), in turns ${rounds}× ${seconds} s: ${each(
        (endpoint) => {
          const [one, many] = [at('postgres', endpoint), at('postgresCluster', endpoint)];
          return `${round(one.requestsPerSecond, 0)} -> ${round(many.requestsPerSecond, 0)} req/s (${percent(many.requestsPerSecond, one.requestsPerSecond)}), p99 ${one.latencyP99Ms} -> ${many.latencyP99Ms} ms, machine ${round(one.cpu.busyShare * 100, 0)}% -> ${round(many.cpu.busyShare * 100, 0)}% busy, API CPU a request ${ms(one.cpu.parts.server)} -> ${ms(many.cpu.parts.server)} ms`;
        },
      )}.`,
    );
    result.charts.push({
      name: 'read-cpu',
      caption: 'CPU time per request on PostgreSQL, by process: the two cores are shared by the load generator, the server and PostgreSQL',
      svg: await stackedBarChart(
        (['postgres', 'postgresCluster', 'oneQuery', 'oneQueryPostgresJs', 'bare'] as const).flatMap((where) =>
          endpoints.map((endpoint) => {
            const { parts, busyShare } = at(where, endpoint).cpu;
            return {
              // Short enough for the chart's margin.
              label: `${{ postgres: 'Bookly', postgresCluster: `Bookly ×${clusterWorkers}`, oneQuery: 'one-query pg', oneQueryPostgresJs: 'one-query postgres.js', bare: 'bare Fastify' }[where]}, ${endpoint}`,
              values: cpuParts.map((part) => parts[part] ?? 0),
              note: `machine ${round(busyShare * 100, 0)}% busy`,
            };
          }),
        ),
        { title: 'CPU per request', unit: 'ms', parts: cpuParts },
      ),
    });
    return result;
  },
};

/** One load of one server for a while. */
interface Run {
  requestsPerSecond: number;
  latencyP99Ms: number;
  non2xx: number;
  requests: number;
  reading: CpuReading;
}

/** Runs `use` with children started one after another, and stops those that started, whatever happens. */
async function withChildren<T>(starts: readonly (() => Promise<Child>)[], use: (children: readonly Child[]) => Promise<T>): Promise<T> {
  const started: Child[] = [];
  try {
    for (const start of starts) started.push(await start());
    return await use(started);
  } finally {
    for (const child of started) await child.stop();
  }
}

async function cannon(url: string, headers: Record<string, string>, seconds: number, server: Pids): Promise<Run> {
  const meter = meterCpu(meterGroups(server));
  const run = await autocannon({ url, connections, duration: seconds, headers });
  return {
    requestsPerSecond: run.requests.average,
    latencyP99Ms: run.latency.p99,
    non2xx: run.non2xx + run.errors,
    requests: run.requests.total,
    reading: meter.stop(),
  };
}

/** A server's rounds as one figure: the mean rate, the worst round's p99, the CPU time over every request. */
function summarise(runs: readonly Run[]): Measured {
  const [first, ...rest] = runs as [Run, ...Run[]];
  return {
    requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length,
    latencyP99Ms: Math.max(...runs.map((run) => run.latencyP99Ms)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    cpu: cpuPerUnit(
      rest.reduce((sum, run) => addReadings(sum, run.reading), first.reading),
      runs.reduce((sum, run) => sum + run.requests, 0),
    ),
  };
}
