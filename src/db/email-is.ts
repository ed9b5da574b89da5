import { eq, type SQL, sql } from 'drizzle-orm';
import { users } from './schema/index.js';

/**
 * The account whose email is `email`, compared as the unique index on
 * `lower(email)` compares it: by the database's `lower()`, which does not
 * always agree with JavaScript's `toLowerCase()` outside ASCII.
 */
export function emailIs(email: string): SQL {
  return eq(sql`lower(${users.email})`, sql`lower(${email.trim()})`);
}
