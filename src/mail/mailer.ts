import type { Lane } from '../tasks/lane.js';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** Sends mail. Each lane has its own connections, so bulk mail never queues ahead of a verification mail. */
export interface Mailer {
  /** Resolves once the server has accepted the message; rejects with `MailRejectedError` when it never will. */
  send(message: MailMessage, lane: Lane, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The server refused the message for good (an unknown mailbox, say): trying again cannot help. */
export class MailRejectedError extends Error {
  override name = 'MailRejectedError';
}
