import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { users } from '../src/db/schema/index.js';
import { createPostgresDatabase } from './support/databases.js';
import { runCli, runToEnd, startServerProcess } from './support/server-process.js';
import { tempDir } from './support/temp-dir.js';
import { testEnv } from './support/test-app.js';

describe('the bookly command', () => {
  let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
  before(async () => {
    postgres = await createPostgresDatabase();
  });
  after(() => postgres.drop());

  it('migrates a new database and promotes an account to admin', async () => {
    const env = testEnv({ databaseUrl: postgres.url });
    const migrated = await runToEnd(runCli(['migrate'], env));
    assert.equal(migrated.code, 0, migrated.output);
    const database = await openDatabase(postgres.config);
    try {
      await database.db
        .insert(users)
        .values({ username: 'grace', email: 'Grace@Example.com', firstName: 'Grace', lastName: 'Hopper', passwordHash: 'x' });
      const promoted = await runToEnd(runCli(['users:promote', 'grace@example.com'], env));
      assert.equal(promoted.code, 0, promoted.output);
      assert.match(promoted.output, /Grace@Example.com is now an admin/);
      const [row] = await database.db.select().from(users).where(eq(users.username, 'grace'));
      assert.equal(row?.role, 'admin');
    } finally {
      await database.close();
    }
    const unknown = await runToEnd(runCli(['users:promote', 'nobody@example.com'], env));
    assert.equal(unknown.code, 1);
    assert.equal(unknown.output.trim(), 'No account has the email nobody@example.com');
  });

  it('stops with one clear line on a bad configuration', async () => {
    const bad = await runToEnd(runCli(['serve'], { PORT: 'eighty', MAIL_PORT: 'x', NODE_ENV: 'production' }));
    assert.equal(bad.code, 1);
    const lines = bad.output.trim().split('\n');
    assert.equal(lines.length, 1, bad.output);
    for (const name of ['PORT', 'MAIL_PORT', 'JWT_SECRET']) assert.match(lines[0] as string, new RegExp(name));
  });

  it('reads a .env file in the directory it runs in', async () => {
    const dir = tempDir('env');
    writeFileSync(join(dir, '.env'), 'MAIL_STARTTLS=perhaps\n');
    const run = await runToEnd(runCli(['migrate'], {}, dir));
    assert.equal(run.code, 1);
    assert.match(run.output, /MAIL_STARTTLS must be true or false \(got "perhaps"\)/);
  });

  it('refuses to touch an embedded database a running server holds', { timeout: 60_000 }, async () => {
    const dir = join(tempDir('lock'), 'pglite');
    const env = testEnv({ databaseUrl: `pglite://${dir}` });
    const server = await startServerProcess(env);
    try {
      const migrate = await runToEnd(runCli(['migrate'], env));
      assert.equal(migrate.code, 1);
      assert.match(migrate.output, new RegExp(`in use by process ${server.child.pid}`));
      assert.equal(migrate.output.trim().split('\n').length, 1);
      const promote = await runToEnd(runCli(['users:promote', 'a@example.com'], env));
      assert.equal(promote.code, 1);
      assert.match(promote.output, /in use by process/);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    // Stopped, the server has let go: the database opens again.
    const reopened = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrate(reopened);
    await reopened.close();
  });
});
