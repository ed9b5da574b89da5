import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.js';
import { type MailKind, type MessageState, mailMessages } from '../db/schema/index.js';

/** A message to record, with the task that will send it. */
export interface NewMessage {
  readonly kind: MailKind;
  readonly recipient: string;
  readonly subject: string;
  readonly taskId: string;
  readonly mailingId?: string;
}

/** An entry a send has taken: it is the one attempt sending it now. */
export interface TakenMessage {
  readonly id: string;
  readonly messageId: string;
}

/** Why a task found nothing to send. */
export type NotTaken = { readonly state: MessageState; readonly reason: string | null } | { readonly state: 'none' };

const unsubscribedReason = 'the address unsubscribed';

/**
 * The mail ledger's writes (`mail_messages`): an entry recorded with its task,
 * taken by each send, and marked with what the server said. Every change of
 * state is one guarded statement, so two attempts of a task cannot both take
 * an entry that one of them has sent.
 */
export class MailLedger {
  // Prepared once: every mail runs both (drizzle building them anew was 4% of a mail worker's CPU).
  private readonly takeStatement;
  private readonly sentStatement;

  constructor(
    private readonly db: Db,
    /** The right-hand side of every Message-ID: the sender's domain. */
    private readonly messageIdDomain: string,
  ) {
    this.takeStatement = prepareTake(db);
    this.sentStatement = db
      .update(mailMessages)
      .set({ state: 'sent', smtpResponse: sql`${sql.placeholder('response')}`, sentAt: sql`now()`, reason: null })
      .where(eq(mailMessages.id, sql.placeholder('id')))
      .prepare('mail_sent');
  }

  /**
   * In the transaction that enqueues the messages' tasks. A task that has an
   * entry already keeps it (a keyed enqueue that found the live task).
   */
  async record(executor: Executor, messages: readonly NewMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One JSON parameter, as the tasks' own insert does: a mailing records a thousand at once.
    const rows = JSON.stringify(
      messages.map((message) => {
        const id = randomUUID();
        return { ...message, id, messageId: `<${id}@${this.messageIdDomain}>` };
      }),
    );
    await executor.execute(sql`
      insert into ${mailMessages} (id, kind, recipient, subject, task_id, mailing_id, message_id)
      select (m->>'id')::uuid, m->>'kind', m->>'recipient', m->>'subject', (m->>'taskId')::uuid, (m->>'mailingId')::uuid, m->>'messageId'
      from jsonb_array_elements(${rows}::jsonb) as m
      on conflict (task_id) do nothing`);
  }

  /**
   * Takes the entry of `taskId` for a send, in one statement: a queued entry
   * (or a failed one, whose task an operator retried) counts one more attempt;
   * a bulk message to an address that unsubscribed is marked `suppressed`
   * instead. Anything else (sent, suppressed) is not taken, and says why.
   */
  async take(taskId: string): Promise<TakenMessage | NotTaken> {
    const [taken] = await this.takeStatement.execute({ taskId });
    if (taken?.state === 'queued') return { id: taken.id, messageId: taken.messageId };
    if (taken) return { state: taken.state, reason: taken.reason };
    const [entry] = await this.db
      .select({ state: mailMessages.state, reason: mailMessages.reason })
      .from(mailMessages)
      .where(eq(mailMessages.taskId, taskId));
    return entry ?? { state: 'none' };
  }

  /**
   * The server accepted it: from now on no attempt sends it again. Unguarded,
   * since it is a fact: a cancel that marked the entry while the server was
   * saying 250 does not unsend it.
   */
  async sent(id: string, response: string): Promise<void> {
    await this.sentStatement.execute({ id, response });
  }

  /** The send failed; `final` when no attempt will follow (a 5xx, the last attempt): the entry is `failed`. */
  async failed(id: string, response: string | undefined, final: boolean): Promise<void> {
    await this.db
      .update(mailMessages)
      .set({ smtpResponse: response ?? null, ...(final ? { state: 'failed' as const } : {}) })
      .where(and(eq(mailMessages.id, id), eq(mailMessages.state, 'queued')));
  }

  /** Its task was cancelled: `failed`, with the reason, until a retry of the task takes it again. */
  async cancelled(taskId: string): Promise<void> {
    await this.db
      .update(mailMessages)
      .set({ state: 'failed', reason: 'its task was cancelled by an operator' })
      .where(and(eq(mailMessages.taskId, taskId), eq(mailMessages.state, 'queued')));
  }

  /** Not sent by design (the account was verified meanwhile, or is gone): `suppressed`, with the reason. */
  async dropped(taskId: string, reason: string): Promise<void> {
    await this.db
      .update(mailMessages)
      .set({ state: 'suppressed', reason })
      .where(and(eq(mailMessages.taskId, taskId), sql`${mailMessages.state} in ('queued', 'failed')`));
  }
}

/** The domain of the sender's address, for Message-IDs (`bookly@example.com` → `example.com`). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 && at < address.length - 1 ? address.slice(at + 1) : 'localhost';
}

export function isTaken(result: TakenMessage | NotTaken): result is TakenMessage {
  return 'messageId' in result;
}

/** Takes the entry of the task `taskId` for a send (see `take`). */
function prepareTake(db: Db) {
  const suppressed = sql`(${mailMessages.kind} = 'bulk' and exists (select 1 from mail_suppressions s where s.email = lower(${mailMessages.recipient})))`;
  return db
    .update(mailMessages)
    .set({
      state: sql`case when ${suppressed} then 'suppressed' else 'queued' end`,
      attempts: sql`${mailMessages.attempts} + case when ${suppressed} then 0 else 1 end`,
      reason: sql`case when ${suppressed} then ${unsubscribedReason} else null end`,
    })
    .where(and(eq(mailMessages.taskId, sql.placeholder('taskId')), sql`${mailMessages.state} in ('queued', 'failed')`))
    .returning({ id: mailMessages.id, messageId: mailMessages.messageId, state: mailMessages.state, reason: mailMessages.reason })
    .prepare('mail_take');
}
