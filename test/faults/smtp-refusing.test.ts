import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { tasks } from '../../src/db/schema/index.js';
import { adminAccount, newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { report, waitFor } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The SMTP server refuses for longer than a verification mail's attempts
 * last. The task ends `failed`, with the refusal, for an admin to see; the
 * user asks again, and that mail arrives.
 */
describe('SMTP refusing longer than every attempt', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let t: TestApp | undefined;
  let prefix: string | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  afterEach(async () => {
    await t?.close();
    if (prefix) await deleteKeys(redisUrl, prefix);
    await db.reset();
    smtp.reset();
  });
  after(async () => {
    await smtp.close();
    await db.close();
  });

  for (const mode of ['in-process', 'bullmq'] as const) {
    it(`${mode}: the task fails, visibly, and asking again sends the mail`, { timeout: 120_000 }, async () => {
      prefix = mode === 'bullmq' ? testPrefix() : undefined;
      const env: Record<string, string> = prefix ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, API_RUNS_TASKS: 'true' } : {};
      const app = await startTestApp({ db, smtp, env });
      t = app;
      const admin = await adminAccount(app, smtp);
      smtp.refuse(1000, 451);
      const body = newSignup();
      const signup = await app.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
      assert.equal(signup.status, 201);
      const ofUser = async () =>
        (await app.deps.db.select().from(tasks).where(eq(tasks.name, 'mail.verify-email'))).filter(
          (row) => (row.payload as { userUid: string }).userUid === signup.json.user.uid,
        );
      await waitFor('the task to fail', async () => (await ofUser())[0]?.state === 'failed', 90_000);
      const [failed] = await ofUser();
      const shown = await app.request({ method: 'GET', url: `/api/v1/tasks/${failed?.id}`, token: admin.accessToken });
      assert.equal(shown.json.state, 'failed');
      assert.equal(shown.json.attempts_made, shown.json.max_attempts);
      assert.match(shown.json.error, /451|Try again later/);
      const refused = smtp.refused;

      smtp.reset();
      const again = await app.request({ method: 'POST', url: '/api/v1/auth/resend-verification', payload: { email: body.email } });
      assert.equal(again.status, 202);
      await smtp.waitForMail((m) => m.to.includes(body.email), 30_000);
      report(`SMTP refusing longer than all attempts (${mode})`, {
        refusals: refused,
        attempts: shown.json.attempts_made,
        deliveredAfterAsking: 1,
      });
    });
  }
});
