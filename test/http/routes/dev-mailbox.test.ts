import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newSignup } from '../../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../../support/suite.js';

/** The mailbox once it holds `count` mails, newest first. */
async function mailbox(ctx: SuiteContext, count = 1) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = await ctx.t.request({ method: 'GET', url: '/dev/mailbox.json' });
    assert.equal(reply.status, 200);
    if (reply.json.length >= count) return reply.json;
    if (Date.now() > deadline) throw new Error('no mail in the dev mailbox');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachDatabase(
  'dev mailbox (no MAIL_SERVER)',
  (ctx) => {
    it('keeps the verification mail, with a link that verifies the account', async () => {
      const body = newSignup();
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
      const [mail] = await mailbox(ctx);
      assert.equal(mail.to, body.email);
      assert.equal(mail.subject, 'Verify your email');
      assert.match(mail.html, /<a href="http:\/\/bookly\.test\/api\/v1\/auth\/verify\//);
      assert.equal(mail.links.length, 1);
      const verify = await ctx.t.request({ method: 'GET', url: new URL(mail.links[0]).pathname, headers: { accept: 'text/html' } });
      assert.equal(verify.status, 200);
      assert.match(verify.text, /Email verified/);
    });

    it('lists mail newest first as a page, each message a page with clickable links', async () => {
      const older = newSignup();
      const newer = newSignup();
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: older });
      await mailbox(ctx);
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/password-reset-request', payload: { email: older.email } });
      await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: newer });
      const list = { json: await mailbox(ctx, 3) };

      const page = await ctx.t.request({ method: 'GET', url: '/dev/mailbox' });
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /text\/html/);
      const order = list.json.map((mail: { to: string }) => page.text.indexOf(mail.to));
      assert.ok(
        order.every((position: number) => position > 0),
        'every mail is listed',
      );
      const times = list.json.map((mail: { created_at: string }) => Date.parse(mail.created_at));
      assert.deepEqual(
        [...times].sort((a, b) => b - a),
        times,
        'newest first',
      );

      const reset = list.json.find((mail: { subject: string }) => /reset/i.test(mail.subject));
      const message = await ctx.t.request({ method: 'GET', url: `/dev/mailbox/${reset.id}` });
      assert.equal(message.status, 200);
      assert.ok(message.text.includes(`<a href="${reset.links[0]}">`), 'the link is clickable');
      assert.match(message.text, /<iframe sandbox=/);
      assert.equal((await ctx.t.request({ method: 'GET', url: '/dev/mailbox/00000000-0000-4000-8000-000000000000' })).status, 404);
    });

    it('shows a browser a page with the way back for a message that is not there; other clients keep the JSON error', async () => {
      const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
      for (const [id, status] of [
        ['00000000-0000-4000-8000-000000000000', 404],
        ['not-a-message-id', 422],
      ] as const) {
        const page = await ctx.t.request({ method: 'GET', url: `/dev/mailbox/${id}`, headers: browser });
        assert.equal(page.status, status, id);
        assert.match(String(page.headers['content-type']), /text\/html/, id);
        assert.match(page.text, /<h1>No such message<\/h1>/, id);
        assert.match(page.text, /<a href="\/dev\/mailbox">Back to the mailbox<\/a>/, id);
        assert.doesNotMatch(page.text, /error_code/, id);

        const json = await ctx.t.request({ method: 'GET', url: `/dev/mailbox/${id}` });
        assert.equal(json.status, status, id);
        assert.equal(json.json.error_code, status === 404 ? 'not_found' : 'validation_error', id);
      }
    });
  },
  { mail: 'dev-mailbox' },
);

describeEachDatabase('dev mailbox with an SMTP server', (ctx) => {
  it('does not exist', async () => {
    const reply = await ctx.t.request({ method: 'GET', url: '/dev/mailbox.json' });
    assert.equal(reply.status, 404);
    assert.equal(reply.json.error_code, 'not_found');
  });
});
