import { newSignup } from '../../test/support/accounts.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import type { Stack } from './stack.js';

/**
 * A verified account, made the way a user makes one: signup, the link from
 * the mail, login. Admin when asked (set in the database, as
 * `users:promote` does; PostgreSQL only).
 */
export async function benchAccount(
  stack: Stack,
  smtp: SmtpPeer,
  admin = false,
): Promise<{ token: string; uid: string; email: string; password: string }> {
  const body = newSignup();
  const parse = smtp.parse;
  smtp.parse = true;
  try {
    const signup = await fetch(`${stack.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const { user } = (await signup.json()) as { user: { uid: string } };
    const mail = await smtp.waitForMail((m) => m.to.includes(body.email), 30_000);
    await fetch(`${stack.url}${new URL(mail.links[0] as string).pathname}`).then((r) => r.arrayBuffer());
    if (admin) await stack.sql?.query(`update users set role = 'admin' where uid = $1`, [user.uid]);
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: body.email, password: body.password }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    return { token: access_token, uid: user.uid, email: body.email, password: body.password };
  } finally {
    smtp.parse = parse;
  }
}
