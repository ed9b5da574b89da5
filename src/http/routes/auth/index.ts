import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { AlreadyVerifiedError, AppError, InvalidLinkError, ValidationError } from '../../../errors.js';
import { sessionOf } from '../../plugins/auth.js';
import { toErrorBody } from '../../plugins/errors.js';
import { authRateLimit } from '../../plugins/rate-limit.js';
import { toBook, toReview } from '../../schemas/catalogue.js';
import { toUser } from '../../schemas/user.js';
import { sendHtml } from '../html.js';
import {
  messagePage,
  newResetLinkNext,
  newVerificationLinkNext,
  passwordMismatch,
  resetFormPage,
  resetFormProblem,
  signInNext,
  wantsHtml,
} from './pages.js';
import * as schemas from './schemas.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { accounts, sessions, mailings } = deps;
  const limited = authRateLimit(deps.config.http.authRateLimit);

  app.post('/signup', { schema: schemas.signup, config: limited }, async (request, reply) => {
    const { first_name, last_name, username, email, password } = request.body;
    const user = await accounts.signup({ firstName: first_name, lastName: last_name, username, email, password });
    return reply.status(201).send({ message: 'Account created. Check your email to verify your account', user: toUser(user) });
  });

  app.get('/verify/:token', { schema: schemas.verify }, async (request, reply) => {
    try {
      await accounts.verifyEmail(request.params.token);
    } catch (error) {
      if (error instanceof AlreadyVerifiedError && wantsHtml(request)) {
        return sendHtml(reply, error.status, messagePage('Email verified already', error.message, signInNext));
      }
      if (error instanceof AppError && wantsHtml(request)) {
        return sendHtml(reply, error.status, messagePage('Link not valid', error.message, newVerificationLinkNext));
      }
      throw error;
    }
    const message = 'Your email is verified. You can log in now';
    if (wantsHtml(request)) return sendHtml(reply, 200, messagePage('Email verified', message, signInNext));
    return { message };
  });

  app.post('/resend-verification', { schema: schemas.resendVerification, config: limited }, async (request, reply) => {
    await accounts.resendVerification(request.body.email);
    return reply.status(202).send({ message: 'If that account exists and is not verified yet, a new link is on its way' });
  });

  app.post('/login', { schema: schemas.login, config: limited }, async (request) => {
    const { user, accessToken, refreshToken } = await sessions.login(request.body.email, request.body.password);
    return {
      message: 'Login successful',
      access_token: accessToken,
      refresh_token: refreshToken,
      user: { email: user.email, uid: user.uid },
    };
  });

  app.get('/refresh_token', { schema: schemas.refreshToken, preHandler: app.authenticate({ token: 'refresh' }) }, async (request) => {
    return { access_token: await sessions.refresh(sessionOf(request)) };
  });

  app.get('/me', { schema: schemas.me, preHandler: app.authenticate({ verified: true }) }, async (request) => {
    const { user } = sessionOf(request);
    const [books, reviews] = await Promise.all([deps.books.allOfUser(user.uid), deps.reviews.allOfUser(user.uid)]);
    return { ...toUser(user), books: books.map(toBook), reviews: reviews.map(toReview) };
  });

  app.get('/logout', { schema: schemas.logout, preHandler: app.authenticate() }, async (request) => {
    await sessions.logout(sessionOf(request), undefined);
    return { message: 'Logged out' };
  });

  app.post('/logout', { schema: schemas.logoutWithBody, preHandler: app.authenticate() }, async (request) => {
    await sessions.logout(sessionOf(request), request.body.refresh_token);
    return { message: 'Logged out' };
  });

  app.post('/password-reset-request', { schema: schemas.passwordResetRequest, config: limited }, async (request) => {
    await accounts.requestPasswordReset(request.body.email);
    return { message: 'If that account exists, a link to reset its password is on its way' };
  });

  await app.register(async (scope) => {
    const form = scope.withTypeProvider<TypeBoxTypeProvider>();
    // The reset page's form posts here without JavaScript, so this route alone also takes form bodies.
    form.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    const isForm = (contentType: string | undefined) => contentType?.startsWith('application/x-www-form-urlencoded') ?? false;

    form.get('/password-reset-confirm/:token', { schema: schemas.passwordResetCheck }, async (request, reply) => {
      const valid = await accounts.isPasswordResetLinkValid(request.params.token);
      if (wantsHtml(request)) {
        const html = valid
          ? resetFormPage()
          : messagePage(
              'Link not valid',
              'This link is invalid, has expired or has already been used. Ask for a new one.',
              newResetLinkNext,
            );
        return sendHtml(reply, valid ? 200 : 400, html);
      }
      if (!valid) throw new InvalidLinkError();
      return { message: 'This link is valid: POST new_password and confirm_new_password to it' };
    });

    form.post(
      '/password-reset-confirm/:token',
      {
        schema: schemas.passwordResetConfirm,
        config: limited,
        // A browser's form post gets the form back with the problem, not a JSON error.
        errorHandler: (error, request, reply) => {
          if (!isForm(request.headers['content-type'])) throw error;
          const { status, body } = toErrorBody(error);
          const html =
            body.error_code === 'invalid_link'
              ? messagePage('Link not valid', body.message, newResetLinkNext)
              : resetFormPage(resetFormProblem(body.details, body.message));
          return sendHtml(reply, status, html);
        },
      },
      async (request, reply) => {
        const { new_password, confirm_new_password } = request.body;
        if (new_password !== confirm_new_password) {
          throw new ValidationError([{ field: 'body.confirm_new_password', message: passwordMismatch }], 'The passwords do not match');
        }
        await accounts.confirmPasswordReset(request.params.token, new_password);
        const message = 'Your password has been reset. Log in with the new one';
        if (isForm(request.headers['content-type'])) return sendHtml(reply, 200, messagePage('Password changed', message, signInNext));
        return { message };
      },
    );
  });

  app.post('/send_mail', { schema: schemas.sendMail, preHandler: app.authenticate({ admin: true }) }, async (request, reply) => {
    const { addresses, subject = 'A message from Bookly', html = '<p>Welcome to Bookly.</p>' } = request.body;
    const { taskId, mailingId } = await mailings.send(sessionOf(request).user.uid, { addresses, subject, html });
    return reply
      .status(202)
      .send({ message: `Sending ${addresses.length} mail(s) in the background`, task_id: taskId, mailing_id: mailingId });
  });
};
