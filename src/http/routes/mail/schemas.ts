import Type from 'typebox';
import { type MailMessageRow, messageStates } from '../../../db/schema/index.js';
import type { MailingProgress } from '../../../mail/ledger-reads.js';
import type { Suppression as SuppressionRow } from '../../../mail/unsubscribes.js';
import { ListOf, PageQueryWith } from '../../schemas/catalogue.js';
import {
  bodyErrors,
  Email,
  errors,
  invalidInput,
  Message as MessageReply,
  Nullable,
  permitted,
  signedIn,
  Timestamp,
  Uuid,
  WellFormedString,
} from '../../schemas/common.js';
import { exampleMailing, exampleMailMessage, exampleSuppression } from '../../schemas/examples.js';

const tags = ['mail'];
const security = [{ bearerAuth: [] }];
const MessageState = Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed'), Type.Literal('suppressed')]);
const MailKind = Type.Union([Type.Literal('verify'), Type.Literal('reset'), Type.Literal('bulk')]);

export const Message = Type.Object(
  {
    id: Uuid,
    kind: MailKind,
    recipient: Type.String(),
    subject: Type.String(),
    state: MessageState,
    attempts: Type.Integer({ description: 'Sends begun' }),
    smtp_response: Nullable(Type.String({ description: "The server's last reply: its 250 once sent, its refusal otherwise" })),
    reason: Nullable(Type.String({ description: 'Why it was not sent when no server said so (suppressed)' })),
    message_id: Type.String({ description: 'The Message-ID header, the same on every attempt' }),
    task_id: Uuid,
    mailing_id: Nullable(Uuid),
    created_at: Timestamp,
    sent_at: Nullable(Timestamp),
  },
  { examples: [exampleMailMessage] },
);

const counts = Object.fromEntries(messageStates.map((state) => [state, Type.Integer()])) as Record<
  (typeof messageStates)[number],
  Type.TInteger
>;

export const Mailing = Type.Object(
  {
    id: Uuid,
    subject: Type.String(),
    created_at: Timestamp,
    recipients: Type.Integer(),
    counts: Type.Object(counts, { description: 'Its messages by state; queued includes those its fan-out has still to record' }),
  },
  { examples: [exampleMailing] },
);

export const Suppression = Type.Object(
  { email: Type.String(), reason: Type.Literal('unsubscribed'), created_at: Timestamp },
  { examples: [exampleSuppression] },
);

const unsubscribedExample =
  'You are unsubscribed: no more mailings will come to this address. Mail about your account (a sign-up, a password reset) still will.';

/** Any length: a token that is not one a mail carried is `invalid_link`, however it looks. */
const TokenParams = Type.Object({ token: Type.String({ minLength: 1 }) });

export const messages = {
  summary: 'The mail ledger, newest first: one entry for every message, its state and what the server said; admin only',
  tags,
  security,
  querystring: PageQueryWith({
    recipient: Type.Optional(WellFormedString({ minLength: 1, maxLength: 320, description: 'compared case-insensitively' })),
    kind: Type.Optional(MailKind),
    state: Type.Optional(MessageState),
    mailing_id: Type.Optional(Uuid),
  }),
  response: { 200: ListOf(Message), ...errors(signedIn, permitted, invalidInput) },
};

export const mailing = {
  summary: "A bulk send's progress: its messages counted by state; admin only",
  tags,
  security,
  params: Type.Object({ mailing_id: Uuid }),
  response: { 200: Mailing, ...errors(signedIn, permitted, { 404: ['not_found'] }, invalidInput) },
};

export const unsubscribe = {
  summary: 'One-click unsubscribe (RFC 8058): no login; the address gets no more bulk mail',
  description:
    'The body a mail client sends is `List-Unsubscribe=One-Click`, urlencoded; a JSON `{}` or no body does the same. Verification and reset mail still reach the address.',
  tags,
  params: TokenParams,
  response: { 200: MessageReply(unsubscribedExample), ...errors(bodyErrors, { 400: ['invalid_link'] }, invalidInput) },
};

export const unsubscribePage = {
  summary: 'The unsubscribe link as a page with one button; opening it changes nothing (mail scanners follow links)',
  tags,
  params: TokenParams,
  response: {
    200: MessageReply('POST List-Unsubscribe=One-Click (urlencoded) or {} to this URL to unsubscribe'),
    ...errors({ 400: ['invalid_link'] }),
  },
};

export const suppressions = {
  summary: 'The addresses that get no bulk mail, because they unsubscribed; admin only',
  tags,
  security,
  response: { 200: ListOf(Suppression), ...errors(signedIn, permitted) },
};

export const lift = {
  summary: 'Takes an address off the suppression list; admin only',
  tags,
  security,
  params: Type.Object({ email: Email }),
  response: { 204: Type.Null(), ...errors(bodyErrors, signedIn, permitted, { 404: ['not_found'] }, invalidInput) },
};

export function toMessage(row: MailMessageRow): Type.Static<typeof Message> {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    subject: row.subject,
    state: row.state,
    attempts: row.attempts,
    smtp_response: row.smtpResponse,
    reason: row.reason,
    message_id: row.messageId,
    task_id: row.taskId,
    mailing_id: row.mailingId,
    created_at: row.createdAt,
    sent_at: row.sentAt,
  };
}

export function toMailing(progress: MailingProgress): Type.Static<typeof Mailing> {
  return {
    id: progress.id,
    subject: progress.subject,
    created_at: progress.createdAt,
    recipients: progress.recipients,
    counts: progress.counts,
  };
}

export function toSuppression(row: SuppressionRow): Type.Static<typeof Suppression> {
  return { email: row.email, reason: row.reason, created_at: row.createdAt };
}
