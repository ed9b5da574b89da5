import { randomUUID, webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { UnauthorizedError } from '../errors.js';

// Every claim that names a row is a UUID, so a forged one is refused here rather than by the database (a 500).
const Uuid = Type.String({ format: 'uuid' });
// Whole seconds, as issue() writes them; Integer also refuses NaN and ±Infinity.
const Seconds = Type.Integer({ minimum: 0 });

const Claims = Type.Object({
  jti: Uuid,
  /** The login this token belongs to: its access and refresh tokens, and every access token refreshed from it. */
  sid: Uuid,
  iat: Seconds,
  exp: Seconds,
  refresh: Type.Boolean(),
  user: Type.Object({ uid: Uuid, email: Type.String() }),
  /** The user's token generation when it was issued; a password reset moves it on. */
  gen: Type.Integer(),
});
export type TokenClaims = Type.Static<typeof Claims>;
// Compiled once: every authenticated request checks its token's claims (typebox's compiler checks `format: 'uuid'`).
const claimsValidator = Compile(Claims);

/** How far ahead of this clock a token's `iat` may be: the issuing process's clock may run a little fast. */
export const CLOCK_SKEW_SECONDS = 30;

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

  /**
   * The token's claims, or `invalid_token` when it is malformed, badly signed
   * or expired, when a claim is not of its type (UUIDs, whole seconds), when
   * it was issued more than {@link CLOCK_SKEW_SECONDS} in the future, or when
   * it lives longer than the configured lifetime of its kind. Only a token
   * that passes reaches the database.
   */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: [this.algorithm] });
      if (claimsValidator.Check(payload) && this.timely(payload)) return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new UnauthorizedError('invalid_token', 'The token has expired', 'Log in again or use your refresh token');
      }
      if (!(error instanceof errors.JOSEError)) throw error;
    }
    throw new UnauthorizedError('invalid_token', 'The token is invalid', 'Log in again to get a new token');
  }

  // jose checks only that `exp` has not passed: a signed `exp` of 1e308 would never expire, and an `iat` a year ahead would pass.
  private timely(claims: TokenClaims): boolean {
    const lifetime = claims.refresh ? this.ttlSeconds.refresh : this.ttlSeconds.access;
    return claims.iat <= Date.now() / 1000 + CLOCK_SKEW_SECONDS && claims.exp - claims.iat <= lifetime;
  }
}
