import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { LocalMailRateLimit, type MailRateLimit, RedisMailRateLimit } from '../../src/mail/rate-limit.js';
import { connectRedis, type RedisConnection } from '../../src/redis/connection.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';

/** Ten sends at 4 a second: however they bunch up, the nth may not start before (n-1) × 250 ms. */
async function spacing(limit: MailRateLimit): Promise<number[]> {
  const start = Date.now();
  const times = await Promise.all(Array.from({ length: 10 }, () => limit.acquire().then(() => Date.now() - start)));
  return times.sort((a, b) => a - b);
}

describe('mail rate limit', () => {
  let redis: RedisConnection;
  const prefix = testPrefix();
  before(async () => {
    redis = connectRedis({ url: redisUrl, prefix }, pino({ level: 'silent' }));
    if (redis.client.status !== 'ready') await once(redis.client, 'ready');
  });
  after(async () => {
    await redis.close();
    await deleteKeys(redisUrl, prefix);
  });

  for (const [name, make] of [
    ['in one process', () => new LocalMailRateLimit(4)],
    ['across processes, in Redis', () => new RedisMailRateLimit(redis, 4)],
  ] as const) {
    it(`spaces sends evenly ${name}`, async () => {
      const times = await spacing(make());
      // Lower bounds only: a slow machine may be later, never earlier (5 ms for timer rounding).
      for (const [n, time] of times.entries()) assert.ok(time >= n * 250 - 5, `send ${n + 1} at ${time} ms`);
    });
  }

  it('lets a second limiter on the same Redis share the budget', async () => {
    const [a, b] = [new RedisMailRateLimit(redis, 4), new RedisMailRateLimit(redis, 4)];
    const start = Date.now();
    const times = (await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acquire().then(() => Date.now() - start)))).sort(
      (x, y) => x - y,
    );
    // From the start, not from the first send: a first callback that runs late on a busy machine would
    // make the gaps after it look shorter than the limiter made them. Two budgets would let send 2 go at 0 ms.
    for (const [n, time] of times.entries()) assert.ok(time >= n * 250 - 5, `send ${n + 1} at ${time} ms`);
  });
});
