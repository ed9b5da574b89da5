import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { adminQuery } from '../support/databases.js';
import { isAlive, ownerVariable } from '../support/owner.js';
import { redisUrl } from '../support/redis.js';
import { runToEnd } from '../support/server-process.js';

const fixture = fileURLToPath(new URL('./fixtures/leaves-things.fixture.ts', import.meta.url));
const sweep = fileURLToPath(new URL('../support/sweep-leftovers.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

interface Made {
  owner: number;
  dir: string;
  databaseName: string;
  prefix: string;
  redisPid: number;
  pids: number[];
}

/** Runs the fixture as `npm test` runs a test file (test/run.sh: the same runner flags); what it made, and how it ended. */
function runFixture(end: 'fail' | 'timeout' | 'sigkill') {
  // Without NODE_TEST_CONTEXT, which would make it report to this runner instead of running as a run of its own.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', tsx, '--test', '--test-force-exit', fixture], {
    env: { ...env, FIXTURE_END: end },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const made = new Promise<Made>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`the fixture ended before it made anything:\n${output}`)));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /MADE (\{.*\})/.exec(output)?.[1];
      if (line) resolve(JSON.parse(line) as Made);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  return { made, ended: runToEnd(child).then((result) => ({ ...result, output: output + result.output })) };
}

/** What of `made` is still there: each kind of thing, by its own look-up. */
async function remaining(made: Made) {
  const stamped = new RegExp(`(?:^|\\0)${ownerVariable}=${made.owner}(?:\\0|$)`);
  const processes = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return stamped.test(readFileSync(`/proc/${entry}/environ`, 'latin1'));
      } catch {
        return false;
      }
    });
  const tempDirs = readdirSync(tmpdir()).filter((name) => name.includes(`-p${made.owner}-`));
  const databases = await adminQuery(`select datname from pg_database where datname like 'bookly\\_test\\_p${made.owner}\\_%'`);
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`bookly-test-p${made.owner}-*`);
  redis.disconnect();
  return {
    processes: processes.length,
    livePids: [...made.pids, made.redisPid].filter((pid) => isAlive(pid)).length,
    tempDirs: tempDirs.length,
    databases: databases.length,
    redisKeys: keys.length,
  };
}

const nothing = { processes: 0, livePids: 0, tempDirs: 0, databases: 0, redisKeys: 0 };

/** What is left once the processes killed have had a moment to end (a SIGKILL is not instant, and their parent must collect them). */
async function settled(made: Made) {
  let left = await remaining(made);
  for (let i = 0; i < 50 && (left.processes > 0 || left.livePids > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await remaining(made);
  }
  return left;
}

describe('a test file leaves nothing behind', { timeout: 180_000 }, () => {
  it('when a test fails before stopping what it started', async () => {
    const { made, ended } = runFixture('fail');
    const what = await made;
    const { code, output } = await ended;
    assert.notEqual(code, 0, output);
    assert.match(output, /failing on purpose/);
    assert.deepEqual(await settled(what), nothing);
  });

  it('when a test times out with its processes running (and the file still ends)', async () => {
    const { made, ended } = runFixture('timeout');
    const what = await made;
    const { code, output } = await ended;
    assert.notEqual(code, 0, output);
    assert.match(output, /timed out after 3000ms/);
    assert.deepEqual(await settled(what), nothing);
  });

  it('when the test process is SIGKILLed: the next run sweeps what it left', async () => {
    const { made, ended } = runFixture('sigkill');
    const what = await made;
    process.kill(what.owner, 'SIGKILL');
    await ended;
    // Nothing could clean up after a SIGKILL: everything is still there, and the owner is gone.
    assert.deepEqual(await remaining(what), { processes: 2, livePids: 3, tempDirs: 2, databases: 1, redisKeys: 1 });
    assert.ok(existsSync(what.dir));
    const { code, output } = await runToEnd(spawn(process.execPath, ['--import', tsx, sweep], { stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(code, 0, output);
    assert.match(output, /Removed what earlier test runs left behind/);
    assert.deepEqual(await settled(what), nothing);
  });
});
