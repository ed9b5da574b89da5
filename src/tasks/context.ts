import type { Logger } from 'pino';
import type { LinkTokens } from '../auth/link-tokens.js';
import type { RetentionConfig } from '../config/load-config.js';
import type { Db, Executor } from '../db/client.js';
import type { UserRow } from '../db/schema/index.js';
import type { MailMessage } from '../mail/mailer.js';
import type { Lane } from './lane.js';

/** What a task may read of an account. */
export type TaskUser = Pick<UserRow, 'uid' | 'email' | 'firstName' | 'isVerified'>;

/** Sends one mail for a task: rate-limited, counted, and a refusal for good fails the task at once. */
export interface TaskMail {
  send(message: MailMessage, lane: Lane, signal: AbortSignal): Promise<void>;
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
  readonly tasks: TaskEnqueuer;
  /** How long finished work is kept (`maintenance.prune`). */
  readonly retention: RetentionConfig;
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
