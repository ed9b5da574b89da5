import { eq } from 'drizzle-orm';
import Type from 'typebox';
import { mailings } from '../../db/schema/index.js';
import { bulkMessage } from '../../mail/templates/bulk-message.js';
import { defineTask } from '../define.js';

/** One recipient of a mailing. */
export const sendMailingMessage = defineTask({
  name: 'mail.bulk-message',
  payload: Type.Object({ mailingId: Type.String({ format: 'uuid' }), address: Type.String() }),
  lane: 'bulk',
  attempts: 5,
  async run({ mailingId, address }, { db, mail, signal }) {
    // Not the address list: a thousand addresses read for each of a thousand messages was most of a bulk send's cost.
    const [mailing] = await db.select({ subject: mailings.subject, html: mailings.html }).from(mailings).where(eq(mailings.id, mailingId));
    if (!mailing) return { skipped: 'the mailing is gone' };
    await mail.send({ to: address, ...bulkMessage(mailing) }, 'bulk', signal);
    return null;
  },
});
