import assert from 'node:assert/strict';
import { once } from 'node:events';
import { cpSync, existsSync, readdirSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newSignup } from '../support/accounts.js';
import { spawnOwned } from '../support/children.js';
import { createPostgresDatabase } from '../support/databases.js';
import { runToEnd } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { testEnv } from '../support/test-app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const compiling = /^Compiling src\/ to dist\/ \(\d+\.\d s\)$/m;

/** A copy of what `npm start` reads (src/, the migrations, the launcher, the configuration), beside the project's node_modules. */
function projectCopy(nodeModules = realpathSync(join(root, 'node_modules'))): string {
  const dir = tempDir('launcher');
  for (const path of ['src', 'drizzle', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(root, path), join(dir, path), { recursive: true });
  }
  symlinkSync(nodeModules, join(dir, 'node_modules'));
  return dir;
}

/** `npm run bookly -- <args>` in `dir`, as the npm script runs it. */
function bookly(dir: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnOwned(process.execPath, ['scripts/bookly.mjs', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `npm start` in `dir`, once it says it is ready: the process, its address and what it printed until then. */
async function serve(dir: string, env: Record<string, string>) {
  const child = bookly(dir, ['serve'], env);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /"address":"(http:\/\/127\.0\.0\.1:\d+)","msg":"ready"/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return { child, url, output };
}

describe('npm start', () => {
  let dir: string;
  before(() => {
    dir = projectCopy();
  });

  it('compiles src/ on its first start, then serves', { timeout: 120_000 }, async () => {
    const database = await createPostgresDatabase();
    try {
      const { child, url, output } = await serve(dir, { ...testEnv({ databaseUrl: database.url }), LOG_LEVEL: 'info', PORT: '0' });
      assert.match(output, compiling);
      assert.equal((await fetch(`${url}/health`)).status, 200);
      // The schemas, made with the typebox bundled into dist/, validate and serialize as through tsx.
      const signup = (body: unknown) =>
        fetch(`${url}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const created = await signup(newSignup());
      assert.equal(created.status, 201, await created.clone().text());
      assert.match(((await created.json()) as { user: { uid: string } }).user.uid, /^[0-9a-f-]{36}$/);
      assert.equal((await signup({ email: 'not an email' })).status, 422);
      assert.ok(existsSync(join(dir, 'dist/vendor/typebox.js')));
      // The console reads its assets beside its module: they were copied along.
      assert.ok(existsSync(join(dir, 'dist/http/console/assets/console.js')));
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    } finally {
      await database.drop();
    }
  });

  it('serves on a Node that cannot require() an ES module (before 20.19), by loading tsx first', { timeout: 120_000 }, async () => {
    const database = await createPostgresDatabase();
    try {
      const env = { ...testEnv({ databaseUrl: database.url }), LOG_LEVEL: 'info', PORT: '0' };
      const { child, url } = await serve(dir, { ...env, NODE_OPTIONS: '--no-experimental-require-module' });
      // Swagger UI's @fastify/static require()s content-disposition@3, an ES module.
      const docs = await fetch(`${url}/api/v1/docs/static/index.html`);
      assert.equal(docs.status, 200);
      assert.match(await docs.text(), /swagger-ui/i);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    } finally {
      await database.drop();
    }
  });

  it('starts without compiling when nothing changed, and keeps the exit code of a refused command line', async () => {
    const help = await runToEnd(bookly(dir, ['--help']));
    assert.equal(help.code, 0, help.output);
    assert.doesNotMatch(help.output, compiling);
    assert.match(help.output, /^Usage: bookly COMMAND/m);
    const refused = await runToEnd(bookly(dir, ['--bogus']));
    assert.equal(refused.code, 2, refused.output);
    assert.deepEqual(refused.output.trim().split('\n').length, 1, refused.output);
  });

  it('compiles again after a source file changes, and drops what a removed one compiled to', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'src/errors.ts'), later, later);
    writeFileSync(join(dir, 'src/scratch.ts'), 'export const scratch = 1;\n');
    const touched = await runToEnd(bookly(dir, ['--help']));
    assert.equal(touched.code, 0, touched.output);
    assert.match(touched.output, compiling);
    assert.ok(existsSync(join(dir, 'dist/scratch.js')));
    rmSync(join(dir, 'src/scratch.ts'));
    const removed = await runToEnd(bookly(dir, ['--help']));
    assert.match(removed.output, compiling);
    assert.equal(existsSync(join(dir, 'dist/scratch.js')), false);
    assert.equal(existsSync(join(dir, 'dist/scratch.js.map')), false);
  });
});

describe('npm start in a production install (no tsc)', () => {
  let withoutTsc: string;
  before(() => {
    // The project's node_modules less typescript, as `npm install --omit=dev` leaves it.
    const project = realpathSync(join(root, 'node_modules'));
    withoutTsc = tempDir('no-tsc');
    for (const name of readdirSync(project)) {
      if (name !== 'typescript' && name !== '.bin') symlinkSync(join(project, name), join(withoutTsc, name));
    }
  });

  it('runs dist/ as built, and src/ through tsx, with a warning, when there is no dist/', async () => {
    const unbuiltDir = projectCopy(withoutTsc);
    const unbuilt = await runToEnd(bookly(unbuiltDir, ['--help']));
    assert.equal(unbuilt.code, 0, unbuilt.output);
    assert.match(unbuilt.output, /^No tsc to compile src\/ and no dist\/: running src\/ through tsx/m);
    assert.match(unbuilt.output, /^Usage: bookly COMMAND/m);
    const refused = await runToEnd(bookly(unbuiltDir, ['--bogus']));
    assert.equal(refused.code, 2, refused.output);
    // Built where tsc was (a deployment's `npm run build`), then installed without it: it runs as it is,
    // though a source file changed since.
    const dir = projectCopy();
    const build = await runToEnd(
      spawnOwned(process.execPath, ['scripts/build-when-stale.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    assert.equal(build.code, 0, build.output);
    rmSync(join(dir, 'node_modules'));
    symlinkSync(withoutTsc, join(dir, 'node_modules'));
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'src/errors.ts'), later, later);
    const built = await runToEnd(bookly(dir, ['--help']));
    assert.equal(built.code, 0, built.output);
    assert.doesNotMatch(built.output, /tsx|Compiling/);
  });
});
