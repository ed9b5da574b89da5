import { randomUUID } from 'node:crypto';
import type { AuthCache, SessionUser } from '../auth/auth-cache.js';
import { verifyDecoy, verifyPassword } from '../auth/passwords.js';
import type { RevocationStore } from '../auth/revocations.js';
import type { TokenClaims, TokenService } from '../auth/tokens.js';
import type { UserRow } from '../db/schema/index.js';
import { UnauthorizedError } from '../errors.js';
import type { AccountService } from './account.service.js';

export type TokenKind = 'access' | 'refresh';

export interface Session {
  readonly user: SessionUser;
  readonly claims: TokenClaims;
}

/** Logins and the tokens that stand for them. */
export class SessionService {
  constructor(
    private readonly accounts: AccountService,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationStore,
    private readonly cache: AuthCache,
  ) {}

  async login(email: string, password: string): Promise<{ user: UserRow; accessToken: string; refreshToken: string }> {
    const user = await this.accounts.findByEmail(email);
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyDecoy(password);
    if (!user || !valid) {
      throw new UnauthorizedError('invalid_email_or_password', 'Invalid email or password', 'Check your email and password');
    }
    const sessionId = randomUUID();
    const [accessToken, refreshToken] = await Promise.all([
      this.tokens.issue(user, sessionId, false),
      this.tokens.issue(user, sessionId, true),
    ]);
    return { user, accessToken, refreshToken };
  }

  /**
   * The session a bearer token opens, checked in full: signature, expiry, kind,
   * revocation, and that its user still exists and has not reset the password since.
   */
  async authenticate(token: string, kind: TokenKind): Promise<Session> {
    const claims = await this.tokens.verify(token);
    if (kind === 'access' && claims.refresh) {
      throw new UnauthorizedError(
        'access_token_required',
        'This needs an access token, not a refresh token',
        'Send the access token from /auth/login',
      );
    }
    if (kind === 'refresh' && !claims.refresh) {
      throw new UnauthorizedError(
        'refresh_token_required',
        'This needs a refresh token, not an access token',
        'Send the refresh token from /auth/login',
      );
    }
    const { sid, user: subject } = claims;
    const [revoked, user] = await Promise.all([
      this.cache.isRevoked(sid, () => this.revocations.isRevoked(sid)),
      this.cache.user(subject.uid, () => this.accounts.sessionUser(subject.uid)),
    ]);
    if (revoked) throw revokedError();
    if (!user) throw new UnauthorizedError('invalid_token', 'The account of this token no longer exists');
    if (user.tokenGeneration !== claims.gen) throw revokedError();
    return { user, claims };
  }

  /** A new access token of the refresh token's session. */
  refresh(session: Session): Promise<string> {
    return this.tokens.issue(session.user, session.claims.sid, false);
  }

  /**
   * Ends the access token's session: its refresh token and every access token
   * of it are refused from then on. A refresh token given too ends its own
   * session when that is another login of the same user.
   */
  async logout(session: Session, refreshToken: string | undefined): Promise<void> {
    // The body's token is checked first: a logout that answers 401 must have changed nothing.
    const other = refreshToken === undefined ? undefined : await this.tokens.verify(refreshToken);
    if (other && !other.refresh) {
      throw new UnauthorizedError('refresh_token_required', 'The refresh_token field holds an access token');
    }
    await this.revoke(session.claims.sid);
    if (other && other.user.uid === session.user.uid && other.sid !== session.claims.sid) await this.revoke(other.sid);
  }

  private async revoke(sessionId: string): Promise<void> {
    await this.revocations.revoke(sessionId, this.tokens.sessionOverBy());
    // At once here; other processes hear of it from the database.
    this.cache.forgetSession(sessionId);
  }
}

function revokedError(): UnauthorizedError {
  return new UnauthorizedError('token_revoked', 'This token has been revoked', 'Log in again to get a new token');
}
