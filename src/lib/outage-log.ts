import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { rootMessage } from './root-message.js';

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
    // One line, not a stack trace: an outage is the other end's state, not a place in this code.
    this.log.error(`${this.what} failed (${rootMessage(err)}); retrying quietly until it works again`);
    this.log.debug({ err }, `${this.what}: the first error of the outage`);
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info(`${this.what} works again`);
  }
}
