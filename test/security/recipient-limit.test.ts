import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eq, notInArray, sql } from 'drizzle-orm';
import { type LimitedMailKind, recipientSends, tasks } from '../../src/db/schema/index.js';
import { claimRecipientSend } from '../../src/mail/recipient-limit.js';
import { newSignup, verifiedAccount } from '../support/accounts.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';

const limited = { skipped: 'the per-recipient limit' };

describeEachDatabase('verification and reset mail limited per recipient', (ctx) => {
  const ask = (endpoint: 'resend-verification' | 'password-reset-request', email: string) =>
    ctx.t.request({ method: 'POST', url: `/api/v1/auth/${endpoint}`, payload: { email } });
  const resetMails = (email: string) => ctx.smtp.mailsTo(email).filter((mail) => /reset/i.test(mail.subject));
  const verifyMails = (email: string) => ctx.smtp.mailsTo(email).filter((mail) => /verify/i.test(mail.subject));

  it('sends one reset mail for 20 requests to one address; the other 19 answer the same and send nothing', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask('password-reset-request', i % 2 ? account.email.toUpperCase() : account.email)),
    );
    assert.deepEqual(new Set(replies.map((reply) => `${reply.status} ${reply.text}`)).size, 1, 'every answer the same');
    assert.equal(replies[0]?.status, 200);
    await allTasksDone(ctx);

    assert.equal(resetMails(account.email).length, 1);
    const decisions = await resultsOf(ctx, 'mail.reset-request');
    assert.equal(decisions.length, 20);
    assert.equal(decisions.filter((result) => 'enqueued' in result).length, 1);
    assert.deepEqual(
      decisions.filter((result) => !('enqueued' in result)),
      Array.from({ length: 19 }, () => limited),
    );
    assert.equal((await resultsOf(ctx, 'mail.reset-password')).length, 1);
  });

  it('lets one of 20 racing claims for one address through, each on a connection of its own', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, () => claimRecipientSend(ctx.t.deps.db, 'race@example.com', 'reset')));
    assert.equal(claims.filter(Boolean).length, 1);
  });

  it('limits verification and reset mail apart: one of each goes out to the same address', async () => {
    const signup = newSignup();
    assert.equal((await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: signup })).status, 201);
    await ctx.smtp.waitForMail((mail) => mail.to.includes(signup.email));
    for (let i = 0; i < 2; i++) {
      assert.equal((await ask('resend-verification', signup.email)).status, 202);
      assert.equal((await ask('password-reset-request', signup.email)).status, 200);
    }
    await allTasksDone(ctx);
    // The signup's mail and one resend; one reset; the second of each kind sends nothing.
    assert.equal(verifyMails(signup.email).length, 2);
    assert.equal(resetMails(signup.email).length, 1);
    assert.deepEqual(
      (await resultsOf(ctx, 'mail.verification-request')).filter((result) => !('enqueued' in result)),
      [limited],
    );
    assert.deepEqual(
      (await resultsOf(ctx, 'mail.reset-request')).filter((result) => !('enqueued' in result)),
      [limited],
    );
  });

  it('sends nothing more once five went to the address in the hour, and again when the oldest is an hour old', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await sentBefore(ctx, account.email, 'reset', [59, 50, 40, 30, 10]);
    assert.equal((await ask('password-reset-request', account.email)).status, 200);
    await allTasksDone(ctx);
    assert.equal(resetMails(account.email).length, 0);
    assert.deepEqual(await resultsOf(ctx, 'mail.reset-request'), [limited]);

    await sentBefore(ctx, account.email, 'reset', [61, 50, 40, 30, 10]);
    assert.equal((await ask('password-reset-request', account.email)).status, 200);
    await allTasksDone(ctx);
    assert.equal(resetMails(account.email).length, 1);
    // The send over an hour old no longer counts and is dropped from the row.
    const [row] = await ctx.t.deps.db.select().from(recipientSends).where(eq(recipientSends.kind, 'reset'));
    assert.equal(row?.sentAt.length, 5);
  });

  it('sends nothing within a minute of the last mail of the kind, and again after it', async () => {
    const account = await verifiedAccount(ctx.t, ctx.smtp);
    await sentBefore(ctx, account.email, 'reset', [0.5]);
    assert.equal((await ask('password-reset-request', account.email)).status, 200);
    await allTasksDone(ctx);
    assert.equal(resetMails(account.email).length, 0);

    await sentBefore(ctx, account.email, 'reset', [1.1]);
    assert.equal((await ask('password-reset-request', account.email)).status, 200);
    await allTasksDone(ctx);
    assert.equal(resetMails(account.email).length, 1);
  });
});

/** Records sends of `kind` to `email` as granted this many minutes ago (by the database's clock), in place of any. */
async function sentBefore(ctx: SuiteContext, email: string, kind: LimitedMailKind, minutesAgo: number[]): Promise<void> {
  const times = sql.join(
    minutesAgo.map((minutes) => sql`now() - ${minutes}::float8 * interval '1 minute'`),
    sql`, `,
  );
  const sentAt = sql`array[${times}]::timestamptz[]`;
  const lastSentAt = sql`now() - ${Math.min(...minutesAgo)}::float8 * interval '1 minute'`;
  await ctx.t.deps.db
    .insert(recipientSends)
    .values({ address: email.toLowerCase(), kind, sentAt, lastSentAt })
    .onConflictDoUpdate({ target: [recipientSends.address, recipientSends.kind], set: { sentAt, lastSentAt } });
}

/** Waits until no task is left to run (the decisions, and the mail tasks they enqueued in the same commit). */
async function allTasksDone(ctx: SuiteContext, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await ctx.t.deps.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(notInArray(tasks.state, ['completed', 'failed']));
    if (open.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${open.length} tasks still open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function resultsOf(ctx: SuiteContext, name: string): Promise<Record<string, unknown>[]> {
  const rows = await ctx.t.deps.db.select({ state: tasks.state, result: tasks.result }).from(tasks).where(eq(tasks.name, name));
  for (const row of rows) assert.equal(row.state, 'completed', `a ${name} task ${row.state}`);
  return rows.map((row) => row.result as Record<string, unknown>);
}
