import autocannon from 'autocannon';
import { benchAccount } from '../lib/accounts.js';
import { rssMiB, startChild } from '../lib/child.js';
import { type CpuPerUnit, cpuPerUnit, meterCpu, processes, processesNamed } from '../lib/cpu-meter.js';
import { postJson } from '../lib/load.js';
import { giveReviewsAndTags, startOneQuery } from '../lib/one-query.js';
import { compare, emptyResult, type Scenario } from '../lib/scenario.js';
import { startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { groupedBarChart } from '../report/charts/grouped-bar-chart.js';
import { stackedBarChart } from '../report/charts/stacked-bar-chart.js';

const sizes = { smoke: { seconds: 1 }, quick: { seconds: 5 }, full: { seconds: 15 } };
const connections = 50;
/** The servers measured, in the order the tables and charts show them. */
const servers = ['postgres', 'pglite', 'oneQuery', 'bare'] as const;
const labels = {
  postgres: 'Bookly on PostgreSQL',
  pglite: 'Bookly on PGlite',
  oneQuery: 'one-query limit',
  bare: 'bare Fastify',
};

interface Measured {
  requestsPerSecond: number;
  latencyP99Ms: number;
  non2xx: number;
  cpu: CpuPerUnit;
}

/** Where a request's CPU time is spent: the server measured, its database, the load generator (this process). */
const cpuParts = ['server', 'PostgreSQL', 'load generator', 'other'] as const;
const meterGroups = (serverPid: number | undefined) => ({
  server: processes(serverPid),
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
    const { seconds } = sizes[size];
    const result = emptyResult();
    const rps: Record<string, Record<string, Measured>> = {};
    const bodies: Record<string, string> = {};
    const apiRssMiB: Record<string, number> = {};
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
        measured[endpoint] = await cannon(`${origin}${path}`, headers, seconds, pid);
      }
      return measured;
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
        rps[database] = await cannonEach(database, stack.url, paths, headers, stack.api.child.pid);
        apiRssMiB[database] = rssMiB(stack.api.child.pid);
        if (database === 'postgres') {
          progress.update('one-query limit: starting');
          // The measured book stays as it was; another shows that reviews and tags are answered alike.
          await giveReviewsAndTags(stack, otherId, headers);
          const oneQuery = await startOneQuery(stack, [...paths.map(([, path]) => path), `/api/v1/books/${otherId}`], headers);
          try {
            rps.oneQuery = await cannonEach('one-query limit', oneQuery.ready, paths, {}, oneQuery.child.pid);
          } finally {
            await oneQuery.stop();
          }
        }
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
        rps.bare[endpoint] = await cannon(`${bare.ready}/`, {}, seconds, bare.child.pid);
      } finally {
        await bare.stop();
      }
    }
    const endpoints = ['GET /books', 'GET /books/{id}'] as const;
    const at = (where: string, endpoint: string) => rps[where]?.[endpoint] as Measured;
    const label = (where: string) => labels[where as keyof typeof labels];
    result.figures = { connections, seconds, results: rps, apiRssMiB };
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
    result.charts.push({
      name: 'read-cpu',
      caption: 'CPU time per request on PostgreSQL, by process: the two cores are shared by the load generator, the server and PostgreSQL',
      svg: await stackedBarChart(
        (['postgres', 'oneQuery', 'bare'] as const).flatMap((where) =>
          endpoints.map((endpoint) => {
            const { parts, busyShare } = at(where, endpoint).cpu;
            return {
              // Short enough for the chart's margin.
              label: `${{ postgres: 'Bookly', oneQuery: 'one-query', bare: 'bare Fastify' }[where]}, ${endpoint}`,
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

async function cannon(url: string, headers: Record<string, string>, seconds: number, serverPid: number | undefined): Promise<Measured> {
  const meter = meterCpu(meterGroups(serverPid));
  const run = await autocannon({ url, connections, duration: seconds, headers });
  return {
    requestsPerSecond: run.requests.average,
    latencyP99Ms: run.latency.p99,
    non2xx: run.non2xx + run.errors,
    cpu: cpuPerUnit(meter.stop(), run.requests.total),
  };
}
