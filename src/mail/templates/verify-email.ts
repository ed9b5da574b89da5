import { escapeHtml, layout } from './html.js';
import type { MailContent } from './mail-content.js';

/** Known before the mail is written: the ledger records it when the task is enqueued. */
export const verifyEmailSubject = 'Verify your email';

export function verifyEmail(input: { firstName: string; link: string }): MailContent {
  const subject = verifyEmailSubject;
  const name = escapeHtml(input.firstName);
  const link = escapeHtml(input.link);
  return {
    subject,
    html: layout(
      subject,
      `<h1>Verify your email</h1>
<p>Hello ${name}, please confirm this address by opening the link below. It works once, within 24 hours.</p>
<p><a href="${link}">Verify my email</a></p>
<p style="font-size:12px;color:#555">${link}</p>`,
    ),
    text: `Hello ${input.firstName},\n\nPlease confirm this address by opening this link (it works once, within 24 hours):\n\n${input.link}\n`,
  };
}
