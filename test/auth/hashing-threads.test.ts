import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HashingThreads } from '../../src/auth/hashing-threads.js';

const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The nice value of each thread of this process, from Linux's /proc (field 19 of a task's stat). */
function niceOfThreads(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const id of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nice.set(Number(id), Number(fields[16]));
  }
  return nice;
}

describe('password hashing threads', () => {
  it('hash a password and tell the right one from a wrong one', async () => {
    const threads = new HashingThreads(1);
    const hash = await threads.hash('correct horse battery staple', options);
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await threads.verify(hash, 'correct horse battery staple'), true);
    assert.equal(await threads.verify(hash, 'Correct horse battery staple'), false);
  });

  it('run at the lowest priority, so that the event loop goes first on a busy machine', async () => {
    const threads = new HashingThreads(1);
    const before = niceOfThreads();
    const hashing = threads.hash('a password', options);
    // The thread exists from the first job on.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = niceOfThreads();
    await hashing;
    const added = [...during].filter(([id]) => !before.has(id));
    assert.ok(
      added.some(([, nice]) => nice === 19),
      `a new thread at nice 19: ${JSON.stringify(added)}`,
    );
    assert.equal(during.get(process.pid), 0, 'the main thread keeps its priority');
  });

  it('end a thread that has been idle, and start one again for the next job', async () => {
    const threads = new HashingThreads(1, 300);
    // Other tests' pools may still have threads of their own: this pool's is the one that is new.
    const lowered = () => new Set([...niceOfThreads()].filter(([, nice]) => nice === 19).map(([id]) => id));
    const before = lowered();
    const hash = await threads.hash('a password', options);
    const ours = [...lowered()].filter((id) => !before.has(id));
    assert.equal(ours.length, 1, 'its thread, while there is work');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(!lowered().has(ours[0] as number), 'gone once it has been idle');
    assert.equal(await threads.verify(hash, 'a password'), true);
  });

  it('queue what is more than its threads, and answer each job its own', async () => {
    const threads = new HashingThreads(2);
    const passwords = Array.from({ length: 6 }, (_, i) => `password number ${i}`);
    const hashes = await Promise.all(passwords.map((password) => threads.hash(password, options)));
    const checks = await Promise.all(hashes.map((hash, i) => threads.verify(hash, passwords[(i + 1) % 6] as string)));
    assert.deepEqual(checks, [false, false, false, false, false, false]);
    assert.deepEqual(await Promise.all(hashes.map((hash, i) => threads.verify(hash, passwords[i] as string))), [
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});
