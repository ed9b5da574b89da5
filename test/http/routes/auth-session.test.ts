import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SignJWT } from 'jose';
import { revokedSessions } from '../../../src/db/schema/index.js';
import { login, newSignup, verifiedAccount } from '../../support/accounts.js';
import { describeEachDatabase } from '../../support/suite.js';

// biome-ignore lint/suspicious/noExplicitAny: claims are read field by field and asserted.
const claimsOf = (token: string): any => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());

describeEachDatabase('login, tokens and logout', (ctx) => {
  const get = (url: string, token?: string) => ctx.t.request({ method: 'GET', url, token });
  const me = (token?: string) => get('/api/v1/auth/me', token);
  const refresh = (token: string) => get('/api/v1/auth/refresh_token', token);
  const assertRevoked = async (reply: Promise<{ status: number; json: { error_code: string } }>, what: string) => {
    const { status, json } = await reply;
    assert.equal(status, 401, what);
    assert.equal(json.error_code, 'token_revoked', what);
  };

  it('logs in with the email in any case and returns both tokens', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: account.email.toUpperCase(), password: account.password },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.message, 'Login successful');
    assert.deepEqual(reply.json.user, { email: account.email, uid: account.uid });
    const [header, payload] = reply.json.access_token
      .split('.')
      .slice(0, 2)
      .map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.refresh, false);
    assert.equal(payload.user.uid, account.uid);
    assert.equal(payload.exp - payload.iat, 3600, 'access tokens live an hour');
    assert.match(payload.jti, /^[0-9a-f-]{36}$/);
    assert.match(payload.sid, /^[0-9a-f-]{36}$/);
    const refreshClaims = claimsOf(reply.json.refresh_token);
    assert.equal(refreshClaims.refresh, true);
    assert.equal(refreshClaims.exp - refreshClaims.iat, 2 * 24 * 3600, 'refresh tokens live two days');
    assert.equal(refreshClaims.sid, payload.sid, 'both tokens of a login share its session id');
    const again = await login(ctx.t, account.email, account.password);
    assert.notEqual(claimsOf(again.accessToken).sid, payload.sid, 'each login is a session of its own');
  });

  it('gives the same 401 for a wrong password and an unknown email', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const wrong = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: account.email, password: 'not the password' },
    });
    const unknown = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.com', password: account.password },
    });
    for (const reply of [wrong, unknown]) {
      assert.equal(reply.status, 401);
      assert.equal(reply.json.error_code, 'invalid_email_or_password');
    }
    assert.deepEqual(wrong.json, unknown.json);
  });

  it('shows a verified account its profile with books and reviews', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await me(account.accessToken);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.uid, account.uid);
    assert.equal(reply.json.is_verified, true);
    assert.deepEqual(reply.json.books, []);
    assert.deepEqual(reply.json.reviews, []);
    assert.ok(!('password_hash' in reply.json));
  });

  it('refuses /me to an unverified account with 403 account_not_verified, and lets the same token in once verified', async () => {
    const body = newSignup();
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    const tokens = await login(ctx.t, body.email, body.password);
    const before = await me(tokens.accessToken);
    assert.equal(before.status, 403);
    assert.equal(before.json.error_code, 'account_not_verified');
    const mail = await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
    await get(new URL(mail.links[0] as string).pathname);
    assert.equal((await me(tokens.accessToken)).status, 200);
  });

  it('refuses a missing, malformed, badly signed or expired token with 401 invalid_token', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const payload = JSON.parse(Buffer.from(account.accessToken.split('.')[1] as string, 'base64url').toString());
    const sign = (secret: string, exp: number) =>
      new SignJWT({ ...payload, exp }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      missing: undefined,
      malformed: 'not.a.jwt',
      'badly signed': await sign('another secret of a sufficient length to sign', now + 600),
      expired: await sign(ctx.t.config.jwt.secret as string, now - 10),
      'unsigned (alg none)': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${account.accessToken.split('.')[1]}.`,
    };
    for (const [what, token] of Object.entries(tokens)) {
      const reply = await me(token);
      assert.equal(reply.status, 401, what);
      assert.equal(reply.json.error_code, 'invalid_token', what);
      assert.match(String(reply.headers['www-authenticate']), /^Bearer/, what);
    }
  });

  it('says so when the token comes with "Bearer" twice, as when it is pasted with it into the docs page', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer Bearer ${account.accessToken}` },
    });
    assert.equal(reply.status, 401);
    assert.equal(reply.json.error_code, 'invalid_token');
    assert.match(reply.json.message, /"Bearer" twice/);
    assert.match(reply.json.resolution, /paste the access_token alone/);
  });

  it('refreshes an access token with the refresh token, and refuses the wrong kind of token either way', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const refreshed = await refresh(account.refreshToken);
    assert.equal(refreshed.status, 200);
    assert.deepEqual(Object.keys(refreshed.json), ['access_token']);
    assert.equal((await me(refreshed.json.access_token)).status, 200);
    assert.equal(claimsOf(refreshed.json.access_token).sid, claimsOf(account.refreshToken).sid, 'it carries on the session');

    const withAccess = await refresh(account.accessToken);
    assert.equal(withAccess.status, 401);
    assert.equal(withAccess.json.error_code, 'refresh_token_required');
    const withRefresh = await me(account.refreshToken);
    assert.equal(withRefresh.status, 401);
    assert.equal(withRefresh.json.error_code, 'access_token_required');
  });

  for (const method of ['GET', 'POST'] as const) {
    it(`logs out with ${method}: the session ends, its refresh token and every access token of it are refused, other sessions are not`, async () => {
      const account = await verifiedAccount(ctx.t, ctx.smtp);
      const refreshedBefore = (await refresh(account.refreshToken)).json.access_token;
      assert.equal((await me(refreshedBefore)).status, 200);
      const other = await login(ctx.t, account.email, account.password);

      const reply = await ctx.t.request({ method, url: '/api/v1/auth/logout', token: account.accessToken });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.message, 'Logged out');

      await assertRevoked(me(account.accessToken), 'the access token logged out with');
      await assertRevoked(refresh(account.refreshToken), 'the refresh token of that login');
      await assertRevoked(me(refreshedBefore), 'an access token refreshed before the logout');
      assert.equal((await me(other.accessToken)).status, 200, 'another login of the same user');
      const refreshedOther = await refresh(other.refreshToken);
      assert.equal(refreshedOther.status, 200, 'its refresh token too');
      assert.equal((await me(refreshedOther.json.access_token)).status, 200);
    });
  }

  it('takes the refresh token of the same session in the logout body, and refuses an access token there', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: account.accessToken,
      payload: { refresh_token: account.refreshToken },
    });
    assert.equal(reply.status, 200);
    await assertRevoked(refresh(account.refreshToken), 'the refresh token of the session');
    const other = await login(ctx.t, account.email, account.password);
    const wrongKind = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: other.accessToken,
      payload: { refresh_token: other.accessToken },
    });
    assert.equal(wrongKind.status, 401);
    assert.equal(wrongKind.json.error_code, 'refresh_token_required');
    assert.equal((await me(other.accessToken)).status, 200, 'a refused logout changes nothing');
  });

  it('ends the session of a refresh token in the logout body when it is another login of the same user, never one of another user', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const second = await login(ctx.t, account.email, account.password);
    const third = await login(ctx.t, account.email, account.password);
    const stranger = await verifiedAccount(ctx.t, ctx.smtp);
    const logout = (refreshToken: string) =>
      ctx.t.request({ method: 'POST', url: '/api/v1/auth/logout', token: account.accessToken, payload: { refresh_token: refreshToken } });

    assert.equal((await logout(second.refreshToken)).status, 200);
    await assertRevoked(me(account.accessToken), 'the session logged out');
    await assertRevoked(refresh(second.refreshToken), 'the other session named in the body');
    await assertRevoked(me(second.accessToken), 'its access token too');
    assert.equal((await me(third.accessToken)).status, 200, 'a session not named');

    const fresh = await login(ctx.t, account.email, account.password);
    const withStranger = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: fresh.accessToken,
      payload: { refresh_token: stranger.refreshToken },
    });
    assert.equal(withStranger.status, 200);
    await assertRevoked(me(fresh.accessToken), 'the session logged out');
    assert.equal((await refresh(stranger.refreshToken)).status, 200, "another user's refresh token is not revoked");
    assert.equal((await me(stranger.accessToken)).status, 200);
  });

  it('keeps an ended session until no token of it can be valid, and forgets expired ones at each logout', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const stale = '7d4e1a7c-1b8e-4c59-9b1f-2f9a3e6d5c40';
    await ctx.t.deps.db.insert(revokedSessions).values({ sessionId: stale, expiresAt: new Date(Date.now() - 1000) });
    await ctx.t.request({ method: 'GET', url: '/api/v1/auth/logout', token: account.accessToken });
    const rows = await ctx.t.deps.db.select().from(revokedSessions);
    assert.deepEqual(
      rows.map((row) => row.sessionId),
      [claimsOf(account.accessToken).sid],
    );
    const horizon = (ctx.t.config.jwt.refreshTtlSeconds + ctx.t.config.jwt.accessTtlSeconds) * 1000;
    const kept = (rows[0]?.expiresAt.getTime() ?? 0) - Date.now();
    assert.ok(kept > horizon - 60_000 && kept <= horizon, `kept for ${kept} ms`);
  });

  it('answers a logout body whose refresh_token holds U+0000 with 422, and keeps the session', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: account.accessToken,
      payload: { refresh_token: `${account.refreshToken}\u0000` },
    });
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.json.error_code, 'validation_error');
    assert.equal(reply.json.details[0].field, 'body.refresh_token');
    assert.equal((await me(account.accessToken)).status, 200);
  });

  it('refuses a logout with a refresh token', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/logout', token: account.refreshToken });
    assert.equal(reply.status, 401);
    assert.equal(reply.json.error_code, 'access_token_required');
  });

  it('refuses every endpoint that needs a token without one', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/auth/refresh_token'],
      ['GET', '/api/v1/auth/logout'],
      ['POST', '/api/v1/auth/logout'],
      ['POST', '/api/v1/auth/send_mail'],
      ['GET', '/api/v1/tasks/6f1c2f1e-3c59-4d36-9d0e-1f7e4f0d1a11'],
    ] as const) {
      const reply = await ctx.t.request({ method, url, payload: method === 'POST' ? { addresses: ['a@example.com'] } : undefined });
      assert.equal(reply.status, 401, `${method} ${url}`);
      assert.equal(reply.json.error_code, 'invalid_token', `${method} ${url}`);
    }
  });
});
