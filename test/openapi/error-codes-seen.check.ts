/**
 * Run by `npm test` after the main run (its name keeps it out of that run): compares the error
 * codes each route's tests saw (test/support/error-codes-record.ts) with the ones the OpenAPI
 * document lists for it, both ways, and then removes the records.
 *
 * The codes of `everyEndpointErrors` (500 server_error, 503 service_unavailable, …) are stated
 * once in the document's description, not under each endpoint; seen on a route that does not list
 * them, they are not a finding. A route that lists one (`/ready`'s 503) must have a test that sees it.
 * The codes a kind of endpoint gives (400 invalid_json, 413 and 415 on every method with a body, the
 * 401s of a bearer token, 429 on the rate-limited routes) are listed where they apply, and compared
 * like any other; test/http/routes/every-endpoint.test.ts gets them from every endpoint of the kind.
 *
 * By hand: BOOKLY_ERROR_CODES_DIR=$(mktemp -d) node --import tsx --test FILES… and then
 * BOOKLY_ERROR_CODES_DIR=<the same> node --import tsx --test test/openapi/error-codes-seen.check.ts
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { everyEndpointErrors } from '../../src/http/schemas/error-codes.js';
import { openTestDatabase } from '../support/databases.js';
import { type ErrorCodeRecord, errorCodesDirVariable } from '../support/error-codes-record.js';
import { startTestApp } from '../support/test-app.js';

const dir = process.env[errorCodesDirVariable];
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Operation = {
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: { error_code?: { enum?: string[] } } } }> }>;
};

/** `GET /api/v1/books/{book_uid} 404 book_not_found` for each code each documented operation lists. */
async function documentedCodes(): Promise<{ operations: Set<string>; codes: Set<string> }> {
  const db = await openTestDatabase('postgres');
  // No SMTP server: the dev mailbox's routes are in the document too.
  const app = await startTestApp({ db, runner: false });
  try {
    const doc = (await app.request({ method: 'GET', url: '/api/v1/openapi.json' })).json as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = new Set<string>();
    const codes = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} ${path}`;
        operations.add(name);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          for (const code of response.content?.['application/json']?.schema?.properties?.error_code?.enum ?? []) {
            codes.add(`${name} ${status} ${code}`);
          }
        }
      }
    }
    return { operations, codes };
  } finally {
    await app.close();
    await db.close();
  }
}

/** The records' route patterns as the document writes paths: `{book_uid}`, no trailing slash; HEAD is its GET. */
function seenCodes(): Map<string, ErrorCodeRecord> {
  const seen = new Map<string, ErrorCodeRecord>();
  for (const file of readdirSync(dir as string).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir as string, file), 'utf8')
      .split('\n')
      .filter(Boolean)) {
      const record = JSON.parse(line) as ErrorCodeRecord;
      const path = record.route.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
      const method = record.method === 'HEAD' ? 'GET' : record.method;
      seen.set(`${method} ${path} ${record.status} ${record.error_code}`, record);
    }
  }
  return seen;
}

test('every error code a route is documented with is seen in a test, and every one seen is documented', async () => {
  assert.ok(dir, `${errorCodesDirVariable} is not set: run the tests with it set, then this check with the same value (npm test does)`);
  const seen = seenCodes();
  assert.ok(seen.size > 0, `no error answer was recorded in ${dir}: were the tests run with ${errorCodesDirVariable}=${dir}?`);
  const { operations, codes } = await documentedCodes();
  const stated = new Set(everyEndpointErrors.map(({ status, code }) => `${status} ${code}`));

  const undocumented = [...seen.keys()].filter((key) => {
    const operation = key.split(' ').slice(0, 2).join(' ');
    // Routes the document hides (the dashboards, /metrics, the document itself) have no list to keep.
    if (!operations.has(operation) || codes.has(key)) return false;
    return !stated.has(key.split(' ').slice(2).join(' '));
  });
  const unseen = [...codes].filter((key) => !seen.has(key));

  const problems = [
    ...undocumented.map(
      (key) =>
        `${key}: a test got this answer, but the document does not list the code under that status. ` +
        "Add it to the route's errors(...) in src/http/routes/<domain>/schemas.ts, or, if the answer is wrong, fix the route.",
    ),
    ...unseen.map(
      (key) =>
        `${key}: the document lists it, but no test got it. Add a test that does to test/http/routes/<domain>.test.ts ` +
        "(or to test/http/routes/every-endpoint.test.ts when every endpoint of a kind gives it), or remove the code from the route's errors(...) if the route cannot answer with it.",
    ),
  ];
  if (problems.length > 0) {
    assert.fail(`${problems.length} difference(s) between the documented and the seen error codes:\n${problems.join('\n')}`);
  }
});
