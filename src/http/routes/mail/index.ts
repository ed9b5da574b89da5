import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { AppError, ValidationError } from '../../../errors.js';
import { escapeHtml } from '../../../mail/templates/html.js';
import { messagePage, page, wantsHtml } from '../auth/pages.js';
import { sendHtml } from '../html.js';
import * as schemas from './schemas.js';

const oneClick = 'List-Unsubscribe=One-Click';
const unsubscribed =
  'You are unsubscribed: no more mailings will come to this address. Mail about your account (a sign-up, a password reset) still will.';

/** The mail ledger and the suppression list for admins; the unsubscribe link for anyone who holds one. */
export const mailRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { mailAdmin } = deps;
  const admin = app.authenticate({ admin: true });

  app.get('/messages', { schema: schemas.messages, preHandler: admin }, async (request, reply) => {
    const { recipient, kind, state, mailing_id, limit, offset } = request.query;
    const page = await mailAdmin.messages({ recipient, kind, state, mailingId: mailing_id }, { limit, offset });
    return reply.header('x-total-count', page.total).send(page.rows.map(schemas.toMessage));
  });

  app.get('/mailings/:mailing_id', { schema: schemas.mailing, preHandler: admin }, async (request) =>
    schemas.toMailing(await mailAdmin.mailing(request.params.mailing_id)),
  );

  app.get('/suppressions', { schema: schemas.suppressions, preHandler: admin }, async () =>
    (await mailAdmin.suppressions()).map(schemas.toSuppression),
  );

  app.delete('/suppressions/:email', { schema: schemas.lift, preHandler: admin }, async (request, reply) => {
    await mailAdmin.lift(request.params.email);
    return reply.status(204).send(null);
  });

  await app.register(async (scope) => {
    const links = scope.withTypeProvider<TypeBoxTypeProvider>();
    // RFC 8058: a mail provider posts `List-Unsubscribe=One-Click` urlencoded, with no cookie and no login.
    links.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      const form = new URLSearchParams(body as string);
      if (body !== '' && form.get('List-Unsubscribe') !== 'One-Click') {
        done(new ValidationError([{ field: 'body', message: `must be ${oneClick}` }], 'This is not a one-click unsubscribe'), undefined);
      } else done(null, undefined);
    });

    links.get('/unsubscribe/:token', { schema: schemas.unsubscribePage }, async (request, reply) => {
      const known = await mailAdmin.isUnsubscribeLink(request.params.token);
      if (!wantsHtml(request)) {
        if (!known)
          throw new AppError(400, 'invalid_link', 'This unsubscribe link is not one that Bookly sent', 'Use the link in the mail');
        return { message: `POST ${oneClick} (urlencoded) or {} to this URL to unsubscribe` };
      }
      if (!known) {
        return sendHtml(
          reply,
          400,
          messagePage('Link not valid', 'This unsubscribe link is not one that Bookly sent. Use the link at the end of the mail.'),
        );
      }
      // One button, and nothing changes until it is pressed: mail scanners open links, they do not press buttons.
      const body = `<p>Press the button and no more mailings will come to this address. Mail about your account (a sign-up, a password reset) still will.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`;
      return sendHtml(reply, 200, page('Unsubscribe from Bookly mailings', body));
    });

    links.post('/unsubscribe/:token', { schema: schemas.unsubscribe }, async (request, reply) => {
      try {
        await mailAdmin.unsubscribe(request.params.token);
      } catch (error) {
        if (error instanceof AppError && wantsHtml(request))
          return sendHtml(reply, error.status, messagePage('Link not valid', error.message));
        throw error;
      }
      if (wantsHtml(request)) {
        return sendHtml(reply, 200, page('Unsubscribed', `<p>${escapeHtml(unsubscribed)}</p><p>You can close this page.</p>`));
      }
      return { message: unsubscribed };
    });
  });
};
