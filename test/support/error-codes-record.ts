import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The folder `npm test` names for the records; unset, nothing is recorded. */
export const errorCodesDirVariable = 'BOOKLY_ERROR_CODES_DIR';

/** One error answer a test saw: `route` is the route's pattern (`/api/v1/books/:book_uid`). */
export interface ErrorCodeRecord {
  method: string;
  route: string;
  status: number;
  error_code: string;
}

/**
 * Appends every error answer of `app` that has an `error_code` to a file of this process in the
 * folder of {@link errorCodesDirVariable}, for test/openapi/error-codes-seen.check.ts to compare
 * with the OpenAPI document. Answers no route gave (an unknown path, a malformed request line)
 * have no route pattern and are left out.
 */
export function recordErrorCodes(app: FastifyInstance): void {
  const dir = process.env[errorCodesDirVariable];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.jsonl`);
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (reply.statusCode < 400 || route === undefined || typeof payload !== 'string') return payload;
    let code: unknown;
    try {
      code = (JSON.parse(payload) as { error_code?: unknown }).error_code;
    } catch {
      return payload; // a page, not a JSON error
    }
    if (typeof code === 'string') {
      const record: ErrorCodeRecord = { method: request.method, route, status: reply.statusCode, error_code: code };
      appendFileSync(file, `${JSON.stringify(record)}\n`);
    }
    return payload;
  });
}
