import { layout } from './html.js';
import type { MailContent } from './mail-content.js';

/** An admin's message. Its HTML is the admin's own, sent as given; the text part is derived from it. */
export function bulkMessage(input: { subject: string; html: string }): MailContent {
  return { subject: input.subject, html: layout(input.subject, input.html), text: htmlToText(input.html) };
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
