import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/**
 * Logs a connection's loss once and its return once, however many errors it
 * emits in between (a client retrying every second would otherwise flood the log).
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** Listens to a client's `error` and `ready` events. */
  watch(emitter: EventEmitter): this {
    emitter.on('error', (err: Error) => this.failed(err));
    emitter.on('ready', () => this.recovered());
    return this;
  }

  failed(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.error({ err }, `${this.what} failed; retrying quietly until it works again`);
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info(`${this.what} works again`);
  }
}
