import assert from 'node:assert/strict';
import { it } from 'node:test';
import { concurrencyLimit } from '../../src/lib/concurrency-limit.js';

/** A piece of work that ends when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

it('runs at most its limit at once, the others in the order they came', async () => {
  const run = concurrencyLimit(2);
  const gates = Array.from({ length: 5 }, gate);
  const started: number[] = [];
  const done = gates.map((g, i) =>
    run(async () => {
      started.push(i);
      await g.opened;
      return i;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1]);
  gates[1]?.open();
  await done[1];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2]);
  for (const g of gates) g.open();
  assert.deepEqual(await Promise.all(done), [0, 1, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
});

it('gives its place to the next when a piece of work fails', async () => {
  const run = concurrencyLimit(1);
  const failing = run(async () => {
    throw new Error('no');
  });
  const next = run(async () => 'ran');
  await assert.rejects(failing, /no/);
  assert.equal(await next, 'ran');
});

it('refuses a limit that is not a whole number from 1', () => {
  assert.throws(() => concurrencyLimit(0), RangeError);
  assert.throws(() => concurrencyLimit(1.5), RangeError);
});
