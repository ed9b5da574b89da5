import { createHmac } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { linkTokens } from '../db/schema/index.js';
import { tokenDigest } from '../lib/token-digest.js';

export type LinkPurpose = 'verify_email' | 'reset_password';

const lifetimeMs: Record<LinkPurpose, number> = {
  verify_email: 24 * 3600_000,
  reset_password: 3600_000,
};

/**
 * The single-use tokens in verification and reset links. Only a SHA-256 of a
 * token is stored, so a copy of the database opens no account.
 */
export class LinkTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('bookly.link-tokens').digest();
  }

  /**
   * The token for the task `taskId`. Derived from the task rather than drawn at
   * random, so that a task that runs twice sends the same link, not two.
   */
  async issue(executor: Executor, userUid: string, purpose: LinkPurpose, taskId: string): Promise<string> {
    const token = createHmac('sha256', this.key).update(`${purpose}:${taskId}`).digest('base64url');
    await executor
      .insert(linkTokens)
      .values({
        tokenHash: tokenDigest(token),
        userUid,
        purpose,
        expiresAt: sql`now() + ${lifetimeMs[purpose]} * interval '1 millisecond'`,
      })
      .onConflictDoNothing();
    return token;
  }

  /** Marks the token used and returns its user, or undefined when it is unknown, expired, used or for another purpose. */
  async consume(executor: Executor, token: string, purpose: LinkPurpose): Promise<string | undefined> {
    const [row] = await executor
      .update(linkTokens)
      .set({ usedAt: sql`now()` })
      .where(usable(token, purpose))
      .returning({ userUid: linkTokens.userUid });
    return row?.userUid;
  }

  async isUsable(executor: Executor, token: string, purpose: LinkPurpose): Promise<boolean> {
    const [row] = await executor.select({ userUid: linkTokens.userUid }).from(linkTokens).where(usable(token, purpose)).limit(1);
    return row !== undefined;
  }

  /**
   * The user a token of ours was issued to, used or expired alike; undefined for a token that is
   * not ours or is for another purpose. Only the mail's recipient holds a token, so its owner
   * tells nothing to anyone else, and for any other token it finds nothing.
   */
  async ownerOf(executor: Executor, token: string, purpose: LinkPurpose): Promise<string | undefined> {
    const [row] = await executor
      .select({ userUid: linkTokens.userUid })
      .from(linkTokens)
      .where(and(eq(linkTokens.tokenHash, tokenDigest(token)), eq(linkTokens.purpose, purpose)))
      .limit(1);
    return row?.userUid;
  }

  /** Spends every open link of a purpose, after the first one has done its job. */
  async consumeAll(executor: Executor, userUid: string, purpose: LinkPurpose): Promise<void> {
    await executor
      .update(linkTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(linkTokens.userUid, userUid), eq(linkTokens.purpose, purpose), isNull(linkTokens.usedAt)));
  }
}

function usable(token: string, purpose: LinkPurpose) {
  return and(
    eq(linkTokens.tokenHash, tokenDigest(token)),
    eq(linkTokens.purpose, purpose),
    isNull(linkTokens.usedAt),
    gt(linkTokens.expiresAt, sql`now()`),
  );
}
