import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { OwnPostgres } from '../support/own-postgres.js';

const run = promisify(execFile);

async function query<Row extends pg.QueryResultRow>(url: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<Row>(text)).rows;
  } finally {
    await client.end();
  }
}

function refused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
}

/** The helper the fault tests stand on: a server of the test's own that goes down like a crash and comes back with its data. */
describe('OwnPostgres', () => {
  let server: OwnPostgres | undefined;
  after(async () => {
    await server?.destroy();
  });

  it('stops like a crash, restarts with its data, and leaves nothing when destroyed', { timeout: 60_000 }, async () => {
    server = await OwnPostgres.start();
    assert.notEqual(server.port, 5432);
    const url = await server.createDatabase('own_postgres_test');
    await query(url, 'create table kept (id int primary key, name text not null)');
    await query(url, "insert into kept values (1, 'before the stop')");

    const open = new pg.Client({ connectionString: url });
    // The cut connection reports on the client as well as on its query; unheard, that would end the test process.
    open.on('error', () => {});
    await open.connect();

    await server.stop();
    await assert.rejects(open.query('select 1'));
    await assert.rejects(query(url, 'select 1'), refused);

    await server.restart();
    assert.deepEqual(await query(url, 'select id, name from kept'), [{ id: 1, name: 'before the stop' }]);

    // restart() on a running server is a crash and a recovery too.
    await query(url, "insert into kept values (2, 'before the restart')");
    await server.restart();
    assert.deepEqual(await query<{ count: string }>(url, 'select count(*) from kept'), [{ count: '2' }]);

    const { dataDir } = server;
    await server.destroy();
    assert.equal(existsSync(dirname(dataDir)), false);
    await assert.rejects(query(url, 'select 1'), refused);
    await server.destroy();
  });

  it('is stopped and removed when the test process exits without destroy()', { timeout: 60_000 }, async () => {
    const helper = new URL('../support/own-postgres.ts', import.meta.url).href;
    const script = `
      import { OwnPostgres } from ${JSON.stringify(helper)};
      const server = await OwnPostgres.start();
      console.log(JSON.stringify({ url: server.url(), dataDir: server.dataDir }));
      process.exit(1);
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]).catch(
      (error: { stdout: string }) => error,
    );
    const { url, dataDir } = JSON.parse(stdout) as { url: string; dataDir: string };
    assert.equal(existsSync(dirname(dataDir)), false);
    await assert.rejects(query(url, 'select 1'), refused);
  });
});
