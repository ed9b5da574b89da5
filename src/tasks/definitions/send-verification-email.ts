import Type from 'typebox';
import { verifyEmail } from '../../mail/templates/verify-email.js';
import { defineTask } from '../define.js';

export const sendVerificationEmail = defineTask({
  name: 'mail.verify-email',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, context) {
    const { users, links, db, mail, appUrl, taskId } = context;
    const user = await users.findById(userUid);
    const unneeded = !user ? 'the account no longer exists' : user.isVerified ? 'the account was verified already' : undefined;
    if (!user || unneeded) {
      await mail.drop(taskId, unneeded as string);
      return { skipped: unneeded };
    }
    const delivered = await mail.deliver({ ...context, lane: 'default' }, async () => {
      // Derived from the task: a task that runs again (its first send unrecorded) sends the same link.
      const token = await links.issue(db, user.uid, 'verify_email', taskId);
      return { to: user.email, ...verifyEmail({ firstName: user.firstName, link: appUrl(`/api/v1/auth/verify/${token}`) }) };
    });
    return delivered.sent ? { sent_to: user.email } : { skipped: delivered.reason };
  },
});

/** One verification mail waits for an account at a time: a resend while one is queued adds none. */
export const verificationMailKey = (userUid: string): string => `verify-email:${userUid}`;
