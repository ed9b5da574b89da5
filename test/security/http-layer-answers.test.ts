import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { type RawReply, sendRaw } from '../support/raw-http.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * What the HTTP layer answers before any route runs, tried over raw
 * sockets as a client that does not speak HTTP well would: every answer is
 * the contract's `{message, error_code}`, never Fastify's or Node's own
 * shape, and none echoes the request back.
 */
describe('answers of the HTTP layer, over raw sockets', () => {
  let db: TestDatabase | undefined;
  let t: TestApp | undefined;
  let port: number;

  before(async () => {
    db = await openTestDatabase('postgres');
    t = await startTestApp({ db, runner: false });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await t?.close();
    await db?.close();
  });

  const request = (line: string, headers = '') => sendRaw(port, `${line}\r\nHost: bookly.test\r\n${headers}Connection: close\r\n\r\n`);

  const assertContract = (reply: RawReply, status: number, code: string) => {
    assert.equal(reply.status, status, reply.raw.slice(0, 300));
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(reply.json?.error_code, code, reply.body);
    assert.equal(typeof reply.json.message, 'string');
    assert.deepEqual(
      Object.keys(reply.json).filter((key) => !['message', 'error_code', 'resolution', 'details'].includes(key)),
      [],
      'nothing beyond the contract (statusCode, error, code)',
    );
    assert.ok(reply.body.length < 1000, `a short body: ${reply.body.length} bytes`);
  };

  it('answers headers over the limit with 431 headers_too_large', async () => {
    const reply = await request('GET /health HTTP/1.1', `X-Padding: ${'p'.repeat(20_000)}\r\n`);
    assertContract(reply, 431, 'headers_too_large');
  });

  it('answers a URL over the limit with 431 headers_too_large, without echoing it', async () => {
    const reply = await request(`GET /api/v1/auth/verify/${'t'.repeat(20_000)} HTTP/1.1`);
    assertContract(reply, 431, 'headers_too_large');
  });

  for (const line of [
    'GARBAGE',
    'GET',
    'GET /health HTTP/9.9',
    'GET /health HTTP/1.1 extra',
    'G\u0001T /health HTTP/1.1',
    'GET /he alth HTTP/1.1',
  ]) {
    it(`answers the malformed request line ${JSON.stringify(line)} with 400 bad_request`, async () => {
      assertContract(await request(line), 400, 'bad_request');
    });
  }

  it('answers a malformed header with 400 bad_request', async () => {
    assertContract(await request('GET /health HTTP/1.1', 'No colon here\r\n'), 400, 'bad_request');
  });

  for (const path of ['/api/v1/books/%', '/api/v1/books/%zz', '/api/v1/books/%FF', '/api/v1/auth/verify/abc%', '/api/v1/b%zzooks']) {
    it(`answers ${path} with 400 validation_error`, async () => {
      const reply = await request(`GET ${path} HTTP/1.1`);
      assertContract(reply, 400, 'validation_error');
      assert.equal(reply.json.details[0].field, 'path');
    });
  }

  it('answers a link token as long as a URL may be with 400 invalid_link', async () => {
    const token = 'eyJ0eXAiOiJKV1QifQ.'.padEnd(15_000, 'x');
    const reply = await request(`GET /api/v1/auth/verify/${token} HTTP/1.1`);
    assertContract(reply, 400, 'invalid_link');
  });

  it('answers an id as long as a URL may be with 422 validation_error', async () => {
    const reply = await request(`GET /api/v1/books/${'f'.repeat(15_000)} HTTP/1.1`, 'Authorization: Bearer not-a-token\r\n');
    assertContract(reply, 422, 'validation_error');
  });
});
