import { eq } from 'drizzle-orm';
import Type from 'typebox';
import { mailings } from '../../db/schema/index.js';
import { bulkMessage, unsubscribeHeaders } from '../../mail/templates/bulk-message.js';
import { defineTask } from '../define.js';

/** One recipient of a mailing. */
export const sendMailingMessage = defineTask({
  name: 'mail.bulk-message',
  payload: Type.Object({ mailingId: Type.String({ format: 'uuid' }), address: Type.String() }),
  lane: 'bulk',
  attempts: 5,
  async run({ mailingId, address }, context) {
    const { db, mail, unsubscribes, appUrl } = context;
    const delivered = await mail.deliver({ ...context, lane: 'bulk' }, async () => {
      // Not the address list: a thousand addresses read for each of a thousand messages was most of a bulk send's cost.
      const [mailing] = await db
        .select({ subject: mailings.subject, html: mailings.html })
        .from(mailings)
        .where(eq(mailings.id, mailingId));
      if (!mailing) throw new Error(`The mailing ${mailingId} is gone`);
      const unsubscribeUrl = appUrl(`/api/v1/mail/unsubscribe/${unsubscribes.tokenOf(address)}`);
      return { to: address, ...bulkMessage({ ...mailing, unsubscribeUrl }), headers: unsubscribeHeaders(unsubscribeUrl) };
    });
    return delivered.sent ? null : { skipped: delivered.reason };
  },
});
