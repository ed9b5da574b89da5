import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/load-config.js';
import { OutageLog } from '../lib/outage-log.js';

/** The Redis side of the Redis mode: one command connection, and the options BullMQ workers connect with. */
export interface RedisConnection {
  /**
   * For request handlers and the relay: commands fail at once while Redis is
   * down (no offline queue), so a request never hangs on it.
   */
  readonly client: Redis;
  /** For BullMQ workers, which make their own connections: they wait for Redis to come back. */
  readonly workerOptions: ConnectionOptions;
  readonly prefix: string;
  /** Key names under the configured prefix. */
  key(...parts: string[]): string;
  ping(): Promise<void>;
  /** Stops every connection made from these options from reconnecting (a shutdown while Redis is down). */
  stopReconnecting(): void;
  close(): Promise<void>;
}

export function connectRedis(config: RedisConfig, log: Logger): RedisConnection {
  const base = optionsFromUrl(config.url);
  let reconnect = true;
  // Reconnect quickly at first, then every 2 s (BullMQ's default backs off to 20 s); null gives up.
  const retryStrategy = (attempt: number) => (reconnect ? Math.min(100 * attempt, 2000) : null);
  const client = new Redis({
    ...base,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
    connectionName: `${config.prefix}:api`,
  });
  new OutageLog(log, 'Redis connection').watch(client);
  return {
    client,
    workerOptions: { ...base, maxRetriesPerRequest: null, retryStrategy } as ConnectionOptions,
    prefix: config.prefix,
    key: (...parts) => [config.prefix, ...parts].join(':'),
    ping: async () => {
      await client.ping();
    },
    stopReconnecting: () => {
      reconnect = false;
    },
    close: async () => {
      reconnect = false;
      client.disconnect();
    },
  };
}

/**
 * Once Redis answers (at start, or whenever it first comes up): an evicting
 * Redis drops queued jobs silently when it fills up. Never rejects: a Redis
 * that is down at start is waited for, not a reason to stop.
 */
export async function warnIfEvicting(client: Redis, log: Logger): Promise<void> {
  // Not `once(client, 'ready')`: that rejects on the first connection error.
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(reply) ? reply[1] : (reply as Record<string, string>)['maxmemory-policy'];
    if (policy !== 'noeviction') {
      log.warn(
        { policy },
        'Redis maxmemory-policy is not noeviction: when memory runs out, Redis may silently drop queued tasks. Set maxmemory-policy noeviction.',
      );
    }
  } catch (err) {
    // Managed Redis services often refuse CONFIG; the check is advice, not a condition.
    log.info({ err }, 'could not read Redis maxmemory-policy; make sure it is noeviction');
  }
}

function optionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || 0);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}
