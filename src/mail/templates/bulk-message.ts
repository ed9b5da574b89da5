import { escapeHtml, layout } from './html.js';
import type { MailContent } from './mail-content.js';

/**
 * An admin's message. Its HTML is the admin's own, sent as given; the text
 * part is derived from it. Both end with the recipient's unsubscribe link,
 * which the `List-Unsubscribe` header also carries (`unsubscribeHeaders`).
 */
export function bulkMessage(input: { subject: string; html: string; unsubscribeUrl: string }): MailContent {
  const link = escapeHtml(input.unsubscribeUrl);
  const footer = `<p style="color:#666;font-size:13px;margin-top:2em">You get this mail because you are on a Bookly mailing list. <a href="${link}">Unsubscribe</a>: one click, and no more of these mails come.</p>`;
  return {
    subject: input.subject,
    html: layout(input.subject, `${input.html}\n${footer}`),
    text: `${htmlToText(input.html)}\n\n--\nTo get no more of these mails, open ${input.unsubscribeUrl}`,
  };
}

/** RFC 8058 one-click: a mail client that shows "Unsubscribe" posts `List-Unsubscribe=One-Click` to the link. */
export function unsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<br\s*\/?>|<\/(p|div|h\d|li)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
