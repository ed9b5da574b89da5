import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { serializeError, serializeRequest } from '../../src/observability/log-serializers.js';
import { adminUrl } from '../support/databases.js';

/** The error a statement that failed throws, as the app would get it. */
async function failure(pool: pg.Pool, run: (db: ReturnType<typeof drizzle>) => Promise<unknown>): Promise<unknown> {
  try {
    await run(drizzle({ client: pool }));
  } catch (error) {
    return error;
  }
  assert.fail('the statement should have failed');
}

describe('log serializers', () => {
  let pool: pg.Pool;
  before(() => {
    pool = new pg.Pool({ connectionString: adminUrl, max: 1 });
  });
  after(() => pool.end());

  it("keeps a failed statement's class, the driver's message and code, and drops the statement and its parameters", async () => {
    const error = await failure(pool, (db) => db.execute(sql`select ${'victim@example.com'}::uuid, ${'$argon2id$v=19$secret'} as hash`));
    const logged = JSON.stringify(serializeError(error));
    const out = JSON.parse(logged);
    assert.equal(out.type, 'DrizzleQueryError');
    assert.equal(out.cause.code, '22P02');
    assert.equal(out.cause.message, 'invalid input syntax for type uuid: "[redacted]"');
    assert.match(out.stack, /^Error: Failed query\n\s+at /);
    for (const secret of ['victim@example.com', '$argon2id$', 'params', 'select '])
      assert.ok(!logged.includes(secret), `${secret} in ${logged}`);
  });

  it('drops the detail that quotes the failing row', async () => {
    const error = await failure(pool, async (db) => {
      await db.execute(sql`create temporary table logged_users (email text not null, hash text check (hash <> 'forced'))`);
      await db.execute(sql`insert into logged_users values (${'victim@example.com'}, ${'forced'})`);
    });
    const logged = JSON.stringify(serializeError(error));
    assert.equal(JSON.parse(logged).cause.code, '23514');
    assert.ok(!logged.includes('victim@example.com'), logged);
    assert.ok(!logged.includes('Failing row'), logged);
  });

  it('strips a failed query from an error logged as a string', () => {
    assert.equal(serializeError('Failed query: update tasks set x = $1\nparams: secret-value'), 'Failed query');
  });

  it('leaves a link token out of a logged URL', () => {
    for (const path of ['/api/v1/auth/verify/abc.def', '/api/v1/auth/password-reset-confirm/abc?x=1']) {
      const { url } = serializeRequest({ method: 'GET', url: path });
      assert.ok(!String(url).includes('abc'), String(url));
      assert.match(String(url), /\[redacted\]/);
    }
    assert.equal(serializeRequest({ method: 'GET', url: '/api/v1/books/1' }).url, '/api/v1/books/1');
  });
});
