import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SignJWT } from 'jose';
import { type TestAccount, verifiedAccount } from '../support/accounts.js';
import { describeEachDatabase } from '../support/suite.js';

// Tokens signed with the app's own secret (as one who has it, or an issuer with a bad clock, would):
// the signature holds, so only the claims can refuse them.

type Claims = Record<string, unknown>;
const claimsOf = (token: string): Claims => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
const now = () => Math.floor(Date.now() / 1000);
const yearSeconds = 365 * 24 * 3600;

describeEachDatabase('forged token claims', (ctx) => {
  const ttl = () => ({ access: ctx.t.config.jwt.accessTtlSeconds, refresh: ctx.t.config.jwt.refreshTtlSeconds });
  // The secret the test environment (testEnv's JWT_SECRET) gave the app, read back from its configuration.
  const sign = (claims: Claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(ctx.t.config.jwt.secret as string));
  const me = (token: string) => ctx.t.request({ method: 'GET', url: '/api/v1/auth/me', token });
  const refresh = (token: string) => ctx.t.request({ method: 'GET', url: '/api/v1/auth/refresh_token', token });

  /** The account's access (or refresh) claims, issued `ahead` seconds from now, with `changes` on top. */
  const forge = (account: TestAccount, kind: 'access' | 'refresh', changes: Claims = {}, ahead = 0): Promise<string> => {
    const iat = now() + ahead;
    const genuine = claimsOf(kind === 'access' ? account.accessToken : account.refreshToken);
    return sign({ ...genuine, iat, exp: iat + ttl()[kind], ...changes });
  };

  const assertInvalid = async (reply: ReturnType<typeof me>, what: string) => {
    const { status, json, text } = await reply;
    assert.equal(status, 401, `${what}: ${text}`);
    assert.equal(json.error_code, 'invalid_token', what);
    assert.deepEqual(
      Object.keys(json).filter((key) => !['message', 'error_code', 'resolution'].includes(key)),
      [],
      `${what}: the contract's body and nothing else`,
    );
  };
  const assertGenuineWorks = async (account: TestAccount) => {
    assert.equal((await me(account.accessToken)).status, 200, 'the genuine access token still works');
    assert.equal((await refresh(account.refreshToken)).status, 200, 'the genuine refresh token still works');
  };

  it('accepts the genuine claims signed here, and an iat 10 s ahead (within the clock skew)', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const resigned = await me(await forge(account, 'access'));
    assert.equal(resigned.status, 200, resigned.text);
    assert.equal(resigned.json.uid, account.uid);
    assert.equal((await me(await forge(account, 'access', {}, 10))).status, 200, 'an access token 10 s ahead');
    assert.equal((await refresh(await forge(account, 'refresh', {}, 10))).status, 200, 'a refresh token 10 s ahead');
  });

  it('refuses a token issued a year ahead', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await assertInvalid(me(await forge(account, 'access', {}, yearSeconds)), 'access, iat a year ahead');
    await assertInvalid(refresh(await forge(account, 'refresh', {}, yearSeconds)), 'refresh, iat a year ahead');
    await assertGenuineWorks(account);
  });

  it('refuses a token that lives longer than the configured lifetime of its kind', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const iat = now();
    await assertInvalid(me(await forge(account, 'access', { exp: 1e308 })), 'exp = 1e308');
    await assertInvalid(me(await forge(account, 'access', { iat, exp: iat + ttl().access + 1 })), 'one second over the access lifetime');
    await assertInvalid(me(await forge(account, 'access', { iat, exp: iat + ttl().refresh })), 'an access token of the refresh lifetime');
    await assertInvalid(
      refresh(await forge(account, 'refresh', { iat, exp: iat + ttl().refresh + 1 })),
      'a refresh token one second over the refresh lifetime',
    );
    await assertInvalid(refresh(await forge(account, 'refresh', { exp: iat + 10 * yearSeconds })), 'a refresh token of ten years');
    await assertGenuineWorks(account);
  });

  it('refuses a uid, jti or sid that is not a UUID before it reaches the database (no 500)', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const user = claimsOf(account.accessToken).user as Claims;
    for (const kind of ['access', 'refresh'] as const) {
      const call = kind === 'access' ? me : refresh;
      await assertInvalid(call(await forge(account, kind, { user: { ...user, uid: 'not-a-uuid' } })), `${kind}: uid`);
      await assertInvalid(
        call(await forge(account, kind, { user: { ...user, uid: `${account.uid}x` } })),
        `${kind}: uid one character long`,
      );
      await assertInvalid(call(await forge(account, kind, { jti: 'not-a-uuid' })), `${kind}: jti`);
      await assertInvalid(call(await forge(account, kind, { sid: "' or 1=1 --" })), `${kind}: sid`);
    }
    await assertGenuineWorks(account);
  });

  it('refuses an iat that is negative, a fraction or a string', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const iat = now();
    await assertInvalid(me(await forge(account, 'access', { iat: -1 })), 'a negative iat');
    await assertInvalid(me(await forge(account, 'access', { iat: iat + 0.5 })), 'a fractional iat');
    await assertInvalid(me(await forge(account, 'access', { iat: String(iat) })), 'a string iat');
    await assertGenuineWorks(account);
  });

  it('refuses a forged refresh token given to logout', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const forged = await forge(account, 'refresh', { sid: 'not-a-uuid' });
    const reply = ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: account.accessToken,
      payload: { refresh_token: forged },
    });
    await assertInvalid(reply, 'logout with a forged refresh token');
  });
});
