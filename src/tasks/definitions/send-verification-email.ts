import Type from 'typebox';
import { appUrl } from '../../mail/templates/html.js';
import { verifyEmail } from '../../mail/templates/verify-email.js';
import { defineTask } from '../define.js';
import { deliver } from './deliver.js';

export const sendVerificationEmail = defineTask({
  name: 'mail.verify-email',
  payload: Type.Object({ userUid: Type.String({ format: 'uuid' }) }),
  attempts: 10,
  async run({ userUid }, { deps, taskId, signal }) {
    const user = await deps.accounts.findById(userUid);
    if (!user) return { skipped: 'the account no longer exists' };
    if (user.isVerified) return { skipped: 'the account is verified already' };
    const token = await deps.links.issue(deps.db, user.uid, 'verify_email', taskId);
    const link = appUrl(deps.config.domain, `/api/v1/auth/verify/${token}`);
    await deliver(deps, { to: user.email, ...verifyEmail({ firstName: user.firstName, link }) }, 'default', signal);
    return { sent_to: user.email };
  },
});
