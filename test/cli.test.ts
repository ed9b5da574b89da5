import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { users } from '../src/db/schema/index.js';
import { newSignup } from './support/accounts.js';
import { createPostgresDatabase } from './support/databases.js';
import { waitFor } from './support/fault-rig.js';
import { freePort } from './support/redis.js';
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

  it("prints its help, and each command's, on --help, -h or help, and exits 0 without reading the configuration", async () => {
    // A configuration that would stop any command: help does not read it.
    const env = { PORT: 'eighty' };
    const commands = ['serve', 'worker', 'migrate', 'users:promote'];
    const runs = await Promise.all(
      [
        ['--help'],
        ['-h'],
        ['help'],
        ...commands.flatMap((name) => [
          [name, '--help'],
          [name, '-h'],
          ['help', name],
        ]),
      ].map(async (args) => ({ args, ...(await runToEnd(runCli(args, env))) })),
    );
    for (const { args, code, output } of runs) {
      assert.equal(code, 0, `${args.join(' ')}: ${output}`);
      const name = commands.find((command) => args.includes(command));
      if (name === undefined) {
        assert.match(output, /^Usage: bookly COMMAND/, args.join(' '));
        for (const command of commands) assert.match(output, new RegExp(`^  ${command}\\b`, 'm'), command);
      } else {
        assert.match(output, new RegExp(`^Usage: bookly ${name}\\b`), args.join(' '));
        assert.match(output, /^ {2}-h, --help {2}/m, args.join(' '));
      }
    }
    const serve = runs.find(({ args }) => args.join(' ') === 'serve --help')?.output ?? '';
    assert.match(serve, /^ {2}--port N .*PORT/m);
    assert.match(serve, /^ {2}--host ADDRESS .*HOST/m);
  });

  it('refuses an unknown command, option or argument in one line, with exit status 2', async () => {
    const cases: [string[], string][] = [
      [['serve', '--prot', '9000'], 'Unknown option "--prot" (bookly serve --help)'],
      [['migrate', '--port', '9000'], 'Unknown option "--port" (bookly migrate --help)'],
      [['serve', '--port'], '--port needs a value: --port N (bookly serve --help)'],
      [['users:promote'], 'bookly users:promote needs EMAIL (bookly users:promote --help)'],
      [['worker', 'now'], 'Unexpected argument "now" (bookly worker --help)'],
      [['start'], 'Unknown command "start" (bookly --help lists the commands)'],
    ];
    const runs = await Promise.all(cases.map(async ([args]) => runToEnd(runCli(args, {}))));
    for (const [index, [args, line]] of cases.entries()) {
      const run = runs[index] as { code: number | null; output: string };
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.output, `${line}\n`, args.join(' '));
    }
  });

  it('serve listens where --port and --host say, over PORT and HOST, and its mail links name that port', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const env = { ...testEnv({}), DOMAIN: '', DATABASE_URL: 'pglite://memory', HOST: '::1' };
    const server = await startServerProcess(env, [], ['--port', String(port), '--host', '127.0.0.1']);
    try {
      assert.equal(server.url, `http://127.0.0.1:${port}`);
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      assert.match(server.output(), new RegExp(`mail is kept at http://127\\.0\\.0\\.1:${port}/dev/mailbox`));
      const signup = await fetch(`${server.url}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(newSignup()),
      });
      assert.equal(signup.status, 201);
      let links: string[] = [];
      await waitFor('the verification mail', async () => {
        const mails = (await (await fetch(`${server.url}/dev/mailbox.json`)).json()) as { links: string[] }[];
        links = mails[0]?.links ?? [];
        return mails.length > 0;
      });
      // DOMAIN unset: the links name the port it listens on, not PORT's.
      assert.match(links[0] ?? '', new RegExp(`^http://localhost:${port}/api/v1/auth/verify/`));
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
  });
});
