import { escapeHtml, layout } from './html.js';
import type { MailContent } from './mail-content.js';

/** Known before the mail is written: the ledger records it when the task is enqueued. */
export const resetPasswordSubject = 'Reset your password';

export function resetPassword(input: { firstName: string; link: string }): MailContent {
  const subject = resetPasswordSubject;
  const name = escapeHtml(input.firstName);
  const link = escapeHtml(input.link);
  return {
    subject,
    html: layout(
      subject,
      `<h1>Reset your password</h1>
<p>Hello ${name}, someone asked to reset the password of this account. If it was you, open the link below; it works once, within an hour.</p>
<p><a href="${link}">Choose a new password</a></p>
<p style="font-size:12px;color:#555">${link}</p>
<p>If it was not you, ignore this mail: the password stays as it is.</p>`,
    ),
    text: `Hello ${input.firstName},\n\nSomeone asked to reset the password of this account. If it was you, open this link (it works once, within an hour):\n\n${input.link}\n\nIf it was not you, ignore this mail: the password stays as it is.\n`,
  };
}
