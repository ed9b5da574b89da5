import nodemailer, { type Transporter } from 'nodemailer';
import type { DkimConfig } from '../config/dkim.js';
import type { SmtpConfig } from '../config/load-config.js';
import { type Lane, lanes } from '../tasks/lane.js';
import { type MailAccepted, type Mailer, type MailMessage, MailRejectedError } from './mailer.js';

/**
 * The header fields a signature covers, when a message has them: nodemailer's
 * default list (RFC 4871 5.5) and `List-Unsubscribe-Post`, which it lacks and
 * which RFC 8058 (section 4) requires to be signed for one-click unsubscribe.
 */
const signedFields =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'Content-ID:Content-Description:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:Resent-Message-ID:' +
  'In-Reply-To:References:List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:' +
  'List-Owner:List-Archive';

/**
 * A lane's pool: a connection for each task the lane may run at once (a
 * message holds its connection until the server answers, seconds at a slow
 * provider), within the process's share of `MAIL_MAX_CONNECTIONS`.
 */
export function connectionsPerLane(maxConnections: number, laneConcurrency: number): number {
  return Math.max(1, Math.min(laneConcurrency, Math.floor(maxConnections / lanes.length)));
}

/**
 * Sends over SMTP with a pool of connections per lane (a new connection costs
 * a greeting and a TLS handshake), so that a bulk send never holds the
 * connections a verification mail needs. A pool opens connections only while
 * messages wait for one.
 */
export class SmtpMailer implements Mailer {
  private readonly transports: Map<Lane, Transporter>;

  /** With `dkim`, every message is signed. */
  constructor(
    smtp: SmtpConfig,
    private readonly from: { name: string; address: string },
    options: { connectionsPerLane: number; dkim?: DkimConfig | undefined },
  ) {
    this.transports = new Map(lanes.map((lane) => [lane, createTransport(smtp, options.connectionsPerLane, options.dkim)]));
  }

  async send(message: MailMessage, lane: Lane, signal?: AbortSignal): Promise<MailAccepted> {
    const transport = this.transports.get(lane) as Transporter;
    try {
      // An aborted send closes its connection: a message given up on is not delivered later behind our back.
      const info = await transport.sendMail({ from: this.from, ...message, signal });
      return { response: String(info.response ?? '') };
    } catch (error) {
      throw isPermanent(error) ? new MailRejectedError((error as Error).message, { cause: error }) : error;
    }
  }

  async close(): Promise<void> {
    for (const transport of this.transports.values()) transport.close({ force: true });
  }
}

function createTransport(smtp: SmtpConfig, maxConnections: number, dkim: DkimConfig | undefined): Transporter {
  return nodemailer.createTransport({
    pool: true,
    maxConnections,
    maxMessages: Number.POSITIVE_INFINITY,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.implicitTls,
    requireTLS: smtp.startTls,
    ignoreTLS: !smtp.startTls && !smtp.implicitTls,
    auth: smtp.useCredentials ? { user: smtp.username, pass: smtp.password } : undefined,
    tls: { rejectUnauthorized: smtp.validateCerts },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    dkim: dkim && {
      domainName: dkim.domain,
      keySelector: dkim.selector,
      privateKey: dkim.privateKey,
      headerFieldNames: signedFields,
    },
  });
}

/** A 5xx answer to the recipient or the message itself; 4xx and connection errors are worth a retry. */
function isPermanent(error: unknown): boolean {
  const { code, responseCode } = error as { code?: string; responseCode?: number };
  return (code === 'EENVELOPE' || code === 'EMESSAGE') && typeof responseCode === 'number' && responseCode >= 500;
}
