import assert from 'node:assert/strict';
import { it } from 'node:test';
import { login, newSignup, verifiedAccount } from '../../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../../support/suite.js';
import type { Reply } from '../../support/test-app.js';

/**
 * The answers whole kinds of endpoint share (a bearer token's 401s, a body's 400/413/415, a page's
 * 422, the auth rate limit's 429), asked of every operation the OpenAPI document lists, so a new
 * endpoint is covered the day it is added. Each request is the one Swagger UI's "Try it out" would
 * send: the documented example body, path parameters of the documented form.
 */
interface Operation {
  method: string;
  path: string;
  /** The path with its parameters filled in. */
  url: string;
  summary: string;
  bearer: boolean;
  example: unknown;
  queries: string[];
  /** `401 invalid_token`, … as the document lists them. */
  codes: Set<string>;
}

async function operationsOf(ctx: SuiteContext): Promise<Operation[]> {
  const doc = (await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, DocOperation>>(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const codes = new Set<string>();
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const code of response.content?.['application/json']?.schema?.properties?.error_code?.enum ?? [])
          codes.add(`${status} ${code}`);
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        summary: operation.summary ?? '',
        bearer: (operation.security ?? []).some((rule) => 'bearerAuth' in rule),
        example: operation.requestBody?.content?.['application/json']?.example,
        queries: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        url: fillPath(path, operation.parameters ?? []),
        codes,
      });
    }
  }
  return operations;
}

interface DocOperation {
  summary?: string;
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; schema?: { format?: string } }[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: { error_code?: { enum?: string[] } } } }> }>;
}

/** Path parameters of the form the document gives them: a UUID, an email, a lane's name, a link token. */
function fillPath(path: string, parameters: NonNullable<DocOperation['parameters']>): string {
  return path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const format = parameters.find((p) => p.in === 'path' && p.name === name)?.schema?.format;
    if (format === 'uuid') return '0d9f4a52-6b1e-4c3a-9f70-2e8b5c1d7a63';
    if (format === 'email') return 'grace@example.com';
    return name === 'lane' ? 'bulk' : 'a-link-token';
  });
}

const send = (
  ctx: SuiteContext,
  operation: Operation,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) =>
  ctx.t.request({
    method: operation.method as 'GET',
    url: operation.url,
    token: options.token,
    headers: options.headers,
    ...(options.body !== undefined
      ? { payload: options.body as string }
      : operation.example !== undefined
        ? { payload: operation.example as object }
        : {}),
  });

const name = (operation: Operation) => `${operation.method} ${operation.path}`;

function assertAnswer(operation: Operation, reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, `${name(operation)}: ${reply.text.slice(0, 300)}`);
  assert.equal(reply.json?.error_code, code, `${name(operation)}: ${reply.text.slice(0, 300)}`);
  assert.ok(operation.codes.has(`${status} ${code}`), `${name(operation)} answers ${status} ${code}, and its documentation says so`);
}

/** Logouts last: they end the session whose token the others go on using. */
const logoutsLast = (a: Operation, b: Operation) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout'));

describeEachDatabase('what every endpoint of a kind answers', (ctx) => {
  it('answers no token, the wrong kind of token and a revoked one with its documented 401', async () => {
    const operations = (await operationsOf(ctx)).filter((operation) => operation.bearer);
    assert.ok(operations.length >= 30, `bearer endpoints: ${operations.length}`);
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const ended = await login(ctx.t, account.email, account.password);
    assert.equal((await ctx.t.request({ method: 'GET', url: '/api/v1/auth/logout', token: ended.accessToken })).status, 200);
    for (const operation of operations) {
      assertAnswer(operation, await send(ctx, operation), 401, 'invalid_token');
      const takesRefresh = operation.codes.has('401 refresh_token_required') && !operation.codes.has('401 access_token_required');
      if (takesRefresh) {
        assertAnswer(operation, await send(ctx, operation, { token: account.accessToken }), 401, 'refresh_token_required');
        assertAnswer(operation, await send(ctx, operation, { token: ended.refreshToken }), 401, 'token_revoked');
      } else {
        assertAnswer(operation, await send(ctx, operation, { token: account.refreshToken }), 401, 'access_token_required');
        assertAnswer(operation, await send(ctx, operation, { token: ended.accessToken }), 401, 'token_revoked');
      }
    }
  });

  it('refuses an unverified account with 403 account_not_verified exactly where the document says so', async () => {
    const operations = (await operationsOf(ctx)).filter((operation) => operation.bearer).sort(logoutsLast);
    const signup = newSignup();
    assert.equal((await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: signup })).status, 201);
    const unverified = await login(ctx.t, signup.email, signup.password);
    let refused = 0;
    for (const operation of operations) {
      const takesRefresh = operation.codes.has('401 refresh_token_required') && !operation.codes.has('401 access_token_required');
      const reply = await send(ctx, operation, { token: takesRefresh ? unverified.refreshToken : unverified.accessToken });
      if (operation.codes.has('403 account_not_verified')) {
        assertAnswer(operation, reply, 403, 'account_not_verified');
        refused += 1;
      } else {
        assert.notEqual(reply.json?.error_code, 'account_not_verified', `${name(operation)} does not document account_not_verified`);
      }
    }
    assert.ok(refused >= 15, `endpoints that need a verified account: ${refused}`);
  });

  it('refuses an account that is not an admin with 403 insufficient_permissions on every admin-only endpoint', async () => {
    const operations = (await operationsOf(ctx)).filter((operation) => operation.bearer && /(?<!an )admin only/.test(operation.summary));
    assert.ok(operations.length >= 15, `admin-only endpoints: ${operations.length}`);
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    for (const operation of operations) {
      const reply = await send(ctx, operation, { token: account.accessToken });
      // A task is hidden from anyone but an admin (routes/tasks/index.ts): it does not exist for them.
      if (/\{task_id\}/.test(operation.path)) assertAnswer(operation, reply, 404, 'task_not_found');
      else assertAnswer(operation, reply, 403, 'insufficient_permissions');
    }
  });

  it('refuses a body that is not JSON, is malformed or is over 1 MiB, before anything else, on every endpoint that takes one', async () => {
    const operations = (await operationsOf(ctx)).filter((operation) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(operation.method));
    assert.ok(operations.length >= 20, `endpoints that take a body: ${operations.length}`);
    for (const operation of operations) {
      const text = await send(ctx, operation, { body: 'title=Dune', headers: { 'content-type': 'text/plain' } });
      assertAnswer(operation, text, 415, 'unsupported_media_type');
      const malformed = await send(ctx, operation, { body: '{"title": "Dune",', headers: { 'content-type': 'application/json' } });
      assertAnswer(operation, malformed, 400, 'invalid_json');
      const large = await send(ctx, operation, {
        body: JSON.stringify({ title: 'x'.repeat(1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      assertAnswer(operation, large, 413, 'payload_too_large');
    }
  });

  it('answers a page out of range with 422 validation_error on every list that has pages', async () => {
    const operations = (await operationsOf(ctx)).filter((operation) => operation.queries.includes('limit'));
    assert.ok(operations.length >= 5, `paged lists: ${operations.length}`);
    for (const operation of operations) {
      const reply = await ctx.t.request({ method: 'GET', url: `${operation.url}?limit=0` });
      assertAnswer(operation, reply, 422, 'validation_error');
      assert.equal(reply.json.details[0].field, 'query.limit');
    }
  });
});

describeEachDatabase(
  'the auth rate limit on every endpoint',
  (ctx) => {
    it('answers the second request in a minute with 429 rate_limited where the document says so, and nowhere else', async () => {
      const operations = await operationsOf(ctx);
      let limited = 0;
      for (const operation of operations) {
        const first = await send(ctx, operation);
        const second = await send(ctx, operation);
        if (operation.codes.has('429 rate_limited')) {
          assertAnswer(operation, second, 429, 'rate_limited');
          limited += 1;
        } else {
          assert.notEqual(first.status, 429, name(operation));
          assert.notEqual(second.status, 429, name(operation));
        }
      }
      assert.equal(limited, 5, 'signup, resend-verification, login, password-reset-request, password-reset-confirm');
    });
  },
  { env: { AUTH_RATE_LIMIT: '1' } },
);
