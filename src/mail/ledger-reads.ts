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

  /** The latest mailings with their progress, newest first (for the task console). */
  async recentMailings(limit: number): Promise<MailingProgress[]> {
    const byState = (state: MessageState) => sql<number>`(count(${mailMessages.id}) filter (where ${mailMessages.state} = ${state}))::int`;
    const rows = await this.db
      .select({
        id: mailings.id,
        subject: mailings.subject,
        createdAt: mailings.createdAt,
        recipients: mailings.recipients,
        queued: byState('queued'),
        sent: byState('sent'),
        failed: byState('failed'),
        suppressed: byState('suppressed'),
      })
      .from(mailings)
      .leftJoin(mailMessages, eq(mailMessages.mailingId, mailings.id))
      .groupBy(mailings.id)
      .orderBy(desc(mailings.createdAt))
      .limit(limit);
    return rows.map(({ queued, sent, failed, suppressed, ...mailing }) => ({
      ...mailing,
      counts: withUnrecorded(mailing.recipients, { queued, sent, failed, suppressed }),
    }));
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
    return { ...mailing, counts: withUnrecorded(mailing.recipients, counts) };
  }
}

/** Before its fan-out has run, a mailing's messages have no entries yet: they are all still to go. */
function withUnrecorded(recipients: number, counts: Record<MessageState, number>): Record<MessageState, number> {
  const recorded = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { ...counts, queued: counts.queued + Math.max(0, recipients - recorded) };
}

function matching(filter: MessageFilter): SQL | undefined {
  return and(
    filter.recipient ? sql`lower(${mailMessages.recipient}) = lower(${filter.recipient})` : undefined,
    filter.kind ? eq(mailMessages.kind, filter.kind) : undefined,
    filter.state ? eq(mailMessages.state, filter.state) : undefined,
    filter.mailingId ? eq(mailMessages.mailingId, filter.mailingId) : undefined,
  );
}
