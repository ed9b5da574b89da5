import type { Deps } from '../../deps.js';
import { type MailMessage, MailRejectedError } from '../../mail/mailer.js';
import { type Lane, PermanentTaskError } from '../define.js';

/** Sends one mail from a task, counting it, and turning a refusal for good into a task that stops retrying. */
export async function deliver(deps: Deps, message: MailMessage, lane: Lane, signal: AbortSignal): Promise<void> {
  await deps.mailRateLimit.acquire(signal);
  try {
    await deps.mailer.send(message, lane, signal);
    deps.metrics.observeEmail('sent');
  } catch (error) {
    deps.metrics.observeEmail('failed');
    if (error instanceof MailRejectedError) throw new PermanentTaskError(error.message, { cause: error });
    throw error;
  }
}
