import { and, count, eq, isNull } from 'drizzle-orm';
import { loadConfig } from '../../src/config/load-config.js';
import { tasks } from '../../src/db/schema/index.js';
import { transaction } from '../../src/db/transaction.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/observability/logger.js';
import { LanePauses } from '../../src/tasks/lane-pauses.js';
import { waitFor } from './wait.js';

/**
 * Records `total` no-op tasks the way the API records any task (rows in the
 * database, handed to BullMQ after each commit) and resolves once Redis holds
 * them all. Runs in the benchmark's process, as a second API would.
 */
export async function enqueueNoops(env: Record<string, string>, total: number, onProgress: (done: number) => void): Promise<void> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  const deps = await createDeps(config, { log: createLogger(config) });
  const running = await deps.startTasks('api');
  try {
    await insertNoops(deps, total, onProgress);
    await waitFor(
      'the relay to hand the tasks to Redis',
      async () => {
        const [row] = await deps.db
          .select({ waiting: count() })
          .from(tasks)
          .where(and(eq(tasks.name, 'system.noop'), isNull(tasks.relayedAt)));
        return row?.waiting === 0;
      },
      300_000,
    );
  } finally {
    await running.stop(1000);
    await deps.close();
  }
}

/**
 * Records `total` no-op tasks for an in-process stack, whose API claims
 * tasks from the table itself, with their lane paused while they are
 * written: the API then meets a full table from its first claim, as a
 * worker meets a full queue in `enqueueNoops`, and the inserts are not
 * metered. Runs in the benchmark's process, which starts no runner of its
 * own; `resume` lets the API's runner have them (at its next poll).
 */
export async function queuePausedNoops(
  env: Record<string, string>,
  total: number,
  onProgress: (done: number) => void,
): Promise<{ resume(): Promise<void> }> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  const deps = await createDeps(config, { log: createLogger(config) });
  const pauses = new LanePauses(deps.db);
  const { lane } = deps.registry.require('system.noop');
  try {
    await pauses.pause(lane);
    await insertNoops(deps, total, onProgress);
  } catch (error) {
    await deps.close();
    throw error;
  }
  return {
    async resume() {
      try {
        await pauses.resume(lane);
      } finally {
        await deps.close();
      }
    },
  };
}

/** A thousand a transaction, as a mailing's fan-out writes them. */
async function insertNoops(deps: Deps, total: number, onProgress: (done: number) => void): Promise<void> {
  for (let done = 0; done < total; ) {
    const batch = Math.min(1000, total - done);
    await transaction(deps.db, (tx) =>
      deps.tasks.enqueueMany(
        tx,
        'system.noop',
        Array.from({ length: batch }, () => ({})),
      ),
    );
    done += batch;
    onProgress(done);
  }
}
