import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SignJWT } from 'jose';
import { login, newSignup, verifiedAccount } from '../../support/accounts.js';
import { describeEachDatabase } from '../../support/suite.js';

// biome-ignore lint/suspicious/noExplicitAny: claims are read field by field and asserted.
const claimsOf = (token: string): any => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());

describeEachDatabase('login, tokens and logout', (ctx) => {
  const get = (url: string, token?: string) => ctx.t.request({ method: 'GET', url, token });
  const me = (token?: string) => get('/api/v1/auth/me', token);
  const refresh = (token: string) => get('/api/v1/auth/refresh_token', token);

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
    it(`logs out with ${method}: that access token is refused from then on, other sessions are not`, async () => {
      const account = await verifiedAccount(ctx.t, ctx.smtp);
      const other = await login(ctx.t, account.email, account.password);
      const reply = await ctx.t.request({ method, url: '/api/v1/auth/logout', token: account.accessToken });
      assert.equal(reply.status, 200);
      const after = await me(account.accessToken);
      assert.equal(after.status, 401);
      assert.equal(after.json.error_code, 'token_revoked');
      assert.equal((await me(other.accessToken)).status, 200);
      assert.equal((await get('/api/v1/auth/refresh_token', account.refreshToken)).status, 200, 'the refresh token was not in the request');
    });
  }

  it('revokes the refresh token too when the logout body carries it', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      token: account.accessToken,
      payload: { refresh_token: account.refreshToken },
    });
    assert.equal(reply.status, 200);
    const refresh = await get('/api/v1/auth/refresh_token', account.refreshToken);
    assert.equal(refresh.status, 401);
    assert.equal(refresh.json.error_code, 'token_revoked');
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
