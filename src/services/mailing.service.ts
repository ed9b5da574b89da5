import type { Db } from '../db/client.js';
import { mailings } from '../db/schema/index.js';
import { transaction } from '../db/transaction.js';
import type { TaskQueue } from '../tasks/task-queue.js';

export interface BulkMailInput {
  addresses: readonly string[];
  subject: string;
  html: string;
}

/** Bulk mail from an admin: the content is stored once and a task fans it out, a mail per recipient. */
export class MailingService {
  constructor(
    private readonly db: Db,
    private readonly tasks: TaskQueue,
  ) {}

  /** Returns the mailing's id and the id of the task that fans it out. */
  send(adminUid: string, input: BulkMailInput): Promise<{ taskId: string; mailingId: string }> {
    // One mail per address, so that recipients never see each other's addresses.
    const byKey = new Map<string, string>();
    for (const address of input.addresses) {
      const key = address.trim().toLowerCase();
      if (!byKey.has(key)) byKey.set(key, address.trim());
    }
    const addresses = [...byKey.values()];
    return transaction(this.db, async (tx) => {
      const [mailing] = await tx
        .insert(mailings)
        .values({ subject: input.subject, html: input.html, addresses, recipients: addresses.length, createdBy: adminUid })
        .returning({ id: mailings.id });
      const mailingId = (mailing as { id: string }).id;
      return { taskId: await this.tasks.enqueue(tx, 'mail.bulk', { mailingId }), mailingId };
    });
  }
}
