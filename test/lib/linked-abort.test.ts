import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linkedAbort, whenAborted } from '../../src/lib/linked-abort.js';

describe('linkedAbort', () => {
  test('fires with the reason of whichever parent fires first', () => {
    const [a, b] = [new AbortController(), new AbortController()];
    const { signal } = linkedAbort([a.signal, b.signal]);
    b.abort(new Error('shutdown'));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as Error).message, 'shutdown');
  });

  test('once released, a parent that fires no longer reaches it', () => {
    const parent = new AbortController();
    const { signal, release } = linkedAbort([parent.signal]);
    release();
    parent.abort();
    assert.equal(signal.aborted, false);
  });

  test('a parent that has fired already gives a fired signal', () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    assert.equal(linkedAbort([parent.signal]).signal.aborted, true);
  });
});

test('whenAborted rejects with the reason, and after cancel leaves no listener', async () => {
  const controller = new AbortController();
  const { promise } = whenAborted(controller.signal);
  controller.abort(new Error('timed out'));
  await assert.rejects(promise, /timed out/);
  const other = new AbortController();
  let calls = 0;
  const watched = whenAborted(other.signal);
  watched.promise.catch(() => calls++);
  watched.cancel();
  other.abort();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls, 0);
});
