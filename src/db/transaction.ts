import type { Db, Executor, Tx } from './client.js';

type Hook = () => void | Promise<void>;
const hooksByTransaction = new WeakMap<object, Hook[]>();

/**
 * Runs `work` in a transaction and, once it has committed, the hooks that
 * `afterCommit` registered in it. A rolled-back transaction runs none.
 */
export async function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const hooks: Hook[] = [];
  const result = await db.transaction(async (tx) => {
    hooksByTransaction.set(tx, hooks);
    return work(tx);
  });
  for (const hook of hooks) await hook();
  return result;
}

/**
 * Runs `hook` after the transaction `executor` belongs to commits, or at once
 * when `executor` is the database itself (its statement has committed already).
 */
export async function afterCommit(executor: Executor, hook: Hook): Promise<void> {
  const hooks = hooksByTransaction.get(executor);
  if (hooks) hooks.push(hook);
  else await hook();
}
