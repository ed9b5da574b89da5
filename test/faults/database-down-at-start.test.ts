import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newSignup } from '../support/accounts.js';
import { call, report, waitFor } from '../support/fault-rig.js';
import { OwnPostgres } from '../support/own-postgres.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { type ServerProcess, startListeningServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/**
 * PostgreSQL is down when the API and a worker start. Neither exits: the API
 * listens and answers 503 (with the reason), the worker waits, each says so
 * in one log line; once the database is up they migrate and serve.
 */
describe('PostgreSQL down when the API and a worker start', () => {
  let postgres: OwnPostgres;
  let smtp: SmtpPeer;
  const prefix = testPrefix();
  const processes: ServerProcess[] = [];

  before(async () => {
    postgres = await OwnPostgres.start();
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await deleteKeys(redisUrl, prefix);
    await smtp.close();
    await postgres.destroy();
  });

  it('serves 503 until the database answers, then everything', { timeout: 120_000 }, async () => {
    const databaseUrl = await postgres.createDatabase('late');
    await postgres.stop();
    const env = { ...testEnv({ smtp, databaseUrl }), REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
    const api = await startListeningServerProcess(env);
    processes.push(api);
    const worker = startWorkerProcess(env);

    const ready = await call(api.url, 'GET', '/ready');
    assert.equal(ready.status, 503);
    assert.ok(ready.json.details.some((detail: { field: string }) => detail.field === 'database'));
    const signup = await call(api.url, 'POST', '/api/v1/auth/signup', newSignup());
    assert.equal(signup.status, 503);
    assert.equal(signup.json.error_code, 'service_unavailable');
    assert.equal((await call(api.url, 'GET', '/health')).status, 200, 'alive all the same');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(api.child.exitCode, null, 'the API waits, it does not exit');
    const waitLines = api
      .output()
      .split('\n')
      .filter((line) => line.includes('the database is not reachable'));
    assert.equal(waitLines.length, 1, 'one line says so, however many tries');
    assert.doesNotMatch(waitLines[0] ?? '', /"stack"/);

    const down = Date.now();
    await postgres.restart();
    processes.push(await worker);
    await waitFor('the API to be ready', async () => (await call(api.url, 'GET', '/ready')).status === 200, 60_000);
    const readyAfterMs = Date.now() - down;
    const body = newSignup();
    assert.equal((await call(api.url, 'POST', '/api/v1/auth/signup', body)).status, 201);
    await smtp.waitForMail((m) => m.to.includes(body.email), 60_000);
    report('PostgreSQL down when the API and a worker start', { readyAfterDatabaseUpMs: readyAfterMs, signupMailDelivered: 1 });
    assert.match(api.output(), /the database answers again/);
  });
});
