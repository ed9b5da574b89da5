import type { MailMessageRow } from '../db/schema/index.js';
import { InvalidLinkError, NotFoundError } from '../errors.js';
import type { LedgerReads, MailingProgress, MessageFilter } from '../mail/ledger-reads.js';
import type { Suppression, Unsubscribes } from '../mail/unsubscribes.js';

/** The mail ledger as an admin reads it, and the suppression list that unsubscribes feed. */
export class MailAdminService {
  constructor(
    private readonly reads: LedgerReads,
    private readonly unsubscribes: Unsubscribes,
  ) {}

  messages(filter: MessageFilter, page: { limit: number; offset: number }): Promise<{ rows: MailMessageRow[]; total: number }> {
    return this.reads.list(filter, page.limit, page.offset);
  }

  async mailing(id: string): Promise<MailingProgress> {
    const progress = await this.reads.mailing(id);
    if (!progress) throw new NotFoundError('not_found', 'No mailing has this id');
    return progress;
  }

  recentMailings(limit: number): Promise<MailingProgress[]> {
    return this.reads.recentMailings(limit);
  }

  /** The link's address gets no more bulk mail; an unknown link is `invalid_link`. */
  async unsubscribe(token: string): Promise<void> {
    if (!(await this.unsubscribes.unsubscribe(token))) throw new InvalidLinkError();
  }

  /** Whether the link is one a mail carried (the page then offers its button). */
  async isUnsubscribeLink(token: string): Promise<boolean> {
    return (await this.unsubscribes.addressOf(token)) !== undefined;
  }

  suppressions(): Promise<Suppression[]> {
    return this.unsubscribes.list();
  }

  async lift(email: string): Promise<void> {
    if (!(await this.unsubscribes.lift(email))) throw new NotFoundError('not_found', 'This address is not on the suppression list');
  }
}
