import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/load-config.js';
import { createDeps } from '../../../src/deps.js';
import { buildApp } from '../../../src/http/app.js';
import { newSignup } from '../../support/accounts.js';
import { recordErrorCodes } from '../../support/error-codes-record.js';
import { describeEachDatabase } from '../../support/suite.js';
import { testEnv } from '../../support/test-app.js';

describeEachDatabase('operations endpoints', (ctx) => {
  it('answers /health while the process runs', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/health' });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { status: 'ok' });
  });

  it('answers /ready with 200 while the database answers', async () => {
    const ready = await ctx.t.request({ method: 'GET', url: '/ready' });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'ready', checks: { database: 'ok' } });
  });

  it('exposes request durations, task outcomes, queue depths and emails in /metrics', async () => {
    const body = newSignup();
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
    await ctx.t.tasks?.stop(5000);
    const reply = await ctx.t.request({ method: 'GET', url: '/metrics' });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /text\/plain/);
    assert.match(reply.text, /http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/signup",status_code="201"\} 1/);
    assert.match(reply.text, /bookly_tasks_total\{name="mail.verify-email",outcome="completed"\} 1/);
    assert.match(reply.text, /bookly_task_duration_seconds_count\{name="mail.verify-email",outcome="completed"\} 1/);
    assert.match(reply.text, /bookly_emails_total\{outcome="sent"\} 1/);
    assert.match(reply.text, /bookly_queue_oldest_waiting_seconds\{lane="default"\} 0/);
    assert.match(reply.text, /bookly_queue_workers\{lane="default"\} 0/, 'its tasks stopped, this process left the registry');
    assert.match(reply.text, /process_resident_memory_bytes/);
  });

  it('counts due tasks by lane and state in the queue depth', async () => {
    await ctx.t.tasks?.stop(5000);
    for (let i = 0; i < 3; i++) await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: newSignup() });
    const reply = await ctx.t.request({ method: 'GET', url: '/metrics' });
    assert.match(reply.text, /bookly_queue_depth\{lane="default",state="pending"\} 3/);
  });
});

describe('readiness while the database is down', () => {
  it('answers /ready with 503 service_unavailable naming the database', async () => {
    // A PostgreSQL server that is not there: nothing listens on port 1.
    const config = loadConfig(testEnv({ databaseUrl: 'postgres://postgres@127.0.0.1:1/bookly' }));
    const deps = await createDeps(config, { log: pino({ level: 'silent' }) });
    const app = await buildApp(deps);
    // Not an app of startTestApp's, which records its error answers for the check of the documented codes.
    recordErrorCodes(app);
    try {
      const reply = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(reply.statusCode, 503);
      const body = reply.json();
      assert.equal(body.error_code, 'service_unavailable');
      assert.match(body.message, /database/);
      assert.equal(body.details[0].field, 'database');
      assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process itself is alive');
    } finally {
      await app.close();
      await deps.close();
    }
  });
});
