import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type MailKind, type MailMessageRow, type MessageState, mailings, mailMessages, messageStates } from '../db/schema/index.js';

export interface MessageFilter {
  /** Compared case-insensitively. */
  readonly recipient?: string | undefined;
  readonly kind?: MailKind | undefined;
  readonly state?: MessageState | undefined;
  readonly mailingId?: string | undefined;
}

export interface MailingProgress {
  readonly id: string;
  readonly subject: string;
  readonly createdAt: Date;
  readonly recipients: number;
  readonly counts: Record<MessageState, number>;
}

/** What an admin asks the ledger: did this address get its mail, and how far is this mailing. */
export class LedgerReads {
  constructor(private readonly db: Db) {}

  /** A page of entries, newest first, and how many match in all. */
  async list(filter: MessageFilter, limit: number, offset: number): Promise<{ rows: MailMessageRow[]; total: number }> {
    const where = matching(filter);
    const [rows, [total]] = await Promise.all([
      this.db
        .select()
        .from(mailMessages)
        .where(where)
        .orderBy(desc(mailMessages.createdAt), desc(mailMessages.id))
        .limit(limit)
        .offset(offset),
      this.db.select({ n: count() }).from(mailMessages).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }

  /** A mailing with its entries counted by state: a bulk send's progress. */
  async mailing(id: string): Promise<MailingProgress | undefined> {
    const [[mailing], states] = await Promise.all([
      this.db
        .select({ id: mailings.id, subject: mailings.subject, createdAt: mailings.createdAt, recipients: mailings.recipients })
        .from(mailings)
        .where(eq(mailings.id, id)),
      this.db
        .select({ state: mailMessages.state, n: count() })
        .from(mailMessages)
        .where(eq(mailMessages.mailingId, id))
        .groupBy(mailMessages.state),
    ]);
    if (!mailing) return undefined;
    const counts = Object.fromEntries(messageStates.map((state) => [state, 0])) as Record<MessageState, number>;
    for (const { state, n } of states) counts[state] = n;
    // Before its fan-out has run, a mailing's messages have no entries yet: they are all still to go.
    const recorded = Object.values(counts).reduce((sum, n) => sum + n, 0);
    counts.queued += Math.max(0, mailing.recipients - recorded);
    return { ...mailing, counts };
  }
}

function matching(filter: MessageFilter): SQL | undefined {
  return and(
    filter.recipient ? sql`lower(${mailMessages.recipient}) = lower(${filter.recipient})` : undefined,
    filter.kind ? eq(mailMessages.kind, filter.kind) : undefined,
    filter.state ? eq(mailMessages.state, filter.state) : undefined,
    filter.mailingId ? eq(mailMessages.mailingId, filter.mailingId) : undefined,
  );
}
