import { loadConfig } from '../../src/config/load-config.js';
import { transaction } from '../../src/db/transaction.js';
import { createDeps } from '../../src/deps.js';
import { createLogger } from '../../src/observability/logger.js';
import { LanePauses } from '../../src/tasks/lane-pauses.js';

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
