import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newSignup } from '../support/accounts.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/fault-rig.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A provider that takes seconds to answer each message is met with as many
 * connections as the default lane runs tasks, up to the process's share of
 * MAIL_MAX_CONNECTIONS: counted at a real SMTP server holding every answer.
 */
describe('SMTP connections follow the tasks in flight', () => {
  let db: TestDatabase;
  let smtp: SmtpPeer;
  let t: TestApp | undefined;
  let release: (() => void) | undefined;

  before(async () => {
    db = await openTestDatabase('postgres');
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(async () => {
    await smtp.close();
    await db.close();
  });
  afterEach(async () => {
    release?.();
    await t?.close();
    t = undefined;
    await db.reset();
    smtp.reset();
  });

  /** Signs up `count` users while the server holds every answer; what is held once it stops growing, then every mail. */
  async function heldAtOnce(env: Record<string, string>, count: number): Promise<{ held: number; sessions: number }> {
    t = await startTestApp({ db, smtp, env });
    const app = t;
    release = smtp.hold();
    const emails: string[] = [];
    for (let i = 0; i < count; i++) {
      const body = newSignup();
      emails.push(body.email);
      const reply = await app.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
      assert.equal(reply.status, 201, reply.text);
    }
    await waitFor('a held message', () => smtp.held > 0, 10_000);
    // Held answers do not end: once the count has not moved for a while, it is all the connections will carry.
    let held = -1;
    while (held !== smtp.held) {
      held = smtp.held;
      await sleep(500);
    }
    const sessions = smtp.peakSessions;
    release();
    for (const email of emails) await smtp.waitForMail((mail) => mail.to.includes(email.toLowerCase()), 20_000);
    return { held, sessions };
  }

  it('opens a connection for every task the lane runs at once', async () => {
    const { held, sessions } = await heldAtOnce({ WORKER_CONCURRENCY: '6' }, 9);
    assert.equal(held, 6, 'six verification mails at the server at once');
    assert.equal(sessions, 6, 'over six connections');
    assert.equal(smtp.accepted, 9);
  });

  it('keeps to its share of MAIL_MAX_CONNECTIONS, half for each lane', async () => {
    const { held, sessions } = await heldAtOnce({ WORKER_CONCURRENCY: '6', MAIL_MAX_CONNECTIONS: '6' }, 9);
    assert.equal(held, 3, 'three at once: the default lane’s half of six');
    assert.equal(sessions, 3);
    assert.equal(smtp.accepted, 9);
  });
});
