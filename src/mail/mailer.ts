import type { Lane } from '../tasks/lane.js';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** `<local@domain>`, fixed before the first attempt so every attempt carries the same one. */
  readonly messageId?: string;
  /** Extra header fields (List-Unsubscribe, say), as they are to be sent. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the server said when it took the message. */
export interface MailAccepted {
  /** Its reply line, `250 …`. */
  readonly response: string;
}

/** Sends mail. Each lane has its own connections, so bulk mail never queues ahead of a verification mail. */
export interface Mailer {
  /** Resolves once the server has accepted the message; rejects with `MailRejectedError` when it never will. */
  send(message: MailMessage, lane: Lane, signal?: AbortSignal): Promise<MailAccepted>;
  close(): Promise<void>;
}

/** The server refused the message for good (an unknown mailbox, say): trying again cannot help. */
export class MailRejectedError extends Error {
  override name = 'MailRejectedError';
}

/** The server's reply line in a refusal or failure, when it gave one. */
export function smtpResponseOf(error: unknown): string | undefined {
  const cause = error instanceof MailRejectedError ? error.cause : error;
  const response = (cause as { response?: unknown } | undefined)?.response;
  return typeof response === 'string' ? response : undefined;
}
