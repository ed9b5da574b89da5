import { createHash } from 'node:crypto';

/** What is stored of a token sent in a link: its SHA-256, so a copy of the database opens nothing. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
