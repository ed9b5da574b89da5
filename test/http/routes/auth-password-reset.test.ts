import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { linkTokens, recipientSends, tasks } from '../../../src/db/schema/index.js';
import { linkFromMail, login, type TestAccount, verifiedAccount } from '../../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../../support/suite.js';

const newPassword = 'a brand new passphrase';

describeEachDatabase('password reset', (ctx) => {
  const requestReset = (email: string) => ctx.t.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email } });
  const confirm = (path: string, body: Record<string, string>) => ctx.t.request({ method: 'POST', url: path, payload: body });

  it('mails a reset link to an existing account; the new password works and the old one does not', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await requestReset(account.email.toUpperCase());
    assert.equal(reply.status, 200);
    const path = await resetLink(ctx, account);
    assert.match(path, /^\/api\/v1\/auth\/password-reset-confirm\/[\w-]{20,}$/);
    const done = await confirm(path, { new_password: newPassword, confirm_new_password: newPassword });
    assert.equal(done.status, 200, done.text);
    await login(ctx.t, account.email, newPassword);
    const old = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: account.email, password: account.password },
    });
    assert.equal(old.status, 401);
  });

  it('answers 200 for an unknown email and sends nothing', async () => {
    const reply = await requestReset('nobody@example.com');
    assert.equal(reply.status, 200);
    // The request only enqueues; the task decides, and finds no account.
    await taskDone(ctx, 'mail.reset-request');
    await ctx.t.tasks?.stop(5000);
    assert.equal(ctx.smtp.mails.length, 0);
    assert.equal((await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.reset-password'))).length, 0);
  });

  it('answers a reset request for something that is not an email with 422, and enqueues nothing', async () => {
    const reply = await requestReset('ada at example');
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.json.error_code, 'validation_error');
    assert.equal(reply.json.details[0].field, 'body.email');
    assert.equal((await ctx.t.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.reset-request'))).length, 0);
  });

  it('refuses every token issued before the reset', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    await confirm(await resetLink(ctx, account), { new_password: newPassword, confirm_new_password: newPassword });
    const access = await ctx.t.request({ method: 'GET', url: '/api/v1/auth/me', token: account.accessToken });
    assert.equal(access.status, 401);
    assert.equal(access.json.error_code, 'token_revoked');
    const refresh = await ctx.t.request({ method: 'GET', url: '/api/v1/auth/refresh_token', token: account.refreshToken });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.json.error_code, 'token_revoked');
    const fresh = await login(ctx.t, account.email, newPassword);
    assert.equal((await ctx.t.request({ method: 'GET', url: '/api/v1/auth/me', token: fresh.accessToken })).status, 200);
  });

  it('uses a link once, and spends the other open reset links with it', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    await waitForMails(ctx, account.email, /reset/i, 1);
    // A second reset mail within the minute would be held back by the per-recipient limit.
    await ctx.t.deps.db.update(recipientSends).set({ sentAt: sql`array[now() - interval '2 minutes']` });
    await requestReset(account.email);
    await waitForMails(ctx, account.email, /reset/i, 2);
    const [first, second] = ctx.smtp
      .mailsTo(account.email)
      .filter((m) => /reset/i.test(m.subject))
      .map((m) => new URL(m.links[0] as string).pathname);
    const body = { new_password: newPassword, confirm_new_password: newPassword };
    assert.equal((await confirm(first as string, body)).status, 200);
    for (const path of [first, second]) {
      const again = await confirm(path as string, body);
      assert.equal(again.status, 400);
      assert.equal(again.json.error_code, 'invalid_link');
    }
  });

  it('refuses a link an hour old', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    const path = await resetLink(ctx, account);
    const [row] = await ctx.t.deps.db
      .select({ minutes: sql<number>`extract(epoch from ${linkTokens.expiresAt} - ${linkTokens.createdAt}) / 60` })
      .from(linkTokens)
      .where(sql`${linkTokens.purpose} = 'reset_password'`);
    assert.ok(Math.abs(Number(row?.minutes) - 60) < 0.1, `lifetime ${row?.minutes} min`);
    await ctx.t.deps.db.update(linkTokens).set({ expiresAt: sql`now() - interval '1 second'` });
    const reply = await confirm(path, { new_password: newPassword, confirm_new_password: newPassword });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_code, 'invalid_link');
  });

  it('refuses a verification link used as a reset link', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const verifyPath = await linkFromMail(ctx.smtp, account.email, /verify/i);
    const token = verifyPath.split('/').at(-1);
    const reply = await confirm(`/api/v1/auth/password-reset-confirm/${token}`, {
      new_password: newPassword,
      confirm_new_password: newPassword,
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error_code, 'invalid_link');
  });

  it('answers a mismatch with 422 naming confirm_new_password, and keeps the link and the password', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    const path = await resetLink(ctx, account);
    const reply = await confirm(path, { new_password: newPassword, confirm_new_password: `${newPassword}!` });
    assert.equal(reply.status, 422);
    assert.equal(reply.json.error_code, 'validation_error');
    assert.deepEqual(
      reply.json.details.map((d: { field: string }) => d.field),
      ['body.confirm_new_password'],
    );
    await login(ctx.t, account.email, account.password);
    assert.equal((await confirm(path, { new_password: newPassword, confirm_new_password: newPassword })).status, 200);
  });

  it('answers a short new password with 422', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    const reply = await confirm(await resetLink(ctx, account), { new_password: 'short', confirm_new_password: 'short' });
    assert.equal(reply.status, 422);
    assert.equal(reply.json.details[0].field, 'body.new_password');
  });

  it('gives a browser a form that posts the new password without JavaScript', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    const path = await resetLink(ctx, account);
    const page = await ctx.t.request({ method: 'GET', url: path, headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.text, /<form method="post">/);
    assert.match(page.text, /name="new_password"/);
    assert.doesNotMatch(page.text, /<script/);
    const form = (body: string) =>
      ctx.t.request({
        method: 'POST',
        url: path,
        payload: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      });
    // What the form says is wrong, in its own words: never a field name.
    const problem = (html: string) => /<p class="error">([^<]*)<\/p>/.exec(html)?.[1];
    const mismatch = await form('new_password=a+brand+new+passphrase&confirm_new_password=something+else');
    assert.equal(mismatch.status, 422);
    assert.match(mismatch.text, /<form/);
    assert.equal(problem(mismatch.text), 'The two passwords are not the same: type the same new password in both fields.');
    const short = await form('new_password=short&confirm_new_password=short');
    assert.equal(short.status, 422);
    assert.equal(problem(short.text), 'The new password must be at least 8 characters long.');
    const missing = await form('new_password=a+brand+new+passphrase');
    assert.equal(missing.status, 422);
    assert.equal(problem(missing.text), 'The password typed again is required.');
    for (const page of [mismatch, short, missing]) assert.doesNotMatch(problem(page.text) ?? '', /_password|body\./);

    const done = await form('new_password=a+brand+new+passphrase&confirm_new_password=a+brand+new+passphrase');
    assert.equal(done.status, 200);
    assert.match(done.text, /Password changed/);
    assert.match(done.text, /<a href="\/api\/v1\/docs#\/auth\/post_api_v1_auth_login">Log in on the API docs page<\/a>/, 'a way on');
    await login(ctx.t, account.email, newPassword);
    for (const spent of [
      await ctx.t.request({ method: 'GET', url: path, headers: { accept: 'text/html' } }),
      await form('new_password=a+brand+new+passphrase&confirm_new_password=a+brand+new+passphrase'),
    ]) {
      assert.equal(spent.status, 400);
      assert.match(spent.text, /Link not valid/);
      assert.match(spent.text, /<a href="\/api\/v1\/docs#\/auth\/post_api_v1_auth_password_reset_request">/, 'a way to a new link');
    }
  });

  it('tells a JSON client whether a link is still good without spending it', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await requestReset(account.email);
    const path = await resetLink(ctx, account);
    assert.equal((await ctx.t.request({ method: 'GET', url: path })).status, 200);
    assert.equal((await ctx.t.request({ method: 'GET', url: path })).status, 200);
    assert.equal((await ctx.t.request({ method: 'GET', url: `${path}x` })).status, 400);
  });
});

async function resetLink(ctx: SuiteContext, account: TestAccount): Promise<string> {
  return linkFromMail(ctx.smtp, account.email, /reset/i);
}

async function waitForMails(ctx: SuiteContext, email: string, subject: RegExp, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (ctx.smtp.mailsTo(email).filter((m) => subject.test(m.subject)).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} mails`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the one task named `name` has completed. */
async function taskDone(ctx: SuiteContext, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [task] = await ctx.t.deps.db.select({ state: tasks.state }).from(tasks).where(eq(tasks.name, name));
    if (task?.state === 'completed') return;
    if (Date.now() > deadline) throw new Error(`${name} is ${task?.state ?? 'missing'}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
