import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { newResetLinkNext, newVerificationLinkNext, signInNext } from '../../../src/http/routes/auth/pages.js';
import { describeEachDatabase } from '../../support/suite.js';
import { startTestApp } from '../../support/test-app.js';

interface DocOperation {
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses?: Record<string, { content?: Record<string, { example?: unknown }> }>;
}

const endpoints = [
  ['post', '/api/v1/auth/signup'],
  ['get', '/api/v1/auth/verify/{token}'],
  ['post', '/api/v1/auth/resend-verification'],
  ['post', '/api/v1/auth/login'],
  ['get', '/api/v1/auth/refresh_token'],
  ['get', '/api/v1/auth/me'],
  ['get', '/api/v1/auth/logout'],
  ['post', '/api/v1/auth/logout'],
  ['post', '/api/v1/auth/password-reset-request'],
  ['post', '/api/v1/auth/password-reset-confirm/{token}'],
  ['post', '/api/v1/auth/send_mail'],
  ['get', '/api/v1/tasks/{task_id}'],
  ['get', '/api/v1/books'],
  ['post', '/api/v1/books'],
  ['get', '/api/v1/books/user/{user_uid}'],
  ['get', '/api/v1/books/{book_uid}'],
  ['patch', '/api/v1/books/{book_uid}'],
  ['delete', '/api/v1/books/{book_uid}'],
  ['get', '/api/v1/reviews'],
  ['get', '/api/v1/reviews/{review_uid}'],
  ['post', '/api/v1/reviews/book/{book_uid}'],
  ['delete', '/api/v1/reviews/{review_uid}'],
  ['get', '/api/v1/tags'],
  ['post', '/api/v1/tags'],
  ['post', '/api/v1/tags/book/{book_uid}/tags'],
  ['put', '/api/v1/tags/{tag_uid}'],
  ['delete', '/api/v1/tags/{tag_uid}'],
  ['get', '/health'],
  ['get', '/ready'],
] as const;

describeEachDatabase('API documentation', (ctx) => {
  it('publishes an OpenAPI 3 document with every endpoint, its body and its answers', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(reply.status, 200);
    const doc = reply.json;
    assert.match(doc.openapi, /^3\./);
    assert.doesNotMatch(JSON.stringify(doc), /Default Response/, 'every answer says what it is');
    for (const [method, path] of endpoints) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
    const signup = doc.paths['/api/v1/auth/signup'].post;
    const body = signup.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['email', 'first_name', 'last_name', 'password', 'username']);
    assert.equal(body.properties.password.minLength, 8);
    assert.ok(signup.responses['201']);
    assert.ok(signup.responses['409'], 'error answers are documented');
    assert.ok(signup.responses['422']);
    assert.equal(signup.responses['201'].content['application/json'].example.user.is_verified, false, 'a new account is not verified');
    assert.deepEqual(doc.paths['/api/v1/auth/me'].get.security, [{ bearerAuth: [] }]);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    const list = doc.paths['/api/v1/books'].get;
    assert.deepEqual(list.parameters.map((p: { name: string; in: string }) => `${p.in}.${p.name}`).sort(), ['query.limit', 'query.offset']);
    for (const parameter of list.parameters)
      assert.equal(parameter.required, false, `${parameter.name} has a default: a client may leave it out`);
    assert.deepEqual(list.parameters.map((p: { name: string; schema: { default: number } }) => [p.name, p.schema.default]).sort(), [
      ['limit', 50],
      ['offset', 0],
    ]);
    assert.ok(doc.paths['/api/v1/books/{book_uid}'].get.responses['200'].content['application/json'].schema.properties.reviews);
    // A link token of any length is well formed (only its lookup fails, 400 invalid_link): GET of a link has no 422.
    for (const [method, path] of endpoints.filter(
      ([method, path]) => /\{\w+\}/.test(path) && !(method === 'get' && /\{token\}/.test(path)),
    )) {
      assert.ok(doc.paths[path][method].responses['422'], `${method} ${path} documents its 422`);
    }
  });

  it('is a valid OpenAPI document, by @readme/openapi-parser', async () => {
    const doc = (await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
    const result = await validate(structuredClone(doc));
    assert.equal(result.valid, true, result.valid ? '' : compileErrors(result));
    assert.deepEqual(result.warnings, []);
    // The validator does refuse a broken one: an answer without its required description.
    const broken = structuredClone(doc);
    delete broken.paths['/api/v1/books'].get.responses['200'].description;
    assert.equal((await validate(broken)).valid, false);
  });

  it('lists under each error status exactly the codes the endpoint gives, named in its description', async () => {
    const doc = (await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
    const codes = (path: string, method: string, status: number) => {
      const response = doc.paths[path][method].responses[String(status)];
      const { enum: listed } = response.content['application/json'].schema.properties.error_code;
      for (const code of listed) assert.match(response.description, new RegExp(`\`${code}\``), `${method} ${path} ${status} names ${code}`);
      return listed;
    };
    assert.deepEqual(codes('/api/v1/auth/me', 'get', 401), ['invalid_token', 'token_revoked', 'access_token_required']);
    assert.deepEqual(codes('/api/v1/auth/refresh_token', 'get', 401), ['invalid_token', 'token_revoked', 'refresh_token_required']);
    assert.deepEqual(codes('/api/v1/auth/login', 'post', 401), ['invalid_email_or_password']);
    assert.deepEqual(codes('/api/v1/auth/signup', 'post', 409), ['user_exists']);
    assert.deepEqual(codes('/api/v1/auth/verify/{token}', 'get', 400), ['invalid_link']);
    assert.deepEqual(codes('/api/v1/tags/{tag_uid}', 'put', 409), ['tag_exists']);
    assert.deepEqual(codes('/api/v1/books/{book_uid}', 'get', 404), ['book_not_found']);
    assert.deepEqual(codes('/api/v1/books/{book_uid}', 'patch', 403), ['account_not_verified', 'insufficient_permissions']);
    assert.deepEqual(codes('/api/v1/books', 'post', 400), ['invalid_json']);
    assert.equal(doc.paths['/api/v1/tags'].get.responses['422'], undefined, 'a list of tags takes no input to refuse');
    assert.equal(doc.paths['/api/v1/books'].get.responses['401'].content['application/json'].example.error_code, 'invalid_token');
    // What any endpoint may answer is said once.
    assert.match(doc.info.description, /500 `server_error`/);
    assert.match(doc.info.description, /503 `service_unavailable`/);
  });

  it('shows fixed examples that read like real data: the same on every render', async () => {
    const doc = (await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
    const example = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].example;
    assert.deepEqual(example('/api/v1/auth/signup', 'post'), {
      first_name: 'Ada',
      last_name: 'Lovelace',
      username: 'ada',
      email: 'ada@example.com',
      password: 'correct horse battery staple',
    });
    assert.equal(example('/api/v1/books', 'post').title, 'The Left Hand of Darkness');
    const book = doc.paths['/api/v1/books/{book_uid}'].get.responses['200'].content['application/json'].example;
    assert.equal(book.published_date, '1969-03-01');
    assert.equal(book.created_at, '2026-11-30T10:02:00.000Z');
    // Every JSON request body and success reply has one (the error replies have theirs from their codes).
    const missing: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, DocOperation>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const body = operation.requestBody?.content?.['application/json'];
        if (body && body.example === undefined) missing.push(`${method} ${path} body`);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const json = response.content?.['application/json'];
          if (json && json.example === undefined) missing.push(`${method} ${path} ${status}`);
        }
      }
    }
    assert.deepEqual(missing, []);
    const again = await startTestApp({ db: ctx.db, smtp: ctx.smtp, runner: false });
    try {
      const second = (await again.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
      assert.deepEqual(second, doc, 'another app serves the same document');
    } finally {
      await again.close();
    }
  });

  it('serves the interactive documentation', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/api/v1/docs' });
    assert.ok([200, 302].includes(reply.status), String(reply.status));
    const page =
      reply.status === 302
        ? await ctx.t.request({
            method: 'GET',
            url: `/api/v1/docs/${String(reply.headers.location).replace(/^\.?\/?(api\/v1\/docs\/)?/, '')}`,
          })
        : reply;
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger/i);
  });

  it('has the operations that the pages link to, at the addresses Swagger UI gives them', async () => {
    const doc = (await ctx.t.request({ method: 'GET', url: '/api/v1/openapi.json' })).json;
    // Swagger UI's deep link: #/TAG/ID, ID the operationId or else the method and the path with every non-word character an underscore.
    const links = new Set<string>();
    for (const [path, operations] of Object.entries<Record<string, { tags?: string[]; operationId?: string }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const tag of operation.tags ?? [])
          links.add(`/api/v1/docs#/${tag}/${operation.operationId ?? `${method}${path.replace(/\W/g, '_')}`}`);
      }
    }
    for (const next of [signInNext, newVerificationLinkNext, newResetLinkNext])
      assert.ok(links.has(next.href), `${next.label}: ${next.href}`);
  });
});
