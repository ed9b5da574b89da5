import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newResetLinkNext, newVerificationLinkNext, signInNext } from '../../../src/http/routes/auth/pages.js';
import { describeEachDatabase } from '../../support/suite.js';

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
    assert.deepEqual(doc.paths['/api/v1/auth/me'].get.security, [{ bearerAuth: [] }]);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    const list = doc.paths['/api/v1/books'].get;
    assert.deepEqual(list.parameters.map((p: { name: string; in: string }) => `${p.in}.${p.name}`).sort(), ['query.limit', 'query.offset']);
    assert.ok(doc.paths['/api/v1/books/{book_uid}'].get.responses['200'].content['application/json'].schema.properties.reviews);
    for (const [method, path] of endpoints.filter(([, path]) => /\{\w+\}/.test(path))) {
      assert.ok(doc.paths[path][method].responses['422'], `${method} ${path} documents its 422`);
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
