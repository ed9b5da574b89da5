import Type from 'typebox';
import type { UserRow } from '../../db/schema/index.js';
import { Timestamp, Uuid } from './common.js';
import { exampleUser } from './examples.js';

export const User = Type.Object(
  {
    uid: Uuid,
    username: Type.String(),
    email: Type.String(),
    first_name: Type.String(),
    last_name: Type.String(),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    is_verified: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { examples: [exampleUser] },
);

/** The public view of an account: never its password hash. */
export function toUser(row: Omit<UserRow, 'passwordHash'>): Type.Static<typeof User> {
  return {
    uid: row.uid,
    username: row.username,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    role: row.role,
    is_verified: row.isVerified,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
