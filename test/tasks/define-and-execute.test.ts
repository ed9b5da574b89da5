import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import Type from 'typebox';
import type { TaskServices } from '../../src/tasks/context.js';
import { defineTask, PermanentTaskError } from '../../src/tasks/define.js';
import { executeTask, retryDelay } from '../../src/tasks/execute-task.js';
import { TaskRegistry, taskDefinitions } from '../../src/tasks/registry.js';

const log = pino({ level: 'silent' });
// The tasks below touch no service.
const services = {} as TaskServices;

const echo = defineTask({
  name: 'test.echo',
  payload: Type.Object({ value: Type.Integer() }),
  attempts: 3,
  timeoutMs: 200,
  async run({ value }, { signal }) {
    if (value < 0) throw new PermanentTaskError('negative');
    if (value === 0) throw new Error('zero, try again');
    if (value === 999) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    return { doubled: value * 2 };
  },
});

const registry = new TaskRegistry([echo]);
const attempt = (payload: unknown, attemptsMade = 1) => ({ id: 'task-1', name: 'test.echo', payload, attemptsMade, maxAttempts: 3 });
const options = { registry, services, log };

describe('task definitions and one attempt', () => {
  it("knows the application's tasks, each once", () => {
    const names = taskDefinitions.map((definition) => definition.name);
    assert.deepEqual(names.sort(), [
      'mail.bulk',
      'mail.bulk-message',
      'mail.reset-password',
      'mail.reset-request',
      'mail.verification-request',
      'mail.verify-email',
      'maintenance.prune',
      'system.noop',
    ]);
    assert.doesNotThrow(() => new TaskRegistry());
  });

  it('refuses two definitions with one name at start-up', () => {
    assert.throws(() => new TaskRegistry([echo, echo]), /Two task definitions are named test.echo/);
  });

  it('completes with the result of run', async () => {
    assert.deepEqual(await executeTask(attempt({ value: 21 }), options), { kind: 'completed', result: { doubled: 42 } });
  });

  it('schedules a retry after a failure while attempts remain, and fails after the last', async () => {
    const retry = await executeTask(attempt({ value: 0 }, 1), options);
    assert.equal(retry.kind, 'retry');
    const last = await executeTask(attempt({ value: 0 }, 3), options);
    assert.deepEqual(last, { kind: 'failed', error: 'Error: zero, try again' });
  });

  it('fails at once on a PermanentTaskError', async () => {
    assert.deepEqual(await executeTask(attempt({ value: -1 }), options), { kind: 'failed', error: 'PermanentTaskError: negative' });
  });

  it('fails a payload that does not match the schema, and a name with no definition', async () => {
    assert.equal((await executeTask(attempt({ value: 'x' }), options)).kind, 'failed');
    assert.match((await executeTask({ ...attempt({ value: 1 }), name: 'test.unknown' }, options)).kind, /failed/);
  });

  it('fails an attempt beyond the last: the one before stopped with its process', async () => {
    const outcome = await executeTask(attempt({ value: 1 }, 4), options);
    assert.equal(outcome.kind, 'failed');
  });

  it('gives up an attempt that outlives its timeout, aborting its signal', async () => {
    const outcome = await executeTask(attempt({ value: 999 }), options);
    assert.equal(outcome.kind, 'retry');
    assert.match(outcome.kind === 'retry' ? outcome.error : '', /Timed out after 200 ms/);
  });

  it('backs off exponentially, with jitter, up to the cap', () => {
    const definition = { ...echo, backoff: { delayMs: 1000, maxDelayMs: 5000 } };
    for (let i = 0; i < 50; i++) {
      const first = retryDelay(definition, 1);
      const third = retryDelay(definition, 3);
      const tenth = retryDelay(definition, 10);
      assert.ok(first >= 500 && first <= 1000, `first ${first}`);
      assert.ok(third >= 2000 && third <= 4000, `third ${third}`);
      assert.ok(tenth >= 2500 && tenth <= 5000, `tenth ${tenth}`);
    }
    assert.ok(retryDelay(definition, 1, 20) <= 20, 'TASK_RETRY_BASE_MS replaces the first delay');
  });
});

describe("a task's stored error", () => {
  it('keeps the cause of a failed statement, never its SQL or parameters', async () => {
    const failing = defineTask({
      name: 'test.failing-query',
      payload: Type.Object({}),
      attempts: 1,
      async run() {
        throw Object.assign(new Error('Failed query: select * from users where email = $1\nparams: victim@example.com'), {
          name: 'DrizzleQueryError',
          cause: new Error('connect ECONNREFUSED 127.0.0.1:5432'),
        });
      },
    });
    const outcome = await executeTask(
      { id: 'task-2', name: 'test.failing-query', payload: {}, attemptsMade: 1, maxAttempts: 1 },
      { registry: new TaskRegistry([failing]), services, log },
    );
    assert.deepEqual(outcome, { kind: 'failed', error: 'DrizzleQueryError: connect ECONNREFUSED 127.0.0.1:5432' });
  });
});
