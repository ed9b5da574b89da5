import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { newSignup } from '../support/accounts.js';
import { createPostgresDatabase, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { startTestApp, type TestApp, testEnv } from '../support/test-app.js';

/**
 * Finding 6 of issue 11: with HOST=0.0.0.0 and no MAIL_SERVER, a client on
 * another machine read a reset link from /dev/mailbox.json. The mailbox now
 * answers only a client whose socket is on the loopback address.
 */
describe('the dev mailbox and clients on other machines', () => {
  let db: TestDatabase;
  let t: TestApp;
  let mail: { id: string; to: string; links: string[] };

  before(async () => {
    db = await openTestDatabase('postgres');
    // TRUST_PROXY=1, so that a forged X-Forwarded-For: 127.0.0.1 would fool a check of request.ip.
    t = await startTestApp({ db, env: { TRUST_PROXY: '1' } });
    const signup = newSignup();
    assert.equal((await t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: signup })).status, 201);
    mail = await firstMail((url) => t.request({ method: 'GET', url }).then((reply) => reply.json));
    assert.equal(mail.to, signup.email);
  });
  after(async () => {
    await t?.close();
    await db?.close();
  });

  const paths = () => ['/dev/mailbox', '/dev/mailbox.json', `/dev/mailbox/${mail.id}`, '/dev/mailbox/not-a-uuid'];

  it('answers 404 not_found to a client on another address, on every mailbox path, showing nothing of the mail', async () => {
    for (const remoteAddress of ['10.1.2.3', '192.168.1.20', '::ffff:10.1.2.3', 'fe80::1', '2001:db8::7']) {
      for (const url of paths()) {
        const reply = await t.request({ method: 'GET', url, remoteAddress });
        assert.equal(reply.status, 404, `${remoteAddress} ${url}`);
        assert.equal(reply.json.error_code, 'not_found');
        assert.equal(typeof reply.json.message, 'string');
        assert.ok(!reply.text.includes(mail.to) && !reply.text.includes('/verify/'), 'nothing of the mail');
      }
    }
  });

  it('is not fooled by X-Forwarded-For, and refuses what a proxy on this machine relays', async () => {
    for (const url of paths()) {
      const forged = await t.request({ method: 'GET', url, remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '127.0.0.1' } });
      assert.equal(forged.status, 404, `forged ${url}`);
      // A reverse proxy or tunnel on this machine connects from 127.0.0.1 on behalf of anyone.
      for (const headers of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }]) {
        const relayed = await t.request({ method: 'GET', url, remoteAddress: '127.0.0.1', headers });
        assert.equal(relayed.status, 404, `relayed ${url}`);
        assert.equal(relayed.json.error_code, 'not_found');
      }
    }
  });

  it('answers a client on the loopback address, IPv4, IPv6 or IPv4-mapped', async () => {
    for (const remoteAddress of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) {
      const list = await t.request({ method: 'GET', url: '/dev/mailbox.json', remoteAddress });
      assert.equal(list.status, 200, remoteAddress);
      assert.equal(list.json[0].id, mail.id);
      assert.equal((await t.request({ method: 'GET', url: '/dev/mailbox', remoteAddress })).status, 200);
      assert.equal((await t.request({ method: 'GET', url: `/dev/mailbox/${mail.id}`, remoteAddress })).status, 200);
    }
    const missing = await t.request({ method: 'GET', url: '/dev/mailbox/00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error_code, 'not_found');
  });
});

describe('the dev mailbox of a server listening on every address', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  const servers: ServerProcess[] = [];

  before(async () => {
    database = await createPostgresDatabase();
  });
  after(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    await database?.drop();
  });

  const start = async (host: string) => {
    const env = testEnv({ databaseUrl: database.url, env: { HOST: host } });
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  const warning =
    /"level":40,.*"msg":"HOST=0\.0\.0\.0 without MAIL_SERVER: the dev mailbox .* answers only clients on this machine's loopback address/;

  it('warns at start that the mailbox answers this machine only, and refuses a real socket from another address', async (context) => {
    const server = await start('0.0.0.0');
    assert.match(server.output(), warning);
    const port = new URL(server.url).port;
    await fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(newSignup()),
    });
    const mail = await firstMail((url) => fetch(`${server.url}${url}`).then((reply) => reply.json()));
    // This machine's own non-loopback address: the connection comes from it, not from 127.0.0.1.
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    if (outside === undefined) return context.skip('this machine has no address but the loopback');
    for (const url of ['/dev/mailbox', '/dev/mailbox.json', `/dev/mailbox/${mail.id}`]) {
      const reply = await fetch(`http://${outside}:${port}${url}`);
      assert.equal(reply.status, 404, url);
      assert.equal(((await reply.json()) as { error_code: string }).error_code, 'not_found');
    }
  });

  it('says nothing of it when it listens on the loopback address only', async () => {
    const server = await start('127.0.0.1');
    assert.match(server.output(), /No MAIL_SERVER: mail is kept at/);
    assert.doesNotMatch(server.output(), /without MAIL_SERVER/);
  });
});

/** The newest mail of the mailbox, once there is one (the mail task runs after the signup answers). */
async function firstMail(get: (url: string) => Promise<unknown>) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const [mail] = (await get('/dev/mailbox.json')) as { id: string; to: string; links: string[] }[];
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no mail in the dev mailbox');
}
