import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { type LimitedMailKind, recipientSends } from '../db/schema/index.js';

/** How often one address may be sent mail of one kind. */
export interface RecipientLimits {
  /** At most one mail in any span this long. */
  readonly spacingMs: number;
  /** At most `perWindow` mails in any span this long. */
  readonly windowMs: number;
  readonly perWindow: number;
}

/** The contract's limit: one a minute, five an hour, to one address, for each kind apart. */
export const recipientLimits: RecipientLimits = { spacingMs: 60_000, windowMs: 60 * 60_000, perWindow: 5 };

/**
 * Records one more mail of `kind` to `address` if the limits allow it, and
 * says whether they did. One statement: the insert, or the update of the
 * address's row under its lock, so two racing claims (in any process) are
 * decided one after the other and cannot both pass. A claim in a transaction
 * that rolls back leaves nothing behind.
 */
export async function claimRecipientSend(
  executor: Executor,
  address: string,
  kind: LimitedMailKind,
  limits: RecipientLimits = recipientLimits,
): Promise<boolean> {
  const since = (ms: number) => sql`now() - ${ms}::integer * interval '1 millisecond'`;
  // In the update, the table's own column is the row already there.
  const sentSince = (ms: number) => sql`from unnest(${recipientSends.sentAt}) as s where s > ${since(ms)}`;
  const granted = await executor
    .insert(recipientSends)
    .values({ address: sql`lower(${address})`, kind, sentAt: sql`array[now()]`, lastSentAt: sql`now()` })
    .onConflictDoUpdate({
      target: [recipientSends.address, recipientSends.kind],
      // Sends older than the window are dropped here, so a row never holds more than `perWindow`.
      set: { sentAt: sql`array(select s ${sentSince(limits.windowMs)} order by s) || now()`, lastSentAt: sql`now()` },
      setWhere: sql`not exists (select ${sentSince(limits.spacingMs)})
        and (select count(*) ${sentSince(limits.windowMs)}) < ${limits.perWindow}::integer`,
    })
    .returning({ address: recipientSends.address });
  return granted.length === 1;
}
