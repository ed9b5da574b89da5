import assert from 'node:assert/strict';
import { it } from 'node:test';
import { adminAccount, verifiedAccount } from '../../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../../support/suite.js';

describeEachDatabase('bulk mail and task status', (ctx) => {
  const sendMail = (token: string, payload: unknown) =>
    ctx.t.request({ method: 'POST', url: '/api/v1/auth/send_mail', token, payload: payload as object });
  const task = (token: string, id: string) => ctx.t.request({ method: 'GET', url: `/api/v1/tasks/${id}`, token });

  it('sends one mail to each address, in the background, and reports the task as completed', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const addresses = Array.from({ length: 25 }, (_, i) => `reader${i}@example.com`);
    const reply = await sendMail(admin.accessToken, {
      addresses,
      subject: 'New books this week',
      html: '<p>Read <a href="https://example.com/dune">Dune</a></p>',
    });
    assert.equal(reply.status, 202);
    assert.match(reply.json.task_id, /^[0-9a-f-]{36}$/);

    for (const address of addresses) {
      const mail = await ctx.smtp.waitForMail((m) => m.to.includes(address));
      assert.deepEqual(mail.to, [address], 'recipients never see each other');
      assert.equal(mail.subject, 'New books this week');
      assert.match(mail.text, /Read Dune \(https:\/\/example.com\/dune\)/);
    }
    const status = await waitForState(ctx, admin.accessToken, reply.json.task_id, 'completed');
    assert.equal(status.name, 'mail.bulk');
    assert.equal(status.attempts_made, 1);
    assert.deepEqual(status.result, { recipients: 25 });
    assert.equal(status.error, null);
    assert.ok(status.finished_at);
  });

  it('sends an address given twice (in any case) once', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const reply = await sendMail(admin.accessToken, { addresses: ['twice@example.com', 'TWICE@example.com'] });
    await waitForState(ctx, admin.accessToken, reply.json.task_id, 'completed');
    await ctx.smtp.waitForMail((m) => m.to.includes('twice@example.com'));
    await ctx.t.tasks?.stop(5000);
    assert.equal(ctx.smtp.mails.filter((m) => m.to[0]?.toLowerCase() === 'twice@example.com').length, 1);
  });

  it('refuses a user who is not an admin with 403 insufficient_permissions', async () => {
    const user = await verifiedAccount(ctx.t, ctx.smtp);
    const reply = await sendMail(user.accessToken, { addresses: ['a@example.com'] });
    assert.equal(reply.status, 403);
    assert.equal(reply.json.error_code, 'insufficient_permissions');
  });

  for (const [what, body] of [
    ['no addresses', { addresses: [] }],
    ['1,001 addresses', { addresses: Array.from({ length: 1001 }, (_, i) => `r${i}@example.com`) }],
    ['a bad address', { addresses: ['fine@example.com', 'not an address'] }],
    ['no addresses field', {}],
  ] as const) {
    it(`answers ${what} with 422`, async () => {
      const admin = await adminAccount(ctx.t, ctx.smtp);
      const reply = await sendMail(admin.accessToken, body);
      assert.equal(reply.status, 422);
      assert.match(reply.json.details[0].field, /^body\.addresses/);
    });
  }

  it('shows a task only to an admin: anyone else gets 404 task_not_found', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const user = await verifiedAccount(ctx.t, ctx.smtp);
    const { json } = await sendMail(admin.accessToken, { addresses: ['a@example.com'] });
    assert.equal((await task(admin.accessToken, json.task_id)).status, 200);
    const hidden = await task(user.accessToken, json.task_id);
    assert.equal(hidden.status, 404);
    assert.equal(hidden.json.error_code, 'task_not_found');
    const unknown = await task(admin.accessToken, '00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'task_not_found');
  });

  it('refuses to retry a task that has not failed, or to cancel one that has finished, with 409', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const { json } = await sendMail(admin.accessToken, { addresses: ['a@example.com'] });
    await waitForState(ctx, admin.accessToken, json.task_id, 'completed');
    const act = (action: string) =>
      ctx.t.request({ method: 'POST', url: `/api/v1/tasks/${json.task_id}/${action}`, token: admin.accessToken });
    const retry = await act('retry');
    assert.equal(retry.status, 409, retry.text);
    assert.equal(retry.json.error_code, 'task_not_retryable');
    const cancel = await act('cancel');
    assert.equal(cancel.status, 409, cancel.text);
    assert.equal(cancel.json.error_code, 'task_not_cancellable');
    assert.equal((await task(admin.accessToken, json.task_id)).json.state, 'completed', 'neither changed it');
  });

  it('answers an unknown lane, mailing or suppressed address with 404 not_found', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    for (const [method, url] of [
      ['POST', '/api/v1/queues/no-such-lane/pause'],
      ['POST', '/api/v1/queues/no-such-lane/resume'],
      ['GET', '/api/v1/mail/mailings/5b0e7c1d-2a3f-4e4b-8c5d-6e7f8a9b0c1d'],
      ['DELETE', '/api/v1/mail/suppressions/never-unsubscribed@example.com'],
    ] as const) {
      const reply = await ctx.t.request({ method, url, token: admin.accessToken });
      assert.equal(reply.status, 404, `${method} ${url}: ${reply.text}`);
      assert.equal(reply.json.error_code, 'not_found', `${method} ${url}`);
    }
  });

  it('answers a form body that is not a one-click unsubscribe with 422, whatever the link', async () => {
    const reply = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/mail/unsubscribe/a-link-token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=Later',
    });
    assert.equal(reply.status, 422, reply.text);
    assert.equal(reply.json.error_code, 'validation_error');
    assert.equal(reply.json.details[0].field, 'body');
  });
});

describeEachDatabase(
  'auth rate limit',
  (ctx) => {
    it('answers the fourth login in a minute from one address with 429 rate_limited and Retry-After', async () => {
      const attempt = () =>
        ctx.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@example.com', password: 'whatever1' } });
      for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 401);
      const limited = await attempt();
      assert.equal(limited.status, 429);
      assert.equal(limited.json.error_code, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // Endpoints that neither check passwords nor send mail are not limited.
      assert.equal((await ctx.t.request({ method: 'GET', url: '/health' })).status, 200);
    });
  },
  { env: { AUTH_RATE_LIMIT: '3' } },
);

// biome-ignore lint/suspicious/noExplicitAny: the task body is asserted field by field.
async function waitForState(ctx: SuiteContext, token: string, id: string, state: string): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await ctx.t.request({ method: 'GET', url: `/api/v1/tasks/${id}`, token });
    assert.equal(reply.status, 200);
    if (reply.json.state === state) return reply.json;
    if (Date.now() > deadline) throw new Error(`task ${id} is ${reply.json.state}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
