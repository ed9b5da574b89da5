import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { revokedTokens } from '../db/schema/index.js';
import { ServiceUnavailableError } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';

/** Remembers logged-out tokens until they would have expired anyway. */
export interface RevocationStore {
  revoke(jti: string, expiresAt: Date): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/** Revocations in the database: the mode without Redis. */
export class DbRevocationStore implements RevocationStore {
  // Prepared once: it runs on every authenticated request.
  private readonly revoked;

  constructor(private readonly db: Db) {
    this.revoked = db
      .select({ jti: revokedTokens.jti })
      .from(revokedTokens)
      .where(eq(revokedTokens.jti, sql.placeholder('jti')))
      .limit(1)
      .prepare('revocation_by_jti');
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.db.insert(revokedTokens).values({ jti, expiresAt }).onConflictDoNothing();
    // Expired entries can never match a valid token again; each logout sweeps them.
    await this.db.delete(revokedTokens).where(lt(revokedTokens.expiresAt, sql`now()`));
  }

  async isRevoked(jti: string): Promise<boolean> {
    const [row] = await this.revoked.execute({ jti });
    return row !== undefined;
  }
}

/**
 * Revocations in Redis, each expiring when its token would have: the Redis
 * mode. While Redis is down a token cannot be checked, so it is refused with
 * 503 rather than let through.
 */
export class RedisRevocationStore implements RevocationStore {
  constructor(private readonly redis: RedisConnection) {}

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    const seconds = Math.ceil((expiresAt.getTime() - Date.now()) / 1000);
    if (seconds <= 0) return;
    await this.call(() => this.redis.client.set(this.redis.key('revoked', jti), '1', 'EX', seconds));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.call(() => this.redis.client.exists(this.redis.key('revoked', jti)))) === 1;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw Object.assign(new ServiceUnavailableError('Token revocations cannot be checked right now (Redis is unreachable)'), { cause });
    }
  }
}
