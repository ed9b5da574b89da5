import Type from 'typebox';
import { emailIs } from '../../db/email-is.js';
import { users } from '../../db/schema/index.js';
import { transaction } from '../../db/transaction.js';
import { claimRecipientSend } from '../../mail/recipient-limit.js';
import { verifyEmailSubject } from '../../mail/templates/verify-email.js';
import { defineTask } from '../define.js';
import { verificationMailKey } from './send-verification-email.js';

/**
 * A resend-verification request, decided here rather than in the request so
 * that the request does the same work for every email (the answer and its
 * timing must not tell which emails have an account). It carries the email,
 * not an id: an unknown email has no id, and looking the id up is the work
 * the request must not do. An email is not a secret.
 *
 * Sends (through `mail.verify-email`) only to an unverified account, within
 * the per-recipient limit. The claim and the mail task commit together, so a
 * second run finds the claim taken and sends nothing more within the minute.
 */
export const requestVerificationEmail = defineTask({
  name: 'mail.verification-request',
  payload: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }),
  async run({ email }, { db, tasks, mail }) {
    return transaction(db, async (tx) => {
      const [user] = await tx
        .select({ uid: users.uid, email: users.email, isVerified: users.isVerified })
        .from(users)
        .where(emailIs(email))
        .limit(1);
      if (!user) return { skipped: 'no account has this email' };
      if (user.isVerified) return { skipped: 'the account is verified already' };
      if (!(await claimRecipientSend(tx, email, 'verify'))) return { skipped: 'the per-recipient limit' };
      // Keyed: while one verification mail waits to go out, a resend adds no second one.
      const taskId = await tasks.enqueueKeyed(tx, 'mail.verify-email', { userUid: user.uid }, verificationMailKey(user.uid));
      // The live task that the key found has its entry already, and keeps it.
      await mail.record(tx, [{ kind: 'verify', recipient: user.email, subject: verifyEmailSubject, taskId }]);
      return { enqueued: taskId };
    });
  },
});
