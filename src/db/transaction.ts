import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Db, Executor, Tx } from './client.js';

type Hook = () => void | Promise<void>;
const hooksByTransaction = new WeakMap<object, Hook[]>();

/**
 * Runs `work` in a transaction and, once it has committed, the hooks that
 * `afterCommit` registered in it. A rolled-back transaction runs none. The
 * work has committed by the time a hook runs, so a hook that fails cannot
 * make it fail: its error is reported as a process warning and the result
 * stands (hooks handle their own errors; this is the backstop).
 */
export async function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const hooks: Hook[] = [];
  const result = await db.transaction(async (tx) => {
    hooksByTransaction.set(tx, hooks);
    return work(tx);
  });
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      process.emitWarning(`An after-commit hook failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
  return result;
}

/**
 * Runs `hook` after the transaction `executor` belongs to commits, or at once
 * when `executor` is the database itself (its statement has committed
 * already). A transaction not opened by `transaction()` has nowhere to keep
 * the hook, and running it at once would run it before the commit: refused.
 */
export async function afterCommit(executor: Executor, hook: Hook): Promise<void> {
  const hooks = hooksByTransaction.get(executor);
  if (hooks) hooks.push(hook);
  else if (executor instanceof PgTransaction) throw new Error('afterCommit() in a transaction not opened by transaction()');
  else await hook();
}
