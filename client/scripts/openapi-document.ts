import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createDeps } from '../../src/deps.js';
import { buildApp } from '../../src/http/app.js';
import { openApiPath } from '../../src/http/plugins/docs.js';

/**
 * A development server's configuration, fixed here so that the shell's environment cannot change the
 * document. No MAIL_SERVER: the dev mailbox's routes are in the document (a server with one serves
 * the same document without them). The secret never signs anything. The database is never reached:
 * `serve` builds the app before its database answers, and a PostgreSQL pool connects on its first
 * query, so no query means no connection (and one would fail at once on port 1, not hang).
 */
const env: Record<string, string> = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'only-for-building-the-openapi-document-never-for-signing',
  DATABASE_URL: 'postgres://openapi@127.0.0.1:1/never-connected',
};

/** The document a server serves at `GET /api/v1/openapi.json`, as that server answers it. */
export async function servedOpenApiDocument(): Promise<unknown> {
  const config = loadConfig(env);
  const deps = await createDeps(config, { log: pino({ level: 'silent' }) });
  try {
    const app = await buildApp(deps);
    try {
      const reply = await app.inject({ method: 'GET', url: openApiPath });
      if (reply.statusCode !== 200) throw new Error(`GET ${openApiPath} answered ${reply.statusCode}: ${reply.body}`);
      return reply.json();
    } finally {
      await app.close();
    }
  } finally {
    await deps.close();
  }
}

/** The document as `docs/openapi.json` holds it: keys sorted at every level, so that it diffs well and reads the same on every run. */
export function openApiJson(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
