import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SmtpPeer } from './smtp-peer.js';
import type { TestApp } from './test-app.js';

export interface TestAccount {
  uid: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export function newSignup(overrides: Record<string, unknown> = {}) {
  const id = randomBytes(4).toString('hex');
  return {
    first_name: 'Ada',
    last_name: 'Lovelace',
    username: `ada-${id}`,
    email: `ada-${id}@example.com`,
    password: 'correct horse battery',
    ...overrides,
  };
}

/** The path of the link in the first mail to `email` whose subject matches (waiting for it to arrive). */
export async function linkFromMail(smtp: SmtpPeer, email: string, subject: RegExp): Promise<string> {
  const mail = await smtp.waitForMail((m) => m.to.some((to) => to.toLowerCase() === email.toLowerCase()) && subject.test(m.subject));
  const link = mail.links[0];
  assert.ok(link, 'the mail carries a link');
  return new URL(link).pathname;
}

/** Signs up through the API, follows the verification mail's link, and logs in. */
export async function verifiedAccount(t: TestApp, smtp: SmtpPeer, overrides: Record<string, unknown> = {}): Promise<TestAccount> {
  const body = newSignup(overrides);
  const signup = await t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
  assert.equal(signup.status, 201, signup.text);
  const verify = await t.request({ method: 'GET', url: await linkFromMail(smtp, body.email, /verify/i) });
  assert.equal(verify.status, 200, verify.text);
  return { uid: signup.json.user.uid, ...(await login(t, body.email, body.password)) };
}

export async function login(t: TestApp, email: string, password: string): Promise<Omit<TestAccount, 'uid'>> {
  const reply = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  assert.equal(reply.status, 200, reply.text);
  return { email, password, accessToken: reply.json.access_token, refreshToken: reply.json.refresh_token };
}

/** A verified admin (promoted the way `users:promote` does). */
export async function adminAccount(t: TestApp, smtp: SmtpPeer): Promise<TestAccount> {
  const account = await verifiedAccount(t, smtp);
  await t.deps.accounts.promoteToAdmin(account.email);
  return account;
}
