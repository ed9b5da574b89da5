import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { NotFoundError } from '../../../errors.js';
import { isLoopback } from '../../../lib/loopback.js';
import type { DevMailbox, StoredMail } from '../../../mail/dev-mailbox.js';
import { escapeHtml } from '../../../mail/templates/html.js';
import { toErrorBody } from '../../plugins/errors.js';
import { errors, invalidInput, Timestamp, Uuid } from '../../schemas/common.js';
import { messagePage, type NextStep, page, wantsHtml } from '../auth/pages.js';
import { sendHtml } from '../html.js';

const StoredMessage = Type.Object({
  id: Uuid,
  to: Type.String(),
  subject: Type.String(),
  html: Type.String(),
  text: Type.String(),
  /** The links in the message, ready to open. */
  links: Type.Array(Type.String()),
  created_at: Timestamp,
});

const exampleStoredMessage = {
  id: 'a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d',
  to: 'ada@example.com',
  subject: 'Verify your email',
  html: '<p>Welcome to Bookly. <a href="http://localhost:8000/api/v1/auth/verify/Zk3pLw2Qz7Rb">Verify your email</a></p>',
  text: 'Welcome to Bookly. Verify your email: http://localhost:8000/api/v1/auth/verify/Zk3pLw2Qz7Rb',
  links: ['http://localhost:8000/api/v1/auth/verify/Zk3pLw2Qz7Rb'],
  created_at: '2026-11-30T09:15:01.000Z',
};

const urlPattern = /https?:\/\/[^\s<>"')]+/g;

const backToMailbox: NextStep = { href: '/dev/mailbox', label: 'Back to the mailbox' };

/** A message a browser asked for that is not there: a page with the way back, not a JSON error. */
function noSuchMessagePage(): string {
  return messagePage(
    'No such message',
    'The dev mailbox has no message at this address. It keeps mail for a day; the link may be older than that, or mistyped.',
    backToMailbox,
  );
}

/**
 * The mail the app would have sent, for development without an SMTP server. It holds every
 * verification and reset link, so it answers only a client on this machine's loopback address.
 */
export const devMailboxRoutes: FastifyPluginAsyncTypebox<{ mailbox: DevMailbox }> = async (app, { mailbox }) => {
  const tags = ['development'];
  // A client that is not on this machine is told the mailbox does not exist (the hook below).
  const elsewhere = errors({ 404: ['not_found'] });

  app.addHook('onRequest', async (request) => {
    // The socket's own peer, never request.ip, which TRUST_PROXY may take from X-Forwarded-For. A
    // forwarding header means a proxy (nginx, a tunnel) relays for someone else, even from 127.0.0.1.
    const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
    if (!isLoopback(request.socket.remoteAddress) || forwarded) {
      throw new NotFoundError('not_found', 'The dev mailbox answers only on the machine Bookly runs on');
    }
  });

  app.get(
    '/mailbox.json',
    {
      schema: {
        summary: 'The dev mailbox, newest first (no MAIL_SERVER configured)',
        tags,
        response: { 200: Type.Array(StoredMessage, { examples: [[exampleStoredMessage]] }), ...elsewhere },
      },
    },
    async () => (await mailbox.list(200)).map(toJson),
  );

  app.get('/mailbox', { schema: { summary: 'The dev mailbox as a page', tags, response: { ...elsewhere } } }, async (_request, reply) => {
    const mails = await mailbox.list(200);
    const rows = mails
      .map(
        (mail) =>
          `<tr><td>${mail.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</td><td>${escapeHtml(mail.to)}</td>` +
          `<td><a href="/dev/mailbox/${mail.id}">${escapeHtml(mail.subject)}</a></td></tr>`,
      )
      .join('\n');
    const body = mails.length
      ? `<table cellpadding="6"><tr><th align="left">Sent (UTC)</th><th align="left">To</th><th align="left">Subject</th></tr>${rows}</table>`
      : '<p>No mail yet. Sign up at <a href="/api/v1/docs">the API docs</a> and the verification mail shows here.</p>';
    return sendHtml(reply, 200, page('Dev mailbox', `${body}<p><a href="/dev/mailbox.json">as JSON</a></p>`));
  });

  app.get(
    '/mailbox/:id',
    {
      schema: {
        summary: 'One message of the dev mailbox, as a page',
        tags,
        params: Type.Object({ id: Uuid }),
        response: { ...elsewhere, ...errors({ 404: ['not_found'] }, invalidInput) },
      },
      // An id that is not a UUID is no message either, to a person; a JSON client keeps its 422.
      errorHandler: (error, request, reply) => {
        if (!error.validation || !wantsHtml(request)) throw error;
        return sendHtml(reply, toErrorBody(error).status, noSuchMessagePage());
      },
    },
    async (request, reply) => {
      const mail = await mailbox.find(request.params.id);
      if (!mail) {
        if (wantsHtml(request)) return sendHtml(reply, 404, noSuchMessagePage());
        throw new NotFoundError('not_found', 'No such message in the dev mailbox');
      }
      const text = escapeHtml(mail.text).replace(urlPattern, (url) => `<a href="${url}">${url}</a>`);
      // The HTML part is shown in a sandbox: a bulk mail's HTML is whatever an admin wrote.
      const frame = `<iframe sandbox="allow-popups allow-top-navigation-by-user-activation" style="width:100%;height:24em;border:1px solid #ccc" srcdoc="${escapeHtml(
        mail.html.replace('<head>', '<head><base target="_top">'),
      )}"></iframe>`;
      const body = `<p><a href="/dev/mailbox">← mailbox</a></p><p><b>To:</b> ${escapeHtml(mail.to)}<br><b>Subject:</b> ${escapeHtml(mail.subject)}</p>${frame}<h2>Text part</h2><pre style="white-space:pre-wrap">${text}</pre>`;
      return sendHtml(reply, 200, page(mail.subject, body));
    },
  );
};

function toJson(mail: StoredMail): Type.Static<typeof StoredMessage> {
  return {
    id: mail.id,
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    links: mail.text.match(urlPattern) ?? [],
    created_at: mail.createdAt,
  };
}
