import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Metrics } from '../../src/observability/metrics.js';
import { startMetricsServer } from '../../src/observability/metrics-server.js';
import { createPostgresDatabase, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { deleteKeys, freePort, redisUrl, testPrefix } from '../support/redis.js';
import { runCli, runToEnd, startWorkerProcess } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestApp, type TestApp, testEnv } from '../support/test-app.js';

/**
 * Finding 3 of issue 11 (its /metrics half): the counters were public, and the
 * mail a reset request sends counted who has an account. With METRICS_TOKEN
 * set, /metrics (the API's and a worker's) asks for it as a bearer token.
 */
const token = 'metrics-5f0c2a9e1b7d4c3a8e6f';
const refusals: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['a wrong token', { authorization: 'Bearer metrics-5f0c2a9e1b7d4c3a8e6X' }],
  ['a wrong token of another length', { authorization: 'Bearer x' }],
  ['the token with a suffix', { authorization: `Bearer ${token}0` }],
  ['the token as basic auth', { authorization: `Basic ${Buffer.from(`metrics:${token}`).toString('base64')}` }],
  ['the token without its scheme', { authorization: token }],
];

/** One scrape's answer, whatever served it. */
interface Scrape {
  status: number;
  challenge: string | undefined;
  text: string;
}

function assertRefused(scrape: Scrape, what: string): void {
  assert.equal(scrape.status, 401, what);
  assert.match(scrape.challenge ?? '', /^Bearer\b/, what);
  const body = JSON.parse(scrape.text);
  assert.equal(body.error_code, 'invalid_token', what);
  assert.equal(typeof body.message, 'string');
  assert.doesNotMatch(scrape.text, /bookly_|process_|http_request/, `${what}: no metric in the refusal`);
}

async function scrapeOver(url: string, headers: Record<string, string>): Promise<Scrape> {
  const reply = await fetch(`${url}/metrics`, { headers });
  return { status: reply.status, challenge: reply.headers.get('www-authenticate') ?? undefined, text: await reply.text() };
}

describe('the API /metrics with METRICS_TOKEN', () => {
  let db: TestDatabase;
  let t: TestApp | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  after(async () => {
    await db.close();
  });

  const scrape = async (app: TestApp, headers: Record<string, string>): Promise<Scrape> => {
    const reply = await app.request({ method: 'GET', url: '/metrics', headers });
    return { status: reply.status, challenge: reply.headers['www-authenticate'] as string | undefined, text: reply.text };
  };

  it('refuses a scrape without the bearer token, 401 invalid_token with WWW-Authenticate: Bearer', async () => {
    t = await startTestApp({ db, runner: false, env: { METRICS_TOKEN: token } });
    for (const [what, headers] of refusals) assertRefused(await scrape(t, headers), what);
  });

  it('answers the scrape that carries it', async () => {
    t = await startTestApp({ db, runner: false, env: { METRICS_TOKEN: token } });
    for (const authorization of [`Bearer ${token}`, `bearer  ${token} `]) {
      const reply = await scrape(t, { authorization });
      assert.equal(reply.status, 200, authorization);
      assert.match(reply.text, /process_resident_memory_bytes/);
    }
    assert.equal((await t.request({ method: 'GET', url: '/health' })).status, 200, '/health stays open');
  });

  it('stays open without METRICS_TOKEN outside production', async () => {
    t = await startTestApp({ db, runner: false });
    assert.equal((await scrape(t, {})).status, 200);
  });
});

describe("a worker's metrics server with METRICS_TOKEN", () => {
  it('refuses a scrape without the bearer token and answers the one with it', async () => {
    const server = await startMetricsServer(new Metrics(), { host: '127.0.0.1', port: 0, token });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      for (const [what, headers] of refusals) assertRefused(await scrapeOver(url, headers), what);
      const ok = await scrapeOver(url, { authorization: `Bearer ${token}` });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /process_resident_memory_bytes/);
      assert.equal((await fetch(`${url}/health`)).status, 200, '/health stays open');
      const unknown = await fetch(`${url}/elsewhere`);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error_code: string }).error_code, 'not_found');
    } finally {
      await server.close();
    }
  });

  it('is what `bookly worker` serves on WORKER_METRICS_PORT', { timeout: 120_000 }, async () => {
    const database = await createPostgresDatabase();
    const prefix = testPrefix();
    const env = testEnv({
      databaseUrl: database.url,
      env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, METRICS_TOKEN: token, WORKER_METRICS_PORT: String(await freePort()) },
    });
    try {
      const worker = await startWorkerProcess(env);
      try {
        assertRefused(await scrapeOver(worker.url, {}), 'no token');
        assertRefused(await scrapeOver(worker.url, { authorization: 'Bearer wrong' }), 'a wrong token');
        assert.equal((await scrapeOver(worker.url, { authorization: `Bearer ${token}` })).status, 200);
      } finally {
        await worker.stop('SIGTERM');
      }
    } finally {
      await database.drop();
      await deleteKeys(redisUrl, prefix);
    }
  });
});

describe('production without METRICS_TOKEN', () => {
  for (const command of ['serve', 'worker']) {
    it(`bookly ${command} refuses to start, in one line naming METRICS_TOKEN`, async () => {
      const dir = tempDir('metrics');
      const env = {
        NODE_ENV: 'production',
        JWT_SECRET: 'a production secret that is long enough',
        MAIL_SERVER: '127.0.0.1',
        USE_CREDENTIALS: 'false',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bookly_never_opened',
        REDIS_URL: redisUrl,
        DATA_DIR: dir,
      };
      const child = runCli([command], env, dir);
      // Without the check it would start and wait for its database for good: stop it, so the test fails instead of hanging.
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const run = await runToEnd(child).finally(() => clearTimeout(guard));
      assert.equal(run.code, 1, run.output);
      const lines = run.output.trim().split('\n');
      assert.equal(lines.length, 1, run.output);
      assert.match(lines[0] as string, /METRICS_TOKEN is required when NODE_ENV=production/);
    });
  }
});
