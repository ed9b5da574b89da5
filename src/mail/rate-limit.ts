import type { RedisConnection } from '../redis/connection.js';

/** Spaces out mail so that the SMTP provider's send rate is never exceeded. */
export interface MailRateLimit {
  /** Resolves when one more mail may go out (at once when there is no limit). */
  acquire(signal?: AbortSignal): Promise<void>;
}

export const noRateLimit: MailRateLimit = { acquire: async () => {} };

/**
 * Mails spaced `1000 / perSecond` ms apart, counted in this process: the mode
 * without Redis. Each caller books the next free slot and waits for it, so no
 * second ever holds more than `perSecond` sends, however they bunch up.
 */
export class LocalMailRateLimit implements MailRateLimit {
  private nextSlot = 0;

  constructor(private readonly perSecond: number) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.perSecond;
    await sleep(slot - now, signal);
  }
}

// Books the next slot on Redis's clock, the same for every worker on every host; returns the wait in ms.
const bookSlot = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local nextSlot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], nextSlot, 'PX', math.ceil(nextSlot - now) + 1000)
return slot - now`;

/** The same spacing across every process that sends, booked in Redis. */
export class RedisMailRateLimit implements MailRateLimit {
  constructor(
    private readonly redis: RedisConnection,
    private readonly perSecond: number,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const wait = await this.redis.client.eval(bookSlot, 1, this.redis.key('mail-rate'), String(1000 / this.perSecond));
    await sleep(Number(wait), signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
