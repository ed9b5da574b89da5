import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { afterCommit, transaction } from '../../src/db/transaction.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

describe('after-commit hooks', () => {
  let db: TestDatabase;
  before(async () => {
    db = await openTestDatabase('postgres');
  });
  after(() => db.close());

  it('run after the commit, and not at all after a rollback', async () => {
    const events: string[] = [];
    await transaction(db.database.db, async (tx) => {
      await afterCommit(tx, () => {
        events.push('hook');
      });
      events.push('work done');
    });
    await assert.rejects(
      transaction(db.database.db, async (tx) => {
        await afterCommit(tx, () => {
          events.push('hook of the rolled-back one');
        });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(events, ['work done', 'hook']);
  });

  it('never turn committed work into a failure', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const result = await transaction(db.database.db, async (tx) => {
        await afterCommit(tx, async () => {
          throw new Error('the dispatcher broke');
        });
        await tx.execute(sql`select 1`);
        return 42;
      });
      assert.equal(result, 42);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(
        warnings.some((message) => message.includes('the dispatcher broke')),
        'reported, not thrown',
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('are refused in a transaction not opened by transaction(), where they would run before the commit', async () => {
    let ran = false;
    await assert.rejects(
      db.database.db.transaction(async (tx) => {
        await afterCommit(tx, () => {
          ran = true;
        });
      }),
      /not opened by transaction\(\)/,
    );
    assert.equal(ran, false);
  });

  it('run at once for a statement outside any transaction (it has committed)', async () => {
    let ran = false;
    await afterCommit(db.database.db, () => {
      ran = true;
    });
    assert.equal(ran, true);
  });
});
