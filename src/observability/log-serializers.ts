/**
 * What a log line may say about an error or a request. A failed statement's
 * error carries the statement and its parameters (drizzle's "Failed query: …
 * params: …", PGlite's `query` and `params`, PostgreSQL's `detail`, "Failing
 * row contains (…)"), and so password hashes, emails and names: none of that
 * is kept. The error's class, the driver's message (values quoted in it
 * redacted), its SQLSTATE and the constraint's name are, and the stack frames.
 */

/** Properties of drizzle's, pg's and PGlite's errors that hold a statement or the values it ran with. */
const withValues = new Set(['query', 'params', 'parameters', 'queryOptions', 'detail', 'where', 'internalQuery']);
const failedQuery = /Failed query: [\s\S]*?\nparams: [^\n]*/g;
const redacted = '[redacted]';
const maxDepth = 8;

interface ErrorLike {
  message: string;
  name?: unknown;
  stack?: unknown;
  cause?: unknown;
  errors?: unknown;
  params?: unknown;
  [key: string]: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** The pino serializer for `err`: an error, its causes, and what they may show. */
export function serializeError(err: unknown): unknown {
  if (typeof err === 'string') return err.replace(failedQuery, 'Failed query');
  if (!isErrorLike(err)) return err;
  const values = new Set<string>();
  collectValues(err, values, 0);
  return serialize(err, [...values], 0, new Set());
}

/** Every parameter value anywhere in the chain, as the text a driver would quote in a message. */
function collectValues(err: unknown, into: Set<string>, depth: number): void {
  if (!isErrorLike(err) || depth > maxDepth) return;
  if (Array.isArray(err.params)) addValues(err.params, into);
  collectValues(err.cause, into, depth + 1);
  if (Array.isArray(err.errors)) for (const inner of err.errors) collectValues(inner, into, depth + 1);
}

function addValues(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) addValues(item, into);
  else if (value instanceof Date) into.add(value.toISOString());
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    into.add(String(value));
  } else if (value !== null && value !== undefined) into.add(JSON.stringify(value));
}

function scrub(text: string, values: readonly string[]): string {
  let result = text.replace(failedQuery, 'Failed query');
  // PostgreSQL quotes the value it could not take: `invalid input syntax for type uuid: "…"`.
  for (const value of values) if (value !== '') result = result.replaceAll(`"${value}"`, `"${redacted}"`);
  return result;
}

function serialize(err: ErrorLike, values: readonly string[], depth: number, seen: Set<unknown>): Record<string, unknown> {
  seen.add(err);
  const type = typeof err.constructor === 'function' && err.constructor.name ? err.constructor.name : String(err.name ?? 'Error');
  const message = scrub(err.message, values);
  const out: Record<string, unknown> = { type, message };
  if (typeof err.stack === 'string') {
    // The stack starts with the message, so it is rebuilt from the frames.
    const frames = err.stack.split('\n').filter((line) => /^\s+at /.test(line));
    out.stack = [`${String(err.name ?? type)}: ${message}`, ...frames].join('\n');
  }
  for (const key in err) {
    if (key in out || withValues.has(key) || key === 'cause' || key === 'errors') continue;
    const value = err[key];
    if (isErrorLike(value)) {
      if (!seen.has(value) && depth < maxDepth) out[key] = serialize(value, values, depth + 1, seen);
    } else if (typeof value === 'string') out[key] = scrub(value, values);
    else if (typeof value !== 'function') out[key] = value;
  }
  if (isErrorLike(err.cause) && !seen.has(err.cause) && depth < maxDepth) {
    out.cause = serialize(err.cause, values, depth + 1, seen);
  }
  if (Array.isArray(err.errors) && depth < maxDepth) {
    out.aggregateErrors = err.errors
      .filter((inner) => isErrorLike(inner) && !seen.has(inner))
      .map((inner) => serialize(inner, values, depth + 1, seen));
  }
  return out;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

// The single-use tokens of verification and reset links open an account to whoever reads them.
const linkToken = /(\/(?:verify|password-reset-confirm)\/)[^/?#]+/;

/** The pino serializer for `req` (what Fastify logs, with link tokens left out of the URL). */
export function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url?.replace(linkToken, `$1${redacted}`),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
