import { and, eq, isNull, sql } from 'drizzle-orm';
import Type from 'typebox';
import { mailings } from '../../db/schema/index.js';
import { transaction } from '../../db/transaction.js';
import { defineTask } from '../define.js';

/** Fans a mailing out into one task per recipient, so each address is retried on its own and workers share the sending. */
export const sendBulkMail = defineTask({
  name: 'mail.bulk',
  payload: Type.Object({ mailingId: Type.String({ format: 'uuid' }) }),
  lane: 'bulk',
  async run({ mailingId }, { db, tasks, mail, unsubscribes }) {
    return transaction(db, async (tx) => {
      // Marking the mailing in the same transaction makes a second run enqueue nothing.
      const [mailing] = await tx
        .update(mailings)
        .set({ fannedOutAt: sql`now()` })
        .where(and(eq(mailings.id, mailingId), isNull(mailings.fannedOutAt)))
        .returning({ addresses: mailings.addresses, subject: mailings.subject });
      if (!mailing) return { skipped: 'the mailing is gone or was fanned out already' };
      const payloads = mailing.addresses.map((address) => ({ mailingId, address }));
      const taskIds = await tasks.enqueueMany(tx, 'mail.bulk-message', payloads);
      await mail.record(
        tx,
        taskIds.map((taskId, i) => ({
          kind: 'bulk',
          recipient: mailing.addresses[i] as string,
          subject: mailing.subject,
          taskId,
          mailingId,
        })),
      );
      await unsubscribes.record(tx, mailing.addresses);
      return { recipients: payloads.length };
    });
  },
});
