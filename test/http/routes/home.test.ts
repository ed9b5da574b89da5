import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/load-config.js';
import { createDeps } from '../../../src/deps.js';
import { buildApp } from '../../../src/http/app.js';
import { describeEachDatabase } from '../../support/suite.js';
import { testEnv } from '../../support/test-app.js';

const chromeAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describeEachDatabase('the root', (ctx) => {
  it('sends a browser on to the documentation page', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/', headers: { accept: chromeAccept } });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, '/api/v1/docs');
    const docs = await ctx.t.request({ method: 'GET', url: String(reply.headers.location), headers: { accept: chromeAccept } });
    assert.ok([200, 302].includes(docs.status), `the docs answer: ${docs.status}`);
  });

  it('tells any other client where the documentation and the OpenAPI document are', async () => {
    for (const accept of [undefined, 'application/json', '*/*']) {
      const reply = await ctx.t.request({ method: 'GET', url: '/', headers: accept ? { accept } : {} });
      assert.equal(reply.status, 200, `Accept: ${accept}`);
      assert.equal(reply.json.docs, '/api/v1/docs');
      assert.equal(reply.json.openapi, '/api/v1/openapi.json');
      assert.match(reply.json.message, /\/api\/v1\/docs/);
      const document = await ctx.t.request({ method: 'GET', url: reply.json.openapi });
      assert.equal(document.status, 200);
      assert.match(document.json.openapi, /^3\./);
    }
  });

  it('answers a path that does not exist with where the paths are', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/api/v1/bookz' });
    assert.equal(reply.status, 404);
    assert.equal(reply.json.error_code, 'not_found');
    assert.equal(reply.json.message, 'No route GET /api/v1/bookz');
    assert.match(reply.json.resolution, /\/api\/v1\/docs/);
  });
});

describe('the root while the API starts', () => {
  it('still points to the documentation, which answers then too', async () => {
    // Nothing listens on port 1: the database is not there, as at a start before it answers.
    const config = loadConfig(testEnv({ databaseUrl: 'postgres://postgres@127.0.0.1:1/bookly' }));
    const deps = await createDeps(config, { log: pino({ level: 'silent' }) });
    const app = await buildApp(deps, { starting: () => 'the database is not ready yet' });
    try {
      const root = await app.inject({ method: 'GET', url: '/' });
      assert.equal(root.statusCode, 200);
      assert.equal(root.json().docs, '/api/v1/docs');
      const elsewhere = await app.inject({ method: 'GET', url: '/api/v1/books' });
      assert.equal(elsewhere.statusCode, 503, 'the rest of the API waits');
    } finally {
      await app.close();
      await deps.close();
    }
  });
});
