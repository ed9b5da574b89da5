import type { Logger } from 'pino';
import type { LinkTokens } from '../auth/link-tokens.js';
import type { RetentionConfig } from '../config/load-config.js';
import type { Db, Executor } from '../db/client.js';
import type { UserRow } from '../db/schema/index.js';
import type { NewMessage } from '../mail/ledger.js';
import type { MailMessage } from '../mail/mailer.js';
import type { Unsubscribes } from '../mail/unsubscribes.js';
import type { Lane } from './lane.js';

/** What a task may read of an account. */
export type TaskUser = Pick<UserRow, 'uid' | 'email' | 'firstName' | 'isVerified'>;

/** The attempt a message is sent by. */
export interface Delivery {
  readonly taskId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly lane: Lane;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export type DeliveryResult = { readonly sent: true } | { readonly sent: false; readonly reason: string };

/** How a task sends mail: each message has a ledger entry, recorded with the task that sends it. */
export interface TaskMail {
  /** Records the messages of tasks being enqueued, in the same transaction. */
  record(executor: Executor, messages: readonly NewMessage[]): Promise<void>;
  /**
   * Sends the message of the attempt's task, once: a message the ledger has
   * as sent (or suppressed) is not sent again, and `compose` is not called.
   * Rate-limited and counted; a refusal for good fails the task at once.
   */
  deliver(delivery: Delivery, compose: () => MailMessage | Promise<MailMessage>): Promise<DeliveryResult>;
  /** The task decided not to send its message (the account was verified meanwhile). */
  drop(taskId: string, reason: string): Promise<void>;
}

/** Records more tasks, as a fan-out does (payloads are checked against their definition's schema). */
export interface TaskEnqueuer {
  enqueueMany(executor: Executor, name: string, payloads: readonly unknown[]): Promise<string[]>;
  /** One task, unless a task with `key` is pending, delayed or active: then that one's id. */
  enqueueKeyed(executor: Executor, name: string, payload: unknown, key: string): Promise<string>;
}

/**
 * The process's parts a task may use: no more than the definitions need, so
 * that the task engine depends on none of the services that enqueue tasks.
 */
export interface TaskServices {
  readonly db: Db;
  readonly users: { findById(uid: string): Promise<TaskUser | undefined> };
  readonly links: LinkTokens;
  readonly mail: TaskMail;
  /** Each bulk recipient's unsubscribe link: recorded at the fan-out, derived again for each message. */
  readonly unsubscribes: Pick<Unsubscribes, 'tokenOf' | 'record'>;
  readonly tasks: TaskEnqueuer;
  /** How long finished work is kept (`maintenance.prune`). */
  readonly retention: RetentionConfig;
  /** Redis mode: removes BullMQ's finished jobs past their retention (the prune's part in Redis); the count removed. */
  readonly pruneBrokerJobs?: (signal: AbortSignal) => Promise<number>;
  /** An absolute link to `path` on the app (`DOMAIN`), for mail. */
  appUrl(path: string): string;
}

/** What one attempt of a task is given besides its payload. */
export interface TaskContext extends TaskServices {
  readonly taskId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly log: Logger;
  /** Aborted when the attempt is given up (its timeout, a shutdown's deadline, its claim lost): stop and let go. */
  readonly signal: AbortSignal;
}
