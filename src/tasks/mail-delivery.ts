import type { Mailer, MailMessage } from '../mail/mailer.js';
import { MailRejectedError } from '../mail/mailer.js';
import type { MailRateLimit } from '../mail/rate-limit.js';
import type { Metrics } from '../observability/metrics.js';
import type { TaskMail } from './context.js';
import { PermanentTaskError } from './define.js';
import type { Lane } from './lane.js';

/** How tasks send mail: within the provider's rate, counted, and a refusal for good stops the retries. */
export class MailDelivery implements TaskMail {
  constructor(
    private readonly mailer: Mailer,
    private readonly rateLimit: MailRateLimit,
    private readonly metrics: Metrics,
  ) {}

  async send(message: MailMessage, lane: Lane, signal: AbortSignal): Promise<void> {
    await this.rateLimit.acquire(signal);
    try {
      await this.mailer.send(message, lane, signal);
      this.metrics.observeEmail('sent');
    } catch (error) {
      this.metrics.observeEmail('failed');
      if (error instanceof MailRejectedError) throw new PermanentTaskError(error.message, { cause: error });
      throw error;
    }
  }
}
