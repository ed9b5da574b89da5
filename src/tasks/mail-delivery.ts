import type { Executor } from '../db/client.js';
import { isTaken, type MailLedger, type NewMessage } from '../mail/ledger.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { MailRejectedError, smtpResponseOf } from '../mail/mailer.js';
import type { MailRateLimit } from '../mail/rate-limit.js';
import type { Metrics } from '../observability/metrics.js';
import type { Delivery, DeliveryResult, TaskMail } from './context.js';
import { PermanentTaskError } from './define.js';

/**
 * How tasks send mail: each message once, through its ledger entry, within
 * the provider's rate, counted; a refusal for good stops the retries.
 */
export class MailDelivery implements TaskMail {
  constructor(
    private readonly mailer: Mailer,
    private readonly rateLimit: MailRateLimit,
    private readonly metrics: Metrics,
    private readonly ledger: MailLedger,
  ) {}

  record(executor: Executor, messages: readonly NewMessage[]): Promise<void> {
    return this.ledger.record(executor, messages);
  }

  drop(taskId: string, reason: string): Promise<void> {
    return this.ledger.dropped(taskId, reason);
  }

  async deliver(delivery: Delivery, compose: () => MailMessage | Promise<MailMessage>): Promise<DeliveryResult> {
    const { taskId, lane, signal } = delivery;
    const entry = await this.ledger.take(taskId);
    let messageId: string | undefined;
    if (isTaken(entry)) messageId = entry.messageId;
    // A task enqueued before the ledger existed has no entry: it is sent as it would have been then.
    else if (entry.state !== 'none') return { sent: false, reason: entry.reason ?? `the message is ${entry.state} already` };

    const message = await compose();
    await this.rateLimit.acquire(signal);
    let response: string;
    try {
      ({ response } = await this.mailer.send(messageId ? { ...message, messageId } : message, lane, signal));
    } catch (error) {
      this.metrics.observeEmail('failed');
      const final = error instanceof MailRejectedError || delivery.attempt >= delivery.maxAttempts;
      // As best it can be: the task's own outcome, written until the database takes it, is what must not be lost.
      if (isTaken(entry)) await this.ledger.failed(entry.id, smtpResponseOf(error), final).catch(() => undefined);
      if (error instanceof MailRejectedError) throw new PermanentTaskError(error.message, { cause: error });
      throw error;
    }
    this.metrics.observeEmail('sent');
    if (isTaken(entry)) {
      const accepted = performance.now();
      await this.recordSent(entry.id, response, delivery);
      this.metrics.observeSentRecorded((performance.now() - accepted) / 1000);
    }
    return { sent: true };
  }

  /**
   * The server has the message: until the ledger says so, a crash or a retry
   * would send it again. So the record is written until the database takes
   * it, past the attempt's signal too (a shutdown waits for it, as it waits
   * for the outcomes of attempts).
   */
  private async recordSent(id: string, response: string, { log }: Delivery): Promise<void> {
    for (let waitMs = 50, failures = 0; ; waitMs = Math.min(waitMs * 2, 2000), failures++) {
      try {
        await this.ledger.sent(id, response);
        if (failures > 0) log.info({ failures }, 'mail ledger: the sent message is recorded');
        return;
      } catch (err) {
        if (failures === 0) log.warn({ err }, 'mail ledger: could not record a sent message; retrying until the database takes it');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }
}
