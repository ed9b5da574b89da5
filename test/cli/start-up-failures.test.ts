import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminUrl, createPostgresDatabase } from '../support/databases.js';
import { waitFor } from '../support/fault-rig.js';
import { freePort } from '../support/redis.js';
import { runCli, runToEnd, type ServerProcess, startWorkerProcess } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { testEnv } from '../support/test-app.js';

/** What a person sees: the lines printed, with no stack trace among them. */
function linesOf(run: { output: string }): string[] {
  assert.doesNotMatch(run.output, /"stack"|^\s+at /m, `a stack trace:\n${run.output}`);
  return run.output.trim().split('\n');
}

/** The machine's PostgreSQL, as a user or a database it does not have. */
function postgresUrl(part: 'username' | 'pathname', value: string): string {
  const url = new URL(adminUrl);
  url[part] = value;
  return url.toString();
}

// A command left running would never end: each test bounds its wait, so that it fails instead.
describe('a command that cannot start', () => {
  let taken: Server;
  let takenPort: number;
  let unreachablePort: number;
  before(async () => {
    taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    takenPort = (taken.address() as { port: number }).port;
    unreachablePort = await freePort();
  });
  after(() => taken.close());

  it('says in one line that its port is in use, exits 1, and leaves the embedded database to the next command', {
    timeout: 120_000,
  }, async () => {
    const dir = join(tempDir('port-in-use'), 'pglite');
    // Logging at info: what it logged on its way out (a second close, with its stack) would show.
    const env = { ...testEnv({ databaseUrl: `pglite://${dir}` }), LOG_LEVEL: 'info' };
    const advice = 'stop that process, or choose another port (PORT or --port)';
    for (const run of [
      await runToEnd(runCli(['serve'], { ...env, PORT: String(takenPort) })),
      await runToEnd(runCli(['serve', '--port', String(takenPort)], env)),
    ]) {
      assert.equal(run.code, 1, run.output);
      assert.deepEqual(linesOf(run), [`Port ${takenPort} on 127.0.0.1 is in use by another process: ${advice}`]);
    }
    assert.equal(existsSync(`${dir}.lock`), false, 'the embedded database is not locked');
    const promote = await runToEnd(runCli(['users:promote', 'nobody@example.com'], env));
    assert.deepEqual(linesOf(promote), ['No account has the email nobody@example.com']);
  });

  it("says in one line that a worker's metrics port is in use, and exits 1", { timeout: 60_000 }, async () => {
    const env = {
      ...testEnv({ databaseUrl: postgresUrl('pathname', '/never_reached') }),
      REDIS_URL: `redis://127.0.0.1:${unreachablePort}`,
      WORKER_METRICS_PORT: String(takenPort),
    };
    const run = await runToEnd(runCli(['worker'], env));
    assert.equal(run.code, 1, run.output);
    assert.deepEqual(linesOf(run), [
      `Port ${takenPort} on 127.0.0.1 is in use by another process: stop that process, or choose another port (WORKER_METRICS_PORT)`,
    ]);
  });

  it('says in one line that PostgreSQL refuses the database or the user, and every command exits 1', { timeout: 120_000 }, async () => {
    const missing = `bookly_missing_${randomBytes(4).toString('hex')}`;
    const noDatabase = `PostgreSQL refused the database (database "${missing}" does not exist): create it, or correct the database name in DATABASE_URL`;
    // Logging at warn: what it logged on its way out would show, and the database line is an error.
    const env = { ...testEnv({ databaseUrl: postgresUrl('pathname', `/${missing}`) }), LOG_LEVEL: 'warn' };
    for (const args of [['migrate'], ['users:promote', 'nobody@example.com'], ['serve']]) {
      const run = await runToEnd(runCli(args, env));
      assert.equal(run.code, 1, `${args[0]}: ${run.output}`);
      assert.deepEqual(linesOf(run), [noDatabase], args[0]);
    }
    // A worker waits for Redis, but not for a database that will never let it in: it ends, closing its Redis connection.
    const worker = await runToEnd(runCli(['worker'], { ...env, REDIS_URL: `redis://127.0.0.1:${unreachablePort}` }));
    assert.equal(worker.code, 1, worker.output);
    assert.equal(linesOf(worker).at(-1), noDatabase);

    const role = `bookly_nobody_${randomBytes(4).toString('hex')}`;
    const login = await runToEnd(runCli(['migrate'], { ...env, DATABASE_URL: postgresUrl('username', role) }));
    assert.equal(login.code, 1, login.output);
    assert.deepEqual(linesOf(login), [
      `PostgreSQL refused the login (role "${role}" does not exist): correct the user or password in DATABASE_URL, or let that user in (pg_hba.conf)`,
    ]);
  });

  it('says in one line that the database is not reachable when a command cannot wait for it', { timeout: 60_000 }, async () => {
    const env = { ...testEnv({ databaseUrl: `postgres://bookly@127.0.0.1:${unreachablePort}/bookly` }), LOG_LEVEL: 'warn' };
    const run = await runToEnd(runCli(['migrate'], env));
    assert.equal(run.code, 1, run.output);
    assert.deepEqual(linesOf(run), [
      `The database is not reachable (connect ECONNREFUSED 127.0.0.1:${unreachablePort}): start PostgreSQL, or correct DATABASE_URL`,
    ]);
  });

  it('says in one line each, not a stack trace, that Redis is unreachable, and waits for it', { timeout: 120_000 }, async () => {
    const database = await createPostgresDatabase();
    let worker: ServerProcess | undefined;
    try {
      worker = await startWorkerProcess({ ...testEnv({ databaseUrl: database.url }), REDIS_URL: `redis://127.0.0.1:${unreachablePort}` });
      const running = worker;
      const outage = `(connect ECONNREFUSED 127.0.0.1:${unreachablePort}); retrying quietly until it works again`;
      const said = () =>
        running
          .output()
          .split('\n')
          .filter((line) => line.includes('retrying quietly'))
          .map((line) => (JSON.parse(line) as { msg: string }).msg)
          .sort();
      await waitFor('both outage lines', () => said().length === 2);
      assert.deepEqual(said(), [`Redis connection failed ${outage}`, `Task worker failed ${outage}`]);
      assert.doesNotMatch(running.output(), /"stack"/);
      assert.equal(await running.stop('SIGTERM'), 0);
    } finally {
      await worker?.stop('SIGKILL');
      await database.drop();
    }
  });
});
