import Type from 'typebox';
import { appUrl } from '../../mail/templates/html.js';
import { resetPassword } from '../../mail/templates/reset-password.js';
import { defineTask } from '../define.js';
import { deliver } from './deliver.js';

export const sendPasswordResetEmail = defineTask({
  name: 'mail.reset-password',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, { deps, taskId, signal }) {
    const user = await deps.accounts.findById(userUid);
    if (!user) return { skipped: 'the account no longer exists' };
    const token = await deps.links.issue(deps.db, user.uid, 'reset_password', taskId);
    const link = appUrl(deps.config.domain, `/api/v1/auth/password-reset-confirm/${token}`);
    await deliver(deps, { to: user.email, ...resetPassword({ firstName: user.firstName, link }) }, 'default', signal);
    return { sent_to: user.email };
  },
});
