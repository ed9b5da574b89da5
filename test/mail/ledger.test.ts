import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { tasks } from '../../src/db/schema/index.js';
import { committed } from '../../src/tasks/task-store.js';
import { adminAccount, newSignup, type TestAccount } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';
import { smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

type Ctx = Pick<SuiteContext, 't' | 'smtp'>;

/**
 * The mail ledger over a real SMTP server: an entry for every message, with
 * the states it goes through and what the server said; the Message-ID the
 * server received is the entry's, on every attempt; a message sent is never
 * sent again; an address that unsubscribed gets no bulk mail.
 */
function ledgerCases(ctx: Ctx) {
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: Record<string, unknown>) =>
    ctx.t.request({ method, url: `/api/v1${url}`, token, payload });
  const entriesTo = async (admin: TestAccount, recipient: string) =>
    (await api('GET', `/mail/messages?recipient=${encodeURIComponent(recipient)}`, admin.accessToken)).json;
  const sendMail = async (admin: TestAccount, addresses: string[]) => {
    const sent = await api('POST', '/auth/send_mail', admin.accessToken, { addresses, subject: 'News' });
    assert.equal(sent.status, 202);
    return sent.json as { task_id: string; mailing_id: string };
  };
  const settled = (admin: TestAccount, recipient: string, state: string) =>
    waitFor(`the entry to ${recipient} to be ${state}`, async () => (await entriesTo(admin, recipient))[0]?.state === state);

  it('records a verification mail as sent, with the Message-ID the server received and its 250', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    const body = newSignup();
    await api('POST', '/auth/signup', undefined, body);
    const mail = await ctx.smtp.waitForMail((m) => m.to.includes(body.email));
    await settled(admin, body.email.toUpperCase(), 'sent');
    const [entry] = await entriesTo(admin, body.email);
    assert.equal(entry.kind, 'verify');
    assert.equal(entry.subject, 'Verify your email');
    assert.equal(entry.attempts, 1);
    assert.match(entry.smtp_response, /^250\b/);
    assert.equal(entry.message_id, mail.messageId, 'the server got the entry’s Message-ID');
    assert.match(entry.message_id, /^<[0-9a-f-]{36}@bookly\.test>$/);
    assert.equal(entry.mailing_id, null);
    assert.ok(Date.parse(entry.sent_at) >= Date.parse(entry.created_at));
    const [task] = await ctx.t.deps.db.select().from(tasks).where(eq(tasks.id, entry.task_id));
    assert.equal(task?.name, 'mail.verify-email');
  });

  it('keeps one Message-ID across a 4xx refusal and the retry that is accepted', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    ctx.smtp.refuse(1, 451);
    await sendMail(admin, ['later@example.com']);
    const mail = await ctx.smtp.waitForMail((m) => m.to.includes('later@example.com'));
    await settled(admin, 'later@example.com', 'sent');
    const [entry] = await entriesTo(admin, 'later@example.com');
    assert.equal(entry.attempts, 2);
    assert.deepEqual(ctx.smtp.refusedMessageIds, [entry.message_id], 'the refused attempt carried it');
    assert.equal(mail.messageId, entry.message_id, 'and so did the accepted one');
  });

  it('records a 5xx refusal as failed, with the server’s reply', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    ctx.smtp.refuse(1, 550);
    await sendMail(admin, ['nobody@example.com']);
    await settled(admin, 'nobody@example.com', 'failed');
    const [entry] = await entriesTo(admin, 'nobody@example.com');
    assert.match(entry.smtp_response, /^550\b/);
    assert.equal(entry.sent_at, null);
  });

  it('never sends a message twice: a task that runs again finds its entry sent', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    await sendMail(admin, ['once@example.com']);
    await settled(admin, 'once@example.com', 'sent');
    const [entry] = await entriesTo(admin, 'once@example.com');
    await waitFor(
      'its task to complete',
      async () => (await ctx.t.deps.db.select().from(tasks).where(eq(tasks.id, entry.task_id)))[0]?.state === 'completed',
    );
    // As if its process had died after the server's 250, before the task's outcome was written.
    const [again] = await ctx.t.deps.db
      .update(tasks)
      .set({ state: 'pending', attemptsMade: 0, finishedAt: null, relayedAt: null })
      .where(eq(tasks.id, entry.task_id))
      .returning();
    await ctx.t.deps.taskBackend.requeue(committed(again as typeof tasks.$inferSelect));
    let result: unknown;
    await waitFor('the task to run again', async () => {
      const [row] = await ctx.t.deps.db.select().from(tasks).where(eq(tasks.id, entry.task_id));
      result = row?.result;
      return row?.state === 'completed';
    });
    assert.deepEqual(result, { skipped: 'the message is sent already' });
    assert.equal(ctx.smtp.mailsTo('once@example.com').length, 1);
    assert.equal((await entriesTo(admin, 'once@example.com'))[0].attempts, 1);
  });

  it('shows a mailing’s progress by state, and lists its messages', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    ctx.smtp.refuse(1, 550);
    const { mailing_id } = await sendMail(admin, ['a@example.com', 'b@example.com', 'c@example.com']);
    await waitFor('every message settled', async () => {
      const progress = (await api('GET', `/mail/mailings/${mailing_id}`, admin.accessToken)).json;
      return progress.counts.queued === 0;
    });
    const progress = (await api('GET', `/mail/mailings/${mailing_id}`, admin.accessToken)).json;
    assert.equal(progress.recipients, 3);
    assert.equal(progress.subject, 'News');
    assert.deepEqual(progress.counts, { queued: 0, sent: 2, failed: 1, suppressed: 0 });
    const listed = await api('GET', `/mail/messages?mailing_id=${mailing_id}&state=sent&limit=1`, admin.accessToken);
    assert.equal(listed.json.length, 1);
    assert.equal(listed.headers['x-total-count'], '2');
    assert.equal((await api('GET', `/mail/messages?kind=bogus`, admin.accessToken)).status, 422);
    assert.equal((await api('GET', `/mail/mailings/${crypto.randomUUID()}`, admin.accessToken)).json.error_code, 'not_found');
  });

  it('unsubscribes with the RFC 8058 one-click post: no more bulk mail, a reset mail still comes', async () => {
    const admin = await adminAccount(ctx.t, ctx.smtp);
    await sendMail(admin, [admin.email]);
    const mail = await ctx.smtp.waitForMail((m) => m.to.includes(admin.email) && m.subject === 'News');
    const header = mail.headers.get('list-unsubscribe') ?? '';
    assert.equal(mail.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    const link = /^<(https?:\/\/[^>]+)>$/.exec(header)?.[1] as string;
    assert.match(link, /^http:\/\/bookly\.test\/api\/v1\/mail\/unsubscribe\/[\w-]{20,}$/);
    assert.ok(mail.text.includes(link), 'the text part shows the link');
    assert.ok(mail.html.includes(link), 'so does the HTML part');
    const path = new URL(link).pathname;

    const looked = await ctx.t.request({ method: 'GET', url: path, headers: { accept: 'text/html' } });
    assert.equal(looked.status, 200);
    assert.match(looked.text, /<form method="post">[\s\S]*<button type="submit">Unsubscribe<\/button>/);
    assert.deepEqual((await api('GET', '/mail/suppressions', admin.accessToken)).json, [], 'opening the link changed nothing');

    const clicked = await ctx.t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    assert.equal(clicked.status, 200, clicked.text);
    const suppressions = (await api('GET', '/mail/suppressions', admin.accessToken)).json;
    assert.deepEqual(
      suppressions.map((row: { email: string; reason: string }) => [row.email, row.reason]),
      [[admin.email.toLowerCase(), 'unsubscribed']],
    );
    assert.equal((await ctx.t.request({ method: 'POST', url: path, payload: {} })).status, 200, 'twice is once');

    const { mailing_id } = await sendMail(admin, [admin.email, 'other@example.com']);
    await ctx.smtp.waitForMail((m) => m.to.includes('other@example.com'));
    await waitFor(
      'the mailing to settle',
      async () => (await api('GET', `/mail/mailings/${mailing_id}`, admin.accessToken)).json.counts.queued === 0,
    );
    assert.deepEqual((await api('GET', `/mail/mailings/${mailing_id}`, admin.accessToken)).json.counts, {
      queued: 0,
      sent: 1,
      failed: 0,
      suppressed: 1,
    });
    const skipped = (await api('GET', `/mail/messages?mailing_id=${mailing_id}&state=suppressed`, admin.accessToken)).json;
    assert.equal(skipped[0].reason, 'the address unsubscribed');
    assert.equal(ctx.smtp.mailsTo(admin.email).filter((m) => m.subject === 'News').length, 1, 'only the mailing before');

    await api('POST', '/auth/password-reset-request', undefined, { email: admin.email });
    await ctx.smtp.waitForMail((m) => m.to.includes(admin.email) && /reset/i.test(m.subject));

    assert.equal((await api('DELETE', `/mail/suppressions/${encodeURIComponent(admin.email)}`, admin.accessToken)).status, 204);
    assert.deepEqual((await api('GET', '/mail/suppressions', admin.accessToken)).json, []);
    assert.equal((await api('DELETE', `/mail/suppressions/${encodeURIComponent(admin.email)}`, admin.accessToken)).status, 404);
  });

  it('refuses an unsubscribe link no mail carried, and a body that is not one-click', async () => {
    const bogus = await ctx.t.request({ method: 'POST', url: '/api/v1/mail/unsubscribe/not-a-token', payload: {} });
    assert.equal(bogus.status, 400);
    assert.equal(bogus.json.error_code, 'invalid_link');
    const page = await ctx.t.request({ method: 'GET', url: '/api/v1/mail/unsubscribe/not-a-token', headers: { accept: 'text/html' } });
    assert.equal(page.status, 400);
    const wrong = await ctx.t.request({
      method: 'POST',
      url: '/api/v1/mail/unsubscribe/not-a-token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=Maybe',
    });
    assert.equal(wrong.json.error_code, 'validation_error');
    const user = await ctx.t.request({ method: 'GET', url: '/api/v1/mail/messages' });
    assert.equal(user.status, 401);
  });
}

describeEachDatabase('the mail ledger (in-process mode)', (ctx) => ledgerCases(ctx));

describe('the mail ledger (Redis mode, PostgreSQL)', () => {
  const ctx = {} as Ctx & { t: TestApp };
  let db: TestDatabase;
  let prefix = '';
  before(async () => {
    db = await openTestDatabase('postgres');
    ctx.smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  beforeEach(async () => {
    await db.reset();
    ctx.smtp.reset();
    prefix = testPrefix();
    ctx.t = await startTestApp({ db, smtp: ctx.smtp, env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, API_RUNS_TASKS: 'true' } });
  });
  afterEach(async () => {
    await ctx.t.close();
    await deleteKeys(redisUrl, prefix);
  });
  after(async () => {
    await ctx.smtp.close();
    await db.close();
  });
  ledgerCases(ctx);
});
