import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { runCli, runToEnd } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Finding 4 of issue 11: with TRUST_PROXY=true a client escaped AUTH_RATE_LIMIT by
 * writing a new left-most X-Forwarded-For on every login. The limit is 20 a
 * minute; 25 logins from one real client must end in 429s, whatever it forges.
 */
const limit = 20;
const limited = [...Array(limit).fill(401), ...Array(25 - limit).fill(429)];

describe('X-Forwarded-For and the client address rate limits use', () => {
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

  const start = async (trustProxy?: string) => {
    t = await startTestApp({
      db,
      runner: false,
      env: { AUTH_RATE_LIMIT: String(limit), ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }) },
    });
    return t;
  };

  /** Wrong logins, one after another, each from `remoteAddress` (the socket's peer) with the header `forwardedFor(i)`. */
  const logins = async (app: TestApp, count: number, remoteAddress: string, forwardedFor: (i: number) => string) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const reply = await app.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress,
        headers: { 'x-forwarded-for': forwardedFor(i) },
        payload: { email: 'victim@example.com', password: 'a guess that is wrong' },
      });
      if (reply.status === 429) assert.equal(reply.json.error_code, 'rate_limited');
      statuses.push(reply.status);
    }
    return statuses;
  };

  it('without TRUST_PROXY, ignores the header: the client is the socket peer', async () => {
    const app = await start();
    assert.deepEqual(await logins(app, 25, '203.0.113.7', (i) => `198.51.100.${i}`), limited);
  });

  it('with TRUST_PROXY=1, takes the hop the proxy appended, not the forged ones before it', async () => {
    const app = await start('1');
    // The proxy at 10.0.0.1 appends the address it saw (203.0.113.7) to what the client sent.
    assert.deepEqual(await logins(app, 25, '10.0.0.1', (i) => `198.51.100.${i}, 203.0.113.7`), limited);
    // Another client behind the same proxy has a limit of its own.
    assert.deepEqual(await logins(app, 1, '10.0.0.1', () => '198.51.100.1, 203.0.113.8'), [401]);
  });

  it('with a list of proxies, trusts only hops from those addresses', async () => {
    const app = await start('10.0.0.0/8, 192.0.2.1');
    // Two proxies of the list in a row: the client is the first hop from the right that is not one of them.
    assert.deepEqual(await logins(app, 25, '10.0.0.1', (i) => `198.51.100.${i}, 203.0.113.7, 192.0.2.1`), limited);
    // A client that reaches the server directly is not a proxy: what it writes in the header counts for nothing.
    assert.deepEqual(await logins(app, 25, '203.0.113.50', (i) => `198.51.100.${i}, 10.0.0.2`), limited);
    // A hop that is not a listed proxy is where trust stops, even with listed addresses before it.
    assert.deepEqual(await logins(app, 25, '10.0.0.1', (i) => `198.51.100.${i}, 10.9.9.9, 203.0.113.60`), limited);
  });

  it('refuses TRUST_PROXY=true at start-up with one line saying what to write instead', async () => {
    assert.throws(
      () => loadConfig({ TRUST_PROXY: 'true' }),
      (error: Error) => error instanceof ConfigError && /TRUST_PROXY=true would trust every hop/.test(error.message),
    );
    const dir = tempDir('trust');
    const run = await runToEnd(runCli(['serve'], { TRUST_PROXY: 'true', DATABASE_URL: 'pglite://memory', DATA_DIR: dir }, dir));
    assert.equal(run.code, 1);
    const lines = run.output.trim().split('\n');
    assert.equal(lines.length, 1, run.output);
    assert.match(lines[0] as string, /TRUST_PROXY=true would trust every hop.*TRUST_PROXY=1.*TRUST_PROXY=10\.0\.0\.1,10\.0\.0\.0\/8/);
  });
});
