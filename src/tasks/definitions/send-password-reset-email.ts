import Type from 'typebox';
import { resetPassword } from '../../mail/templates/reset-password.js';
import { defineTask } from '../define.js';

export const sendPasswordResetEmail = defineTask({
  name: 'mail.reset-password',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, context) {
    const { users, links, db, mail, appUrl, taskId } = context;
    const user = await users.findById(userUid);
    if (!user) {
      await mail.drop(taskId, 'the account no longer exists');
      return { skipped: 'the account no longer exists' };
    }
    const delivered = await mail.deliver({ ...context, lane: 'default' }, async () => {
      const token = await links.issue(db, user.uid, 'reset_password', taskId);
      return {
        to: user.email,
        ...resetPassword({ firstName: user.firstName, link: appUrl(`/api/v1/auth/password-reset-confirm/${token}`) }),
      };
    });
    return delivered.sent ? { sent_to: user.email } : { skipped: delivered.reason };
  },
});
