import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { TokenService } from '../../src/auth/tokens.js';
import { UnauthorizedError } from '../../src/errors.js';

const subject = { uid: '0b9a4a4e-5f7e-4d7c-9a53-7a1e2b3c4d5e', email: 'ada@example.com', tokenGeneration: 3 };
const ttl = { access: 60, refresh: 600 };
const sessionId = randomUUID();

describe('tokens', () => {
  for (const algorithm of ['HS256', 'HS384', 'HS512']) {
    it(`${algorithm}: a token it issued checks out with its claims; one signed with another secret does not`, async () => {
      const tokens = new TokenService('a secret', algorithm, ttl);
      const token = await tokens.issue(subject, sessionId, false);
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).alg, algorithm);
      const claims = await tokens.verify(token);
      assert.deepEqual(claims.user, { uid: subject.uid, email: subject.email });
      assert.equal(claims.gen, 3);
      assert.equal(claims.refresh, false);
      assert.equal(claims.sid, sessionId);
      await assert.rejects(new TokenService('another secret', algorithm, ttl).verify(token), UnauthorizedError);
    });
  }

  it('refuses a token whose payload was changed after signing', async () => {
    const tokens = new TokenService('a secret', 'HS256', ttl);
    const [header, , signature] = (await tokens.issue(subject, sessionId, false)).split('.');
    const forged = Buffer.from(JSON.stringify({ user: { uid: subject.uid, email: 'eve@example.com' } })).toString('base64url');
    await assert.rejects(tokens.verify(`${header}.${forged}.${signature}`), /The token is invalid/);
  });

  it('refuses a token of another algorithm, even with the same secret', async () => {
    const token = await new TokenService('a secret', 'HS512', ttl).issue(subject, sessionId, true);
    await assert.rejects(new TokenService('a secret', 'HS256', ttl).verify(token), /The token is invalid/);
  });

  it('refuses a token without a session id, or with one that is not a UUID (tokens issued before sessions)', async () => {
    const tokens = new TokenService('a secret', 'HS256', ttl);
    const claims = await tokens.verify(await tokens.issue(subject, sessionId, false));
    const key = new TextEncoder().encode('a secret');
    const resigned = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    assert.equal((await tokens.verify(resigned)).sid, sessionId, 'the same claims signed here check out');
    const { sid: _, ...withoutSid } = claims;
    for (const payload of [withoutSid, { ...claims, sid: 'not-a-uuid' }]) {
      const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
      await assert.rejects(tokens.verify(token), /The token is invalid/, JSON.stringify(payload));
    }
  });
});

describe('token claims forged with the secret', () => {
  const tokens = new TokenService('a secret', 'HS256', ttl);
  const key = new TextEncoder().encode('a secret');
  const sign = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
  /** The claims issue() writes, at `iat` = now + `ahead` seconds, changed by `changes`. */
  const claims = (changes: Record<string, unknown> = {}, ahead = 0) => {
    const iat = Math.floor(Date.now() / 1000) + ahead;
    return {
      user: { uid: subject.uid, email: subject.email },
      sid: sessionId,
      refresh: false,
      gen: subject.tokenGeneration,
      jti: randomUUID(),
      iat,
      exp: iat + ttl.access,
      ...changes,
    };
  };
  const refused = async (payload: Record<string, unknown>, what: string) => {
    await assert.rejects(
      tokens.verify(await sign(payload)),
      (error) => error instanceof UnauthorizedError && error.code === 'invalid_token',
      what,
    );
  };

  it('accepts the claims issue() writes, signed here, and an iat 10 s ahead (clock skew)', async () => {
    assert.equal((await tokens.verify(await sign(claims()))).sid, sessionId);
    assert.equal((await tokens.verify(await sign(claims({}, 10)))).sid, sessionId);
    const now = Math.floor(Date.now() / 1000);
    const refresh = { refresh: true, iat: now, exp: now + ttl.refresh };
    assert.equal((await tokens.verify(await sign(claims(refresh)))).refresh, true, 'a refresh token of the full refresh lifetime');
  });

  it('refuses an iat beyond the clock skew: a year ahead, a minute ahead', async () => {
    await refused(claims({}, 365 * 24 * 3600), 'a year ahead');
    await refused(claims({}, 60), 'a minute ahead');
  });

  it('refuses a lifetime beyond the configured one of its kind', async () => {
    const now = Math.floor(Date.now() / 1000);
    // iat is pinned to the same `now`: claims() reading the clock again could cross a second and make the lifetime exact.
    await refused(claims({ exp: 1e308 }), 'exp = 1e308');
    await refused(claims({ iat: now, exp: now + ttl.access + 1 }), 'an access token one second over the access lifetime');
    await refused(claims({ iat: now, exp: now + ttl.refresh }), 'an access token of the refresh lifetime');
    await refused(claims({ refresh: true, iat: now, exp: now + ttl.refresh + 1 }), 'a refresh token one second over the refresh lifetime');
    await refused(claims({ iat: -3600 }), 'a negative iat, so a lifetime of decades');
  });

  it('refuses a claim that names a row but is not a UUID', async () => {
    await refused(claims({ jti: 'not-a-uuid' }), 'jti');
    await refused(claims({ sid: "1' or '1'='1" }), 'sid');
    await refused(claims({ user: { uid: 'not-a-uuid', email: subject.email } }), 'user.uid');
    await refused(claims({ user: { uid: 42, email: subject.email } }), 'a numeric user.uid');
  });

  it('refuses iat and exp that are not whole seconds', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(claims({ iat: now + 0.5 }), 'a float iat');
    await refused(claims({ iat: String(now) }), 'a string iat');
    await refused(claims({ exp: now + 0.5 }), 'a float exp');
    const { iat: _, ...withoutIat } = claims();
    await refused(withoutIat, 'no iat');
    const { exp: __, ...withoutExp } = claims();
    await refused(withoutExp, 'no exp');
  });
});
