import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { revokedSessions } from '../db/schema/index.js';

/** Remembers ended sessions (logouts) until no token of theirs could be valid anyway. */
export interface RevocationStore {
  /** Ends session `sessionId`: every token carrying it is revoked, and may be forgotten after `until`. */
  revoke(sessionId: string, until: Date): Promise<void>;
  /** Whether session `sessionId` has ended; one look-up by primary key, as it runs on every authenticated request. */
  isRevoked(sessionId: string): Promise<boolean>;
}

/**
 * Revocations in the database, in every mode: an authenticated request never
 * needs Redis, and a Redis that restarts empty brings no logged-out token back.
 */
export class DbRevocationStore implements RevocationStore {
  // Prepared once: it runs on every authenticated request.
  private readonly revoked;

  constructor(private readonly db: Db) {
    this.revoked = db
      .select({ sessionId: revokedSessions.sessionId })
      .from(revokedSessions)
      .where(eq(revokedSessions.sessionId, sql.placeholder('sessionId')))
      .limit(1)
      .prepare('revocation_by_session');
  }

  async revoke(sessionId: string, until: Date): Promise<void> {
    // A session ended twice keeps its first end: that bound already covers every token of it.
    await this.db.insert(revokedSessions).values({ sessionId, expiresAt: until }).onConflictDoNothing();
    // Expired entries can never match a valid token again; each logout sweeps them.
    await this.db.delete(revokedSessions).where(lt(revokedSessions.expiresAt, sql`now()`));
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const [row] = await this.revoked.execute({ sessionId });
    return row !== undefined;
  }
}
