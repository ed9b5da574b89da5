import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { PasswordVerifier } from '../../auth/passwords.js';
import { AppError, ForbiddenError, UnauthorizedError } from '../../errors.js';
import type { AccountService } from '../../services/account.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The guard of the operator pages under `/admin`: an `onRequest` (or
     * `preHandler`) hook that admits a request only with HTTP basic
     * credentials of an admin account. Every page gets the same hook, so a
     * client's failed guesses count against one budget whichever page they
     * were made on.
     */
    adminBasicAuth(): AdminBasicAuthHook;
  }
}

export type AdminBasicAuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface AdminBasicAuthOptions {
  accounts: Pick<AccountService, 'findByEmail'>;
  passwords: PasswordVerifier;
  /** Failed guesses a client address may make a minute (`AUTH_RATE_LIMIT`); 0 for no limit. */
  failuresPerMinute: number;
}

const challenge = 'Basic realm="Bookly admin", charset="UTF-8"';

/**
 * Basic auth that is no oracle. Every guess costs one database lookup and
 * one password verification, whatever it holds: an admin's email, a
 * non-admin's (whose real hash is checked too), an unknown one (the decoy),
 * or a header that does not parse. A wrong password, an unknown email and a
 * header that does not parse get the same 401. The right password of an
 * account that is not an admin gets 403 `insufficient_permissions`: it tells
 * only what its sender knows already (the password is right, as login would
 * say), so the person learns to ask for the role rather than retype the
 * password; it is not a failed guess, so it is not counted. Nothing is
 * cached, so a changed password locks the old one out at once; the price is
 * one verification per request, which the dashboard's polling can afford.
 * Refusals are thrown as `AppError`s, for the app's one error handler.
 */
export const adminBasicAuthPlugin = fp(
  async (app: FastifyInstance, { accounts, passwords, failuresPerMinute }: AdminBasicAuthOptions) => {
    const limit = failureLimit(app, failuresPerMinute);

    const check = async (header: string): Promise<Verdict> => {
      const credentials = parseBasic(header);
      if (!credentials) {
        await passwords.verifyDecoy('');
        return 'wrong';
      }
      const user = await accounts.findByEmail(credentials.email);
      const matches = user
        ? await passwords.verify(user.passwordHash, credentials.password)
        : await passwords.verifyDecoy(credentials.password);
      if (!matches || !user) return 'wrong';
      return user.role === 'admin' ? 'admin' : 'not_admin';
    };

    const hook: AdminBasicAuthHook = async (request, reply) => {
      const header = request.headers.authorization;
      // No credentials is the browser asking for the challenge, not a guess.
      if (header === undefined) throw refusal(reply);
      const guess = await limit.begin(request, reply);
      let verdict: Verdict | undefined;
      try {
        verdict = await check(header);
      } finally {
        // A lookup that failed (the database down) refused no one, so it costs the client nothing.
        await guess.end(verdict === 'wrong');
      }
      if (verdict === 'not_admin') throw notAnAdmin();
      if (verdict !== 'admin') throw refusal(reply);
    };
    app.decorate('adminBasicAuth', () => hook);
  },
  { name: 'admin-basic-auth', decorators: { fastify: ['createRateLimit'] } },
);

/** What a request's credentials turned out to be. */
type Verdict = 'admin' | 'not_admin' | 'wrong';

interface Guess {
  /** Counts the guess when it was refused, and stops holding its place. */
  end(refused: boolean): Promise<void>;
}

const free: Guess = { end: async () => {} };

/**
 * Failed guesses per client address, counted in `@fastify/rate-limit`'s
 * store with login's window and keys. Only failures count, so an admin
 * whose dashboard polls never runs out. A guess still being checked holds
 * a place, so a burst sent at once cannot overshoot the limit before its
 * failures are counted.
 */
function failureLimit(app: FastifyInstance, perMinute: number): { begin(request: FastifyRequest, reply: FastifyReply): Promise<Guess> } {
  if (perMinute === 0) return { begin: async () => free };
  const failures = app.createRateLimit({ max: perMinute, timeWindow: 60_000 });
  const checking = new Map<string, number>();
  return {
    async begin(request, reply) {
      const seen = await failures(request, { increment: false });
      if (seen.isAllowed) return free;
      const { key } = seen;
      const held = checking.get(key) ?? 0;
      if (seen.remaining <= held) {
        const seconds = Math.max(1, seen.ttlInSeconds);
        reply.header('retry-after', String(seconds));
        throw new AppError(
          429,
          'rate_limited',
          `Too many failed sign-ins; try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
          'Wait for the time in the Retry-After header',
        );
      }
      checking.set(key, held + 1);
      return {
        async end(refused) {
          try {
            if (refused) await failures(request);
          } finally {
            const left = (checking.get(key) ?? 1) - 1;
            if (left > 0) checking.set(key, left);
            else checking.delete(key);
          }
        },
      };
    },
  };
}

/** The email and password of an `Authorization: Basic` header (RFC 7617: the password may hold colons). */
function parseBasic(header: string): { email: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** No challenge: the browser would ask for the same right password again. */
function notAnAdmin(): ForbiddenError {
  return new ForbiddenError(
    'insufficient_permissions',
    'This account is not an admin',
    'Sign in with an admin account (a private window asks afresh: the browser keeps these credentials until it closes), or make this one an admin with npm run bookly -- users:promote EMAIL',
  );
}

function refusal(reply: FastifyReply): UnauthorizedError {
  reply.header('www-authenticate', challenge);
  return new UnauthorizedError(
    'invalid_email_or_password',
    "This page needs an admin account's email and password",
    'Sign in with the email and password of an admin account',
  );
}
