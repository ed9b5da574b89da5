import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The links in the text part. */
  readonly links: readonly string[];
  readonly receivedAt: number;
  /** The Message-ID header, angle brackets included. */
  readonly messageId: string | undefined;
  /** Header fields by lower-cased name, as they came (the last of a repeated one). */
  readonly headers: ReadonlyMap<string, string>;
  /** The message as it came over the wire (to verify a signature over it). */
  readonly raw: Buffer;
}

export interface SmtpPeerOptions {
  /** Require this login, over STARTTLS (the server's built-in self-signed certificate), as a real provider would. */
  readonly auth?: { user: string; pass: string };
  /** Parse each message (subject, text, links); default true. */
  readonly parse?: boolean;
  readonly port?: number;
}

/**
 * A real SMTP server for tests and benchmarks, whose answer can be delayed,
 * held until released, or refused for a number of messages.
 */
export class SmtpPeer extends EventEmitter {
  readonly mails: ReceivedMail[] = [];
  /** Messages accepted, parsed or not. */
  accepted = 0;
  /** Messages refused. */
  refused = 0;
  /** Wait this long before answering each message. */
  delayMs = 0;
  /** Parse each message (subject, text, links); off for benchmarks that only count and time. */
  parse = true;
  /** When each recipient's message was accepted, in `performance.now()` time. */
  readonly acceptedAt = new Map<string, number>();
  /** Messages whose answer is being held right now. */
  held = 0;
  /** Client connections open right now, and the most open at once since the last `reset()`. */
  sessions = 0;
  peakSessions = 0;
  /** The Message-ID of each message refused, in order. */
  readonly refusedMessageIds: string[] = [];
  private refusals: { count: number; code: number }[] = [];
  private readonly closedSessions = new Set<string>();
  /** The sessions of the messages held for each recipient. */
  private readonly heldSessions = new Map<string, string[]>();
  private gate: Promise<void> | undefined;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {
    super();
  }

  static async start(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    let peer: SmtpPeer | undefined;
    const server = new SMTPServer({
      logger: false,
      disabledCommands: options.auth ? [] : ['AUTH', 'STARTTLS'],
      authOptional: !options.auth,
      onAuth(auth, _session, callback) {
        const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
        callback(ok ? null : new Error('Invalid username or password'), ok ? { user: auth.username } : undefined);
      },
      onConnect(_session, callback) {
        if (peer) {
          peer.sessions++;
          peer.peakSessions = Math.max(peer.peakSessions, peer.sessions);
        }
        callback();
      },
      onClose(session) {
        if (peer) peer.sessions--;
        peer?.closedSessions.add(session.id);
        peer?.emit('client-closed', session.id);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((address) => address.address);
          (peer as SmtpPeer).receive(Buffer.concat(chunks), to, session.id).then(
            () => callback(null, 'OK'),
            (error: Error) => callback(error),
          );
        });
      },
    });
    server.on('error', () => {});
    server.listen(options.port ?? 0, '127.0.0.1');
    await once(server.server, 'listening');
    peer = new SmtpPeer(server, (server.server.address() as AddressInfo).port);
    peer.parse = options.parse ?? true;
    return peer;
  }

  /** Forgets what it received and any delay, hold or refusal, for the next test. */
  reset(): void {
    this.mails.length = 0;
    this.refusedMessageIds.length = 0;
    this.acceptedAt.clear();
    this.peakSessions = this.sessions;
    this.accepted = 0;
    this.refused = 0;
    this.delayMs = 0;
    this.refusals = [];
    this.gate = undefined;
    this.heldSessions.clear();
  }

  /** Refuse the next `count` messages with `code` (4xx: try later; 5xx: never). */
  refuse(count: number, code = 451): void {
    this.refusals.push({ count, code });
  }

  /** Holds every answer until the returned function is called. */
  hold(): () => void {
    let release: () => void = () => {};
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = this.gate;
    return () => {
      release();
      if (this.gate === gate) this.gate = undefined;
    };
  }

  /** Resolves when a message to `address` is held (see `hold()`); ask before it is sent. */
  nextHeld(address: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (to: string[]) => {
        if (!to.some((each) => each.toLowerCase() === address.toLowerCase())) return;
        this.off('held', listener);
        resolve();
      };
      this.on('held', listener);
    });
  }

  /** The first mail (already received or still to come) that `match` accepts. */
  waitForMail(match: (mail: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    const found = this.mails.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('mail', listener);
        reject(new Error(`No matching mail within ${timeoutMs} ms (received ${this.mails.length})`));
      }, timeoutMs);
      const listener = (mail: ReceivedMail) => {
        if (!match(mail)) return;
        clearTimeout(timer);
        this.off('mail', listener);
        resolve(mail);
      };
      this.on('mail', listener);
    });
  }

  /** Resolves once `count` messages in all have been accepted. */
  async waitForCount(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted < count) {
      if (Date.now() > deadline) throw new Error(`Only ${this.accepted} of ${count} mails within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Whether a client that sent a held message to `address` has hung up since: its send was given up on. */
  hungUp(address: string): boolean {
    return (this.heldSessions.get(address.toLowerCase()) ?? []).some((session) => this.closedSessions.has(session));
  }

  mailsTo(address: string): ReceivedMail[] {
    return this.mails.filter((mail) => mail.to.some((to) => to.toLowerCase() === address.toLowerCase()));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async receive(raw: Buffer, to: string[], sessionId: string): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.gate) {
      this.held++;
      for (const address of to)
        this.heldSessions.set(address.toLowerCase(), [...(this.heldSessions.get(address.toLowerCase()) ?? []), sessionId]);
      this.emit('held', to);
      await this.gate;
      this.held--;
    }
    // A client that hung up before the answer never learns that the message was taken: it is not delivered.
    if (this.closedSessions.has(sessionId)) throw new Error('The client has gone');
    const refusal = this.refusals[0];
    if (refusal) {
      const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1'))?.[1];
      if (messageId) this.refusedMessageIds.push(messageId);
      if (--refusal.count <= 0) this.refusals.shift();
      this.refused++;
      this.emit('refused', to);
      throw Object.assign(new Error(refusal.code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: refusal.code });
    }
    this.accepted++;
    const now = performance.now();
    for (const address of to) this.acceptedAt.set(address.toLowerCase(), now);
    if (!this.parse) {
      this.emit('accepted', to);
      return;
    }
    const parsed = await simpleParser(raw);
    const text = parsed.text ?? '';
    const mail: ReceivedMail = {
      to,
      subject: parsed.subject ?? '',
      text,
      html: typeof parsed.html === 'string' ? parsed.html : '',
      links: text.match(/https?:\/\/[^\s<>"')]+/g) ?? [],
      receivedAt: Date.now(),
      messageId: parsed.messageId,
      headers: new Map(parsed.headerLines.map((line) => [line.key, line.line.slice(line.line.indexOf(':') + 1).trim()])),
      raw,
    };
    this.mails.push(mail);
    this.emit('mail', mail);
  }
}
