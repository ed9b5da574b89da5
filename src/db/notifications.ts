import pg from 'pg';
import type { Logger } from 'pino';
import { rootMessage } from '../lib/root-message.js';
import type { Database } from './client.js';

/** What a listener tells its owner. */
export interface NotificationHandlers {
  /** A notification on the channel, with its payload. */
  notice(payload: string): void;
  /** LISTEN is in place: every notification from now on arrives. */
  up(): void;
  /** The listening connection is gone: notifications may be missed until `up()` comes again. */
  down(error: unknown): void;
}

export interface NotificationListener {
  /** Resolves once the first LISTEN is in place, or has failed (it keeps trying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** First wait before listening again after a lost connection; it doubles up to 5 s. */
  retryMs?: number;
  /** How often the listening connection is asked `select 1`, to notice one that died without closing. */
  heartbeatMs?: number;
}

/**
 * LISTENs on `channel` of the database: on PostgreSQL over a connection of
 * its own (a pooled one may be handed to someone else), opened again
 * whenever it drops; on PGlite through its own `listen()`, which never drops.
 */
export function listenForNotifications(
  database: Database,
  channel: string,
  handlers: NotificationHandlers,
  log: Logger,
  options: ListenOptions = {},
): NotificationListener {
  const { driver } = database;
  if (driver.kind === 'pglite') {
    const unlisten = driver.client
      .listen(channel, (payload) => handlers.notice(payload))
      .then((stop) => {
        handlers.up();
        return stop;
      });
    return {
      ready: unlisten.then(() => {}),
      close: async () => {
        await (await unlisten)();
      },
    };
  }
  return new PgListener(driver.pool.options, channel, handlers, log, options);
}

class PgListener implements NotificationListener {
  readonly ready: Promise<void>;
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly heartbeatMs: number;
  private wait: number;
  private settle: () => void = () => {};

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
    private readonly log: Logger,
    options: ListenOptions,
  ) {
    this.retryMs = options.retryMs ?? 250;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.wait = this.retryMs;
    this.ready = new Promise((resolve) => {
      this.settle = resolve;
    });
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.settle();
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.connection, keepAlive: true });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.handlers.notice(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the listening connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client) return;
    this.wait = this.retryMs;
    this.heartbeat = setInterval(() => this.beat(client), this.heartbeatMs);
    this.heartbeat.unref();
    this.handlers.up();
    this.settle();
  }

  /** A connection whose peer vanished (no FIN, no RST) answers nothing; the first unanswered beat ends it. */
  private beat(client: pg.Client): void {
    const timer = setTimeout(() => this.lost(client, new Error('the listening connection stopped answering')), this.heartbeatMs);
    timer.unref();
    client.query('select 1').then(
      () => clearTimeout(timer),
      (error: unknown) => {
        clearTimeout(timer);
        this.lost(client, error);
      },
    );
  }

  /** Called once or several times for the same connection (error, then end); only the first counts. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.end().catch(() => {});
    if (this.closed) return;
    this.handlers.down(error);
    this.settle();
    this.log.debug({ retryInMs: this.wait, reason: rootMessage(error) }, 'listening again soon');
    this.retryTimer = setTimeout(() => void this.connect(), this.wait);
    this.retryTimer.unref();
    this.wait = Math.min(this.wait * 2, 5000);
  }
}
