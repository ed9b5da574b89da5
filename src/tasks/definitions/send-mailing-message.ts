import { eq } from 'drizzle-orm';
import Type from 'typebox';
import { mailings } from '../../db/schema/index.js';
import { bulkMessage } from '../../mail/templates/bulk-message.js';
import { defineTask } from '../define.js';
import { deliver } from './deliver.js';

/** One recipient of a mailing. */
export const sendMailingMessage = defineTask({
  name: 'mail.bulk-message',
  payload: Type.Object({ mailingId: Type.String({ format: 'uuid' }), address: Type.String() }),
  lane: 'bulk',
  attempts: 5,
  async run({ mailingId, address }, { deps, signal }) {
    const mailing = await deps.db.query.mailings.findFirst({ where: eq(mailings.id, mailingId) });
    if (!mailing) return { skipped: 'the mailing is gone' };
    await deliver(deps, { to: address, ...bulkMessage(mailing) }, 'bulk', signal);
    return null;
  },
});
