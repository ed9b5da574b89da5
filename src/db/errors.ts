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
