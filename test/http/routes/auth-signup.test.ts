import assert from 'node:assert/strict';
import { it } from 'node:test';
import { count, eq, sql } from 'drizzle-orm';
import { linkTokens, tasks, users } from '../../../src/db/schema/index.js';
import { linkFromMail, newSignup } from '../../support/accounts.js';
import { describeEachDatabase } from '../../support/suite.js';

describeEachDatabase('signup and email verification', (ctx) => {
  const signup = (payload: unknown) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: payload as object });
  const userCount = async () => (await ctx.t.deps.db.select({ n: count() }).from(users))[0]?.n;

  it('creates an unverified user, answers 201 without secrets, and mails a verification link', async () => {
    const body = newSignup({ role: 'admin', is_verified: true });
    const reply = await signup(body);
    assert.equal(reply.status, 201);
    assert.match(reply.json.message, /created/i);
    const user = reply.json.user;
    assert.deepEqual(Object.keys(user).sort(), [
      'created_at',
      'email',
      'first_name',
      'is_verified',
      'last_name',
      'role',
      'uid',
      'updated_at',
      'username',
    ]);
    assert.equal(user.email, body.email);
    assert.equal(user.role, 'user', 'a client cannot choose its role');
    assert.equal(user.is_verified, false, 'a client cannot verify itself');
    assert.match(user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.doesNotMatch(reply.text, /password|argon2/i);

    const mail = await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
    assert.equal(mail.subject, 'Verify your email');
    assert.match(mail.links[0] ?? '', /^http:\/\/bookly\.test\/api\/v1\/auth\/verify\/[\w-]{20,}$/);
    assert.match(mail.html, /<a href="http:\/\/bookly\.test\/api\/v1\/auth\/verify\//);
  });

  it('stores only a hash of the link token', async () => {
    const body = newSignup();
    await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    const token = path.split('/').at(-1) as string;
    const rows = await ctx.t.deps.db.select().from(linkTokens);
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]?.tokenHash, token);
    assert.ok(!JSON.stringify(rows).includes(token));
  });

  it('refuses an email that is taken, in any case, with 409 user_exists', async () => {
    const body = newSignup();
    assert.equal((await signup(body)).status, 201);
    const again = await signup({ ...newSignup(), email: body.email.toUpperCase() });
    assert.equal(again.status, 409);
    assert.equal(again.json.error_code, 'user_exists');
    assert.equal(await userCount(), 1);
  });

  it('lets exactly one of two racing signups with the same email win', async () => {
    const email = newSignup().email;
    const replies = await Promise.all([signup(newSignup({ email })), signup(newSignup({ email: email.toUpperCase() }))]);
    assert.deepEqual(replies.map((r) => r.status).sort(), [201, 409]);
    assert.equal(await userCount(), 1);
    const [{ n } = { n: 0 }] = await ctx.t.deps.db.select({ n: count() }).from(tasks);
    assert.equal(n, 1, 'the losing signup left no task behind');
  });

  it('verifies the account once; the link then stops working', async () => {
    const body = newSignup();
    const { json } = await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    const first = await ctx.t.request({ method: 'GET', url: path });
    assert.equal(first.status, 200);
    assert.match(first.json.message, /verified/i);
    const [row] = await ctx.t.deps.db.select().from(users).where(eq(users.uid, json.user.uid));
    assert.equal(row?.isVerified, true);
    const second = await ctx.t.request({ method: 'GET', url: path });
    assert.equal(second.status, 400);
    assert.equal(second.json.error_code, 'invalid_link');
  });

  it('refuses an expired verification link', async () => {
    const body = newSignup();
    await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    // 24 hours and a second later, as far as the database is concerned.
    await ctx.t.deps.db.update(linkTokens).set({ expiresAt: sql`now() - interval '1 second'` });
    const reply = await ctx.t.request({ method: 'GET', url: path });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_code, 'invalid_link');
  });

  it('gives a link 24 hours of life', async () => {
    await signup(newSignup());
    await ctx.smtp.waitForMail(() => true);
    const [row] = await ctx.t.deps.db
      .select({ hours: sql<number>`extract(epoch from ${linkTokens.expiresAt} - ${linkTokens.createdAt}) / 3600` })
      .from(linkTokens);
    assert.ok(Math.abs(Number(row?.hours) - 24) < 0.01, `lifetime ${row?.hours} h`);
  });

  it('refuses a password-reset link used as a verification link', async () => {
    const body = newSignup();
    await signup(body);
    await linkFromMail(ctx.smtp, body.email, /verify/i);
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email: body.email } });
    const resetPath = await linkFromMail(ctx.smtp, body.email, /reset/i);
    const token = resetPath.split('/').at(-1);
    const reply = await ctx.t.request({ method: 'GET', url: `/api/v1/auth/verify/${token}` });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_code, 'invalid_link');
  });

  it('refuses a made-up verification token', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/api/v1/auth/verify/not-a-real-token' });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_code, 'invalid_link');
  });

  it('shows a browser a page rather than JSON', async () => {
    const body = newSignup();
    await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    const html = { accept: 'text/html,application/xhtml+xml' };
    const ok = await ctx.t.request({ method: 'GET', url: path, headers: html });
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['content-type']), /text\/html/);
    assert.match(ok.text, /Email verified/);
    assert.match(ok.text, /<a href="\/api\/v1\/docs#\/auth\/post_api_v1_auth_login">Log in on the API docs page<\/a>/, 'a way on');
    const madeUp = await ctx.t.request({ method: 'GET', url: '/api/v1/auth/verify/not-a-real-token', headers: html });
    assert.equal(madeUp.status, 400);
    assert.match(madeUp.text, /Link not valid/);
    assert.match(madeUp.text, /<a href="\/api\/v1\/docs#\/auth\/post_api_v1_auth_resend_verification">/, 'a way to a new link');
  });

  it('tells whoever opens a spent or expired link of a verified account that it is verified already', async () => {
    const body = newSignup();
    await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email: body.email } });
    await waitUntil(async () => ctx.smtp.mailsTo(body.email).length === 2);
    const second = new URL(ctx.smtp.mailsTo(body.email)[1]?.links[0] as string).pathname;
    assert.equal((await ctx.t.request({ method: 'GET', url: path })).status, 200);

    const html = { accept: 'text/html,application/xhtml+xml' };
    // The link used, and the other one that verifying spent.
    for (const link of [path, second]) {
      const page = await ctx.t.request({ method: 'GET', url: link, headers: html });
      assert.equal(page.status, 400, 'a link still works once');
      assert.match(page.text, /<h1>Email verified already<\/h1>/);
      assert.match(page.text, /This email is verified already; log in/);
      assert.match(page.text, /<a href="\/api\/v1\/docs#\/auth\/post_api_v1_auth_login">Log in on the API docs page<\/a>/);
      const json = await ctx.t.request({ method: 'GET', url: link });
      assert.equal(json.status, 400);
      assert.equal(json.json.error_code, 'invalid_link');
      assert.equal(json.json.message, 'This email is verified already; log in');
    }
    await ctx.t.deps.db.update(linkTokens).set({ expiresAt: sql`now() - interval '1 second'` });
    assert.match((await ctx.t.request({ method: 'GET', url: path, headers: html })).text, /verified already/, 'expired since');
  });

  it('says nothing of an account for a link that is not a verification link of a verified one', async () => {
    const body = newSignup();
    await signup(body);
    const path = await linkFromMail(ctx.smtp, body.email, /verify/i);
    await ctx.t.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email: body.email } });
    const resetToken = (await linkFromMail(ctx.smtp, body.email, /reset/i)).split('/').at(-1);
    await ctx.t.deps.db.update(linkTokens).set({ expiresAt: sql`now() - interval '1 second'` });
    for (const [what, link] of [
      ['an expired link of an account not verified', path],
      ['a made-up token', '/api/v1/auth/verify/not-a-real-token'],
      ['a reset token', `/api/v1/auth/verify/${resetToken}`],
    ] as const) {
      const reply = await ctx.t.request({ method: 'GET', url: link });
      assert.equal(reply.status, 400, what);
      assert.equal(reply.json.error_code, 'invalid_link', what);
      assert.equal(reply.json.message, 'This link is invalid, has expired or has already been used', what);
    }
    // Even once its account is verified, a reset token is no verification link.
    await ctx.t.deps.db.update(users).set({ isVerified: true });
    const reset = await ctx.t.request({ method: 'GET', url: `/api/v1/auth/verify/${resetToken}` });
    assert.doesNotMatch(reset.json.message, /verified/);
  });

  it('answers a resend for something that is not an email with 422, and enqueues nothing', async () => {
    const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email: 'ada at example' } });
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.json.error_code, 'validation_error');
    assert.equal(reply.json.details[0].field, 'body.email');
    assert.equal((await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.verification-request'))).length, 0);
  });

  it('resends a link to an unverified account only, answering 202 either way', async () => {
    const unverified = newSignup();
    await signup(unverified);
    await ctx.smtp.waitForMail((m) => m.to.includes(unverified.email));
    for (const email of [unverified.email.toUpperCase(), 'nobody@example.com']) {
      const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email } });
      assert.equal(reply.status, 202);
    }
    await waitUntil(async () => ctx.smtp.mailsTo(unverified.email).length === 2);
    const links = ctx.smtp.mailsTo(unverified.email).map((m) => m.links[0]);
    assert.notEqual(links[0], links[1], 'each mail has its own link');
    for (const link of links) {
      assert.equal(
        (await ctx.t.request({ method: 'GET', url: new URL(link as string).pathname })).status,
        links.indexOf(link) === 0 ? 200 : 400,
      );
    }
    // Verified now: asking again sends nothing (the task that decides has run by then).
    const before = ctx.smtp.accepted;
    assert.equal(
      (await ctx.t.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email: unverified.email } })).status,
      202,
    );
    await waitUntil(async () => {
      const requests = await ctx.t.deps.db.select({ state: tasks.state }).from(tasks).where(eq(tasks.name, 'mail.verification-request'));
      return requests.length === 3 && requests.every((task) => task.state === 'completed');
    });
    await ctx.t.tasks?.stop(5000);
    assert.equal(ctx.smtp.accepted, before);
    assert.equal(ctx.smtp.mailsTo('nobody@example.com').length, 0);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
