import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Coalescer } from '../../src/lib/coalescer.js';

describe('Coalescer', () => {
  test('runs a lone call at once, and the calls made meanwhile together in one batch after it', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, number>(async (inputs) => {
      batches.push(inputs);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return inputs.map((n) => n * 2);
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => coalescer.call(n)));
    assert.deepEqual(results, [2, 4, 6, 8]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  test('splits at the batch limit', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, null>(async (inputs) => {
      batches.push(inputs);
      return inputs.map(() => null);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => coalescer.call(n)));
    assert.deepEqual(batches, [[1], [2, 3], [4, 5], [6]]);
  });

  test('a failed batch fails each of its calls, and the next batch still runs', async () => {
    let first = true;
    const coalescer = new Coalescer<number, number>(async (inputs) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (first) {
        first = false;
        throw new Error('database down');
      }
      return inputs;
    });
    const results = await Promise.allSettled([1, 2].map((n) => coalescer.call(n)));
    assert.equal(results[0]?.status, 'rejected');
    assert.deepEqual(results[1], { status: 'fulfilled', value: 2 });
  });
});
