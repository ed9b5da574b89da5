/**
 * The innermost message of an error: the driver's own words ("connect
 * ECONNREFUSED 127.0.0.1:5432"), not drizzle's query text around them. An
 * AggregateError (a connect that tried ::1 and 127.0.0.1) keeps its causes in
 * `errors`.
 */
export function rootMessage(error: unknown): string {
  let current = error as { message?: unknown; cause?: unknown; errors?: unknown[] };
  for (let depth = 0; depth < 10; depth++) {
    const next = (current.errors?.[0] ?? current.cause) as typeof current | undefined;
    if (!next || typeof next !== 'object') break;
    current = next;
  }
  return typeof current.message === 'string' && current.message !== '' ? current.message : String(error);
}
