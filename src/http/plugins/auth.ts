import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import type { Session, SessionService, TokenKind } from '../../services/session.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that admits a request only with a valid bearer token meeting `rule`. */
    authenticate(rule?: AuthRule): preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    session: Session | undefined;
  }
}

export interface AuthRule {
  /** Which token the endpoint takes; access by default. */
  token?: TokenKind;
  /** The account must have verified its email. */
  verified?: boolean;
  /** The account must be an admin. */
  admin?: boolean;
}

/** The session `authenticate` admitted the request with. */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.session) throw new Error('sessionOf() on a route without authenticate()');
  return request.session;
}

export const authPlugin = fp(async (app: FastifyInstance, options: { sessions: SessionService }) => {
  app.decorateRequest('session', undefined);
  app.decorate('authenticate', (rule: AuthRule = {}): preHandlerAsyncHookHandler => {
    return async (request, reply) => {
      try {
        // A plugin-wide rule may have admitted the request already; a route's own rule only adds checks.
        const session = request.session ?? (await options.sessions.authenticate(bearerToken(request), rule.token ?? 'access'));
        if (rule.verified && !session.user.isVerified) {
          throw new ForbiddenError(
            'account_not_verified',
            'This account has not verified its email yet',
            'Open the link in the verification mail, or ask for a new one at /api/v1/auth/resend-verification',
          );
        }
        if (rule.admin && session.user.role !== 'admin') {
          throw new ForbiddenError('insufficient_permissions', 'This needs an admin account');
        }
        request.session = session;
      } catch (error) {
        if (error instanceof UnauthorizedError) reply.header('www-authenticate', `Bearer error="invalid_token"`);
        throw error;
      }
    };
  });
});

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  // What a person pastes into Swagger UI's Authorize, which adds the scheme itself.
  if (/^Bearer\s+Bearer\s/i.test(header)) {
    throw new UnauthorizedError(
      'invalid_token',
      'The token came with "Bearer" twice',
      'Send only the token after "Bearer "; on the docs page, paste the access_token alone into Authorize',
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new UnauthorizedError(
      'invalid_token',
      'A bearer token is required',
      'Send Authorization: Bearer <access token> (from /api/v1/auth/login)',
    );
  }
  return match[1] as string;
}
