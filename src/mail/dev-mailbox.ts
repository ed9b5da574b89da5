import { desc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { devMail } from '../db/schema/index.js';
import type { MailAccepted, Mailer, MailMessage } from './mailer.js';

export type StoredMail = typeof devMail.$inferSelect;

/**
 * Keeps mail in the database for `/dev/mailbox` when no SMTP server is
 * configured, and prints it to the log. In the database, not in memory,
 * so that mail sent by a worker process shows in the API's mailbox.
 */
export class DevMailbox implements Mailer {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async send(message: MailMessage): Promise<MailAccepted> {
    const { to, subject, html, text } = message;
    await this.db.insert(devMail).values({ to, subject, html, text });
    this.log.info({ to, subject, text }, 'mail kept in the dev mailbox (no MAIL_SERVER)');
    return { response: '250 kept in the dev mailbox' };
  }

  async close(): Promise<void> {}

  list(limit: number): Promise<StoredMail[]> {
    return this.db.select().from(devMail).orderBy(desc(devMail.createdAt)).limit(limit);
  }

  find(id: string): Promise<StoredMail | undefined> {
    return this.db.query.devMail.findFirst({ where: eq(devMail.id, id) });
  }
}
