import { rootMessage } from '../lib/root-message.js';

interface PgError {
  code: string;
  constraint: string | undefined;
}

/** The PostgreSQL error inside `error`, as either driver reports it and drizzle wraps it. */
function pgError(error: unknown): PgError | undefined {
  for (let current = error; typeof current === 'object' && current !== null; current = (current as { cause?: unknown }).cause) {
    const { code, constraint } = current as { code?: unknown; constraint?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return { code, constraint: typeof constraint === 'string' ? constraint : undefined };
    }
  }
  return undefined;
}

function violates(code: string) {
  return (error: unknown, constraint?: string): boolean => {
    const found = pgError(error);
    return found?.code === code && (constraint === undefined || found.constraint === constraint);
  };
}

/** A unique index refused the row (of `constraint`, when given). */
export const isUniqueViolation = violates('23505');
/** A foreign key refused the row: what it points to does not exist (any more). */
export const isForeignKeyViolation = violates('23503');

// Socket errors, and the SQLSTATEs of a server that is shutting down, starting up, or full:
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
// What pg says, without a code, when its connection is gone or never came.
const unreachableMessages = /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection ended/i;

/**
 * The database could not be reached (or dropped the connection): the request
 * may work again once it is back, unlike an error in the statement itself.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 10; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (unreachableCodes.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && unreachableMessages.test(message)) return true;
    // AggregateError (a connect that tried ::1 and 127.0.0.1) keeps its causes in `errors`.
    const { errors, cause } = current as { errors?: unknown; cause?: unknown };
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return false;
}

/**
 * One line for a database that cannot be used as `DATABASE_URL` names it, and
 * what to do about it; undefined for any other error. A server that answers
 * but refuses this database, user or password will not change its mind, so
 * these stop a command rather than being waited out.
 */
export function describeDatabaseFailure(error: unknown): string | undefined {
  const reason = rootMessage(error);
  if (isDatabaseUnreachable(error)) return `The database is not reachable (${reason}): start PostgreSQL, or correct DATABASE_URL`;
  switch (pgError(error)?.code) {
    case '3D000': // invalid_catalog_name
      return `PostgreSQL refused the database (${reason}): create it, or correct the database name in DATABASE_URL`;
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification: no such role, or no pg_hba.conf entry
      return `PostgreSQL refused the login (${reason}): correct the user or password in DATABASE_URL, or let that user in (pg_hba.conf)`;
    case '42501': // insufficient_privilege, as a migration meets it
      return `PostgreSQL refused a migration (${reason}): the user in DATABASE_URL must be allowed to create tables in its database`;
    default:
      return undefined;
  }
}
