import Type from 'typebox';
import { resetPassword } from '../../mail/templates/reset-password.js';
import { defineTask } from '../define.js';

export const sendPasswordResetEmail = defineTask({
  name: 'mail.reset-password',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, { users, links, db, mail, appUrl, taskId, signal }) {
    const user = await users.findById(userUid);
    if (!user) return { skipped: 'the account no longer exists' };
    const token = await links.issue(db, user.uid, 'reset_password', taskId);
    const link = appUrl(`/api/v1/auth/password-reset-confirm/${token}`);
    await mail.send({ to: user.email, ...resetPassword({ firstName: user.firstName, link }) }, 'default', signal);
    return { sent_to: user.email };
  },
});
