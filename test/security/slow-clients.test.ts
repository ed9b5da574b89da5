import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createPostgresDatabase } from '../support/databases.js';
import { openSocket, type RawReply, received, sendRaw } from '../support/raw-http.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { testEnv } from '../support/test-app.js';

/**
 * Slowloris from outside, against the real server process: connections that
 * send their headers and then a byte of body a second, headers that never
 * end, connections that say nothing, and more connections than the cap. The
 * server must cut each within its timeout, keep answering `/health` while
 * they hang, and answer in the contract's shape.
 */
describe('slow clients', () => {
  const requestTimeoutMs = 5000;
  const headersTimeoutMs = 2000;
  const maxConnections = 230;
  let server: ServerProcess | undefined;
  let port: number;
  let dropDatabase: (() => Promise<void>) | undefined;
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  before(async () => {
    const database = await createPostgresDatabase();
    dropDatabase = database.drop;
    const env: Record<string, string> = {
      ...testEnv({ databaseUrl: database.url }),
      HTTP_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
      HTTP_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: String(maxConnections),
      // One login a minute: the second is refused (429) before its body is read.
      AUTH_RATE_LIMIT: '1',
    };
    server = await startServerProcess(env);
    port = Number(new URL(server.url).port);
  });
  afterEach(() => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  after(async () => {
    await server?.stop('SIGTERM');
    await dropDatabase?.();
  });

  /** Resolves with `promise`, or fails naming `what` if it takes longer than `ms` (a bound, not a measurement). */
  async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function tracked(): Promise<{ socket: Socket; reply: Promise<RawReply> }> {
    const socket = await openSocket(port);
    sockets.push(socket);
    return { socket, reply: received(socket) };
  }

  /**
   * `count` connections that send the headers of a POST to `path` (a book, by default: its body is
   * read before the token is checked), then one byte of its 1000-byte body a second.
   */
  async function dribblers(count: number, path = '/api/v1/books') {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const { socket, reply } = await tracked();
        const state = { closed: false, reply };
        socket.write(`POST ${path} HTTP/1.1\r\nHost: bookly.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
        const timer = setInterval(() => socket.write(' '), 1000);
        timers.push(timer);
        void reply.then(() => {
          state.closed = true;
          clearInterval(timer);
        });
        return state;
      }),
    );
  }

  const health = () => sendRaw(port, 'GET /health HTTP/1.1\r\nHost: bookly.test\r\nConnection: close\r\n\r\n');

  const assertTimedOut = (reply: RawReply) => {
    assert.equal(reply.status, 408, reply.raw.slice(0, 300));
    assert.equal(reply.json.error_code, 'request_timeout');
    assert.equal(typeof reply.json.message, 'string');
    assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(reply.raw.split('HTTP/1.1 ').length - 1, 1, 'one answer only');
  };

  it('cuts every slow body with 408 request_timeout, and /health answers while they hang', { timeout: 120_000 }, async () => {
    const slow = await dribblers(200);
    const live = await health();
    const openWhileHealthAnswered = slow.filter((connection) => !connection.closed).length;
    assert.equal(live.status, 200);
    assert.equal(openWhileHealthAnswered, 200, 'every slow connection was still open when /health answered');

    const replies = await within(4 * requestTimeoutMs, 'every slow connection closed by the server', Promise.all(slow.map((c) => c.reply)));
    for (const reply of replies) assertTimedOut(reply);
  });

  it('refuses connections beyond HTTP_MAX_CONNECTIONS, and serves again once the slow ones are cut', { timeout: 120_000 }, async () => {
    const extra = 20;
    const slow = await dribblers(maxConnections + extra);
    const replies = await within(4 * requestTimeoutMs, 'every connection closed by the server', Promise.all(slow.map((c) => c.reply)));
    // Refused: closed at once without a byte. Taken: held until the timeout, then a 408.
    const refused = replies.filter((reply) => reply.raw === '').length;
    const cut = replies.filter((reply) => reply.status === 408 && reply.json?.error_code === 'request_timeout').length;
    assert.equal(cut, maxConnections, 'as many taken as the cap allows');
    assert.equal(refused, extra, 'every connection beyond the cap refused');
    assert.equal((await health()).status, 200);
  });

  it('answers headers that never end, and a connection that sends nothing, with 408 request_timeout', { timeout: 60_000 }, async () => {
    const unfinished = await tracked();
    unfinished.socket.write('GET /health HTTP/1.1\r\nHost: bookly.test\r\n');
    const silent = await tracked();
    const [headers, nothing] = await within(
      4 * headersTimeoutMs,
      'both closed by the server',
      Promise.all([unfinished.reply, silent.reply]),
    );
    assertTimedOut(headers);
    assertTimedOut(nothing);
  });

  it('answers an early refusal once: a body that then stalls is cut without a second answer', { timeout: 60_000 }, async () => {
    const login = JSON.stringify({ email: 'nobody@bookly.test', password: 'wrong password' });
    const first = await sendRaw(
      port,
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: bookly.test\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\nConnection: close\r\n\r\n${login}`,
    );
    assert.equal(first.status, 401);
    // The rate limit answers before the body is read; the connection stays open for the rest of it.
    const [early] = await dribblers(1, '/api/v1/auth/login');
    const reply = await within(4 * requestTimeoutMs, 'closed by the server', (early as { reply: Promise<RawReply> }).reply);
    assert.equal(reply.status, 429, reply.raw.slice(0, 300));
    assert.equal(reply.json.error_code, 'rate_limited');
    assert.equal(reply.raw.split('HTTP/1.1 ').length - 1, 1, 'one answer only');
  });

  it('closes a kept-alive connection that stays idle after its answer', { timeout: 60_000 }, async () => {
    const { socket, reply } = await tracked();
    socket.write('GET /health HTTP/1.1\r\nHost: bookly.test\r\n\r\n');
    const answered = await within(4 * requestTimeoutMs, 'closed by the server', reply);
    assert.equal(answered.status, 200);
    assert.equal(answered.raw.split('HTTP/1.1 ').length - 1, 1, 'one answer only');
  });
});
