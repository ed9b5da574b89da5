import { randomUUID, webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { UnauthorizedError } from '../errors.js';

const Claims = Type.Object({
  jti: Type.String(),
  /** The login this token belongs to: its access and refresh tokens, and every access token refreshed from it. */
  sid: Type.String({ format: 'uuid' }),
  iat: Type.Number(),
  exp: Type.Number(),
  refresh: Type.Boolean(),
  user: Type.Object({ uid: Type.String(), email: Type.String() }),
  /** The user's token generation when it was issued; a password reset moves it on. */
  gen: Type.Integer(),
});
export type TokenClaims = Type.Static<typeof Claims>;
// Compiled once: every authenticated request checks its token's claims.
const claimsValidator = Compile(Claims);

export interface TokenSubject {
  uid: string;
  email: string;
  tokenGeneration: number;
}

/** Signs and checks the JWTs, access and refresh alike. */
export class TokenService {
  // Imported once: given the raw bytes, jose imports the key again for every token it checks.
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(
    secret: string,
    private readonly algorithm: string,
    private readonly ttlSeconds: { access: number; refresh: number },
  ) {
    const hash = `SHA-${algorithm.slice(2)}`; // HS256 → SHA-256
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash }, false, ['sign', 'verify']);
  }

  /** A token of session `sessionId` (a UUID): login begins a session, refreshing carries it on. */
  async issue(subject: TokenSubject, sessionId: string, refresh: boolean): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ user: { uid: subject.uid, email: subject.email }, sid: sessionId, refresh, gen: subject.tokenGeneration })
      .setProtectedHeader({ alg: this.algorithm, typ: 'JWT' })
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (refresh ? this.ttlSeconds.refresh : this.ttlSeconds.access))
      .sign(await this.key);
  }

  /**
   * When a session begun by now is over for certain: its refresh token, issued
   * at login, expires within the refresh lifetime from now, and an access token
   * refreshed at that last moment lives the access lifetime longer.
   */
  sessionOverBy(): Date {
    return new Date(Date.now() + (this.ttlSeconds.refresh + this.ttlSeconds.access) * 1000);
  }

  /** The token's claims, or `invalid_token` when it is malformed, badly signed or expired. */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: [this.algorithm] });
      if (claimsValidator.Check(payload)) return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new UnauthorizedError('invalid_token', 'The token has expired', 'Log in again or use your refresh token');
      }
      if (!(error instanceof errors.JOSEError)) throw error;
    }
    throw new UnauthorizedError('invalid_token', 'The token is invalid', 'Log in again to get a new token');
  }
}
