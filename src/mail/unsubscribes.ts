import { createHmac } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.js';
import { mailSuppressions, unsubscribeTokens } from '../db/schema/index.js';
import { tokenDigest } from '../lib/token-digest.js';

export interface Suppression {
  readonly email: string;
  readonly reason: 'unsubscribed';
  readonly createdAt: Date;
}

/**
 * One-click unsubscribe (RFC 8058) and the suppression list it feeds. Each
 * address has one token, derived from the address and the app's secret, so
 * every bulk mail to it carries the same link; only the token's SHA-256 is
 * stored, with the address, and it never expires. An address on the list
 * gets no bulk mail; verification and reset mail still reach it.
 */
export class Unsubscribes {
  private readonly key: Buffer;

  constructor(
    private readonly db: Db,
    secret: string,
  ) {
    this.key = createHmac('sha256', secret).update('bookly.unsubscribe').digest();
  }

  /** The token of `email`'s unsubscribe link (the same every time; `record` stores it). */
  tokenOf(email: string): string {
    return createHmac('sha256', this.key).update(normalized(email)).digest('base64url');
  }

  /** Stores the tokens of these addresses (hashed), with a mailing's fan-out: one statement for all. */
  async record(executor: Executor, emails: readonly string[]): Promise<void> {
    if (emails.length === 0) return;
    // One JSON parameter, as the fan-out's other inserts: not two parameters for each of a thousand rows.
    const rows = JSON.stringify(emails.map((email) => ({ tokenHash: tokenDigest(this.tokenOf(email)), email: normalized(email) })));
    await executor.execute(sql`
      insert into ${unsubscribeTokens} (token_hash, email)
      select r->>'tokenHash', r->>'email' from jsonb_array_elements(${rows}::jsonb) as r
      on conflict (token_hash) do nothing`);
  }

  /** The address of a token, or undefined for a token no mail carried. */
  async addressOf(token: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ email: unsubscribeTokens.email })
      .from(unsubscribeTokens)
      .where(eq(unsubscribeTokens.tokenHash, tokenDigest(token)));
    return row?.email;
  }

  /** Puts the token's address on the list; false for an unknown token. Twice is the same as once. */
  async unsubscribe(token: string): Promise<boolean> {
    const email = await this.addressOf(token);
    if (email === undefined) return false;
    await this.db.insert(mailSuppressions).values({ email }).onConflictDoNothing();
    return true;
  }

  list(): Promise<Suppression[]> {
    return this.db.select().from(mailSuppressions).orderBy(asc(mailSuppressions.email));
  }

  /** Takes an address off the list (an admin's decision, say the person asked again); false when it was not on it. */
  async lift(email: string): Promise<boolean> {
    const rows = await this.db
      .delete(mailSuppressions)
      .where(eq(mailSuppressions.email, normalized(email)))
      .returning({ email: mailSuppressions.email });
    return rows.length > 0;
  }
}

function normalized(email: string): string {
  return email.trim().toLowerCase();
}
