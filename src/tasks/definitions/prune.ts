import Type from 'typebox';
import { defineTask } from '../define.js';
import { type PruneCounts, prune as pruneExpired } from '../retention.js';

/** What a prune removed: the database's rows, and in Redis mode BullMQ's finished jobs (0 otherwise). */
export type PruneResult = PruneCounts & { redisJobs: number };

/**
 * Deletes what is past its retention (`config.tasks.retention`): finished
 * tasks, expired link tokens and revocations, finished mailings' address
 * lists, old dev mail, spent recipient limits, lost workers, and in Redis
 * mode BullMQ's finished jobs as old as those tasks. Run hourly by
 * the scheduler; safe to run twice or at once with itself, as a run deletes
 * only what is past retention when it looks.
 */
export const prune = defineTask({
  name: 'maintenance.prune',
  payload: Type.Object({}),
  attempts: 3,
  async run(_payload, { db, retention, signal, log, pruneBrokerJobs }) {
    const counts: PruneResult = { ...(await pruneExpired(db, retention, signal)), redisJobs: (await pruneBrokerJobs?.(signal)) ?? 0 };
    log.info(counts, 'pruned what is past retention');
    return counts;
  },
});
