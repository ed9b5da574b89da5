import type { UserRow } from '../db/schema/index.js';
import { ForbiddenError } from '../errors.js';

/** Who is asking: the services decide what they may do. */
export type Actor = Pick<UserRow, 'uid' | 'role'>;

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  /** All the rows the list has, not only this page's. */
  total: number;
}

/** Only the owner of a thing, or an admin, may change it. */
export function assertOwnerOrAdmin(actor: Actor, ownerUid: string, what: string): void {
  if (actor.role !== 'admin' && actor.uid !== ownerUid) {
    throw new ForbiddenError('insufficient_permissions', `Only its owner or an admin may change this ${what}`);
  }
}
