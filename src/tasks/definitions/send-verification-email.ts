import Type from 'typebox';
import { verifyEmail } from '../../mail/templates/verify-email.js';
import { defineTask } from '../define.js';

export const sendVerificationEmail = defineTask({
  name: 'mail.verify-email',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, { users, links, db, mail, appUrl, taskId, signal }) {
    const user = await users.findById(userUid);
    if (!user) return { skipped: 'the account no longer exists' };
    if (user.isVerified) return { skipped: 'the account is verified already' };
    const token = await links.issue(db, user.uid, 'verify_email', taskId);
    const link = appUrl(`/api/v1/auth/verify/${token}`);
    await mail.send({ to: user.email, ...verifyEmail({ firstName: user.firstName, link }) }, 'default', signal);
    return { sent_to: user.email };
  },
});

/** One verification mail waits for an account at a time: a resend while one is queued adds none. */
export const verificationMailKey = (userUid: string): string => `verify-email:${userUid}`;
