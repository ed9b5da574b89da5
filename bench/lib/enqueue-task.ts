import { loadConfig } from '../../src/config/load-config.js';
import { transaction } from '../../src/db/transaction.js';
import { createDeps } from '../../src/deps.js';
import { createLogger } from '../../src/observability/logger.js';
import type { TaskName, TaskPayload } from '../../src/tasks/registry.js';
import type { Mode } from './stack.js';

/**
 * Records one task the way the API records any (a row, handed to BullMQ
 * after the commit in Redis mode) and returns its id. Runs in the benchmark's
 * process, as a second API would; it runs no task itself, so the stack's own
 * runner (its worker, or the in-process API) is the one that runs it.
 */
export async function enqueueTask<N extends TaskName>(
  env: Record<string, string>,
  mode: Mode,
  name: N,
  payload: TaskPayload<N>,
): Promise<string> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  const deps = await createDeps(config, { log: createLogger(config) });
  // In Redis mode the API role starts only the relay; in the other modes it would start a runner in this process.
  const running = mode === 'bullmq' ? await deps.startTasks('api') : undefined;
  try {
    const id = await transaction(deps.db, (tx) => deps.tasks.enqueue(tx, name, payload));
    // The relay hands the task over right after the commit; stopping waits for what it has in flight.
    await running?.stop(5000);
    return id;
  } finally {
    await deps.close();
  }
}
