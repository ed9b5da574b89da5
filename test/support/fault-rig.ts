import assert from 'node:assert/strict';
import pg from 'pg';
import { newSignup } from './accounts.js';
import type { ServerProcess } from './server-process.js';
import type { SmtpPeer } from './smtp-peer.js';

/** A reply read off the wire, as a client sees it. */
export interface WireReply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read field by field and asserted.
  json: any;
}

/** Calls a running Bookly over HTTP; a connection that fails answers status 0. */
export async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<WireReply> {
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json };
  } catch {
    return { status: 0, json: undefined };
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Signs up over HTTP, follows the verification mail, makes the account admin in `databaseUrl`, logs in: its credentials and access token. */
export async function adminOver(
  base: string,
  smtp: SmtpPeer,
  databaseUrl: string,
): Promise<{ email: string; password: string; token: string }> {
  const body = newSignup();
  assert.equal((await call(base, 'POST', '/api/v1/auth/signup', body)).status, 201);
  const mail = await smtp.waitForMail((m) => m.to.includes(body.email), 60_000);
  assert.equal((await call(base, 'GET', new URL(mail.links[0] as string).pathname)).status, 200);
  await sql(databaseUrl, `update users set role = 'admin' where email = '${body.email}'`);
  const login = await call(base, 'POST', '/api/v1/auth/login', { email: body.email, password: body.password });
  assert.equal(login.status, 200);
  return { email: body.email, password: body.password, token: login.json.access_token };
}

/** The access token of a new admin made as `adminOver` does. */
export async function adminToken(base: string, smtp: SmtpPeer, databaseUrl: string): Promise<string> {
  return (await adminOver(base, smtp, databaseUrl)).token;
}

/** One statement on a database, from a connection of its own. */
export async function sql(databaseUrl: string, text: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** What an SMTP server received for `addresses`: how many got theirs, and how many got it more than once. */
export function deliveries(smtp: SmtpPeer, addresses: readonly string[]): { delivered: number; duplicates: number } {
  const received = new Map<string, number>();
  for (const mail of smtp.mails) for (const to of mail.to) received.set(to.toLowerCase(), (received.get(to.toLowerCase()) ?? 0) + 1);
  let delivered = 0;
  let duplicates = 0;
  for (const address of addresses) {
    const count = received.get(address.toLowerCase()) ?? 0;
    if (count > 0) delivered++;
    if (count > 1) duplicates += count - 1;
  }
  return { delivered, duplicates };
}

export const bulkAddresses = (count: number, tag = 'bulk') => Array.from({ length: count }, (_, i) => `${tag}${i}@example.com`);

/** Prints a figure the README's Guarantees section quotes, in the test's output. */
export function report(fault: string, figures: Record<string, number | string>): void {
  console.log(
    `# fault: ${fault}: ${Object.entries(figures)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  );
}

/** Runs `work`; if it fails, prints what the processes logged above info first (their errors say why). */
export async function withOutputOnFailure<T>(processes: readonly ServerProcess[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    for (const process of processes) {
      const lines = process
        .output()
        .split('\n')
        .filter((line) => !line.includes('"level":30'));
      console.log(`output of pid ${process.child.pid}:\n${lines.slice(-20).join('\n')}`);
    }
    throw error;
  }
}
