import Type from 'typebox';
import { emailIs } from '../../db/email-is.js';
import { users } from '../../db/schema/index.js';
import { transaction } from '../../db/transaction.js';
import { claimRecipientSend } from '../../mail/recipient-limit.js';
import { resetPasswordSubject } from '../../mail/templates/reset-password.js';
import { defineTask } from '../define.js';

/**
 * A password-reset request, decided here rather than in the request so that
 * the request does the same work for every email (the answer and its timing
 * must not tell which emails have an account). It carries the email, not an
 * id: an unknown email has no id, and looking the id up is the work the
 * request must not do. An email is not a secret.
 *
 * Sends (through `mail.reset-password`) only to an existing account, within
 * the per-recipient limit. The claim and the mail task commit together, so a
 * second run finds the claim taken and sends nothing more within the minute.
 */
export const requestPasswordReset = defineTask({
  name: 'mail.reset-request',
  payload: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }),
  async run({ email }, { db, tasks, mail }) {
    return transaction(db, async (tx) => {
      const [user] = await tx.select({ uid: users.uid, email: users.email }).from(users).where(emailIs(email)).limit(1);
      if (!user) return { skipped: 'no account has this email' };
      if (!(await claimRecipientSend(tx, email, 'reset'))) return { skipped: 'the per-recipient limit' };
      const [taskId] = await tasks.enqueueMany(tx, 'mail.reset-password', [{ userUid: user.uid }]);
      await mail.record(tx, [{ kind: 'reset', recipient: user.email, subject: resetPasswordSubject, taskId: taskId as string }]);
      return { enqueued: taskId };
    });
  },
});
