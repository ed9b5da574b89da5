import type { UserRow } from '../db/schema/index.js';
import { Lru } from '../lib/lru.js';

/** What a session knows of its user: the row without its password hash, which no authenticated request needs. */
export type SessionUser = Omit<UserRow, 'passwordHash'>;

/** The channel the database's triggers notify on (drizzle/0007_auth_invalidation.sql). */
export const authChannel = 'bookly_auth';

/**
 * What authenticating a request reads from the database, kept in this
 * process: user rows by uid and sessions' revocation by session id, each
 * bounded and least recently used out first.
 *
 * It starts off, and serves entries only while on: `resume()` is called by
 * whoever makes sure to hear of every change (the listener on the
 * database's notifications), `suspend()` when that is no longer sure. While
 * off, every read goes to the database.
 *
 * A read that began before an invalidation may return what the invalidation
 * made stale; every invalidation moves the epoch on, and a read stores its
 * result only if the epoch did not move while it ran.
 */
export class AuthCache {
  private readonly users: Lru<string, SessionUser>;
  private readonly sessions: Lru<string, boolean>;
  private epoch = 0;
  private on = false;
  /** For tests and metrics: reads answered from memory, and reads that went to the database. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(readonly capacity: { users: number; sessions: number }) {
    this.users = new Lru(capacity.users);
    this.sessions = new Lru(capacity.sessions);
  }

  get enabled(): boolean {
    return this.on;
  }

  /** The user `uid`, from memory or from `load`; a missing user is not remembered (its tokens are refused anyway). */
  user(uid: string, load: () => Promise<SessionUser | undefined>): Promise<SessionUser | undefined> {
    return this.through(this.users, uid, load);
  }

  /** Whether session `sessionId` has ended, from memory or from `load`. */
  async isRevoked(sessionId: string, load: () => Promise<boolean>): Promise<boolean> {
    return (await this.through(this.sessions, sessionId, load)) ?? false;
  }

  forgetUser(uid: string): void {
    this.epoch++;
    this.users.delete(uid);
  }

  forgetSession(sessionId: string): void {
    this.epoch++;
    this.sessions.delete(sessionId);
  }

  forgetAll(): void {
    this.epoch++;
    this.users.clear();
    this.sessions.clear();
  }

  /** Every change is heard of from now on: entries may be kept and served again, starting from none. */
  resume(): void {
    this.forgetAll();
    this.on = this.capacity.users > 0 || this.capacity.sessions > 0;
  }

  /** A change may go unheard: nothing is served or kept until `resume()`. */
  suspend(): void {
    this.on = false;
    this.forgetAll();
  }

  /** Applies a notification's payload: `user:<uid>`, `session:<id>`, or anything else (`all`) forgets everything. */
  applyNotice(payload: string): void {
    const [kind, id] = payload.split(':', 2);
    if (kind === 'user' && id) this.forgetUser(id);
    else if (kind === 'session' && id) this.forgetSession(id);
    else this.forgetAll();
  }

  private async through<V>(entries: Lru<string, V>, key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (this.on) {
      const hit = entries.get(key);
      if (hit !== undefined) {
        this.stats.hits++;
        return hit;
      }
    }
    this.stats.misses++;
    const epoch = this.epoch;
    const value = await load();
    if (value !== undefined && this.on && this.epoch === epoch) entries.set(key, value);
    return value;
  }
}
