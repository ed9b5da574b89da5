import { deepStrictEqual } from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { type Child, startChild } from './child.js';
import { postJson } from './load.js';
import type { Stack } from './stack.js';

/**
 * Gives a book reviews and tags, so that the bodies compared by {@link startOneQuery} hold
 * every part of Bookly's answer; the names are ordered differently by byte and by locale.
 */
export async function giveReviewsAndTags(stack: Stack, bookUid: string, headers: Record<string, string>): Promise<void> {
  for (const [rating, text] of [
    [4, 'Better the second time.'],
    [2, 'Long.'],
  ] as const) {
    const status = await postJson(`${stack.url}/api/v1/reviews/book/${bookUid}`, { rating, review_text: text }, headers);
    if (status !== 201) throw new Error(`reviewing a book answered ${status}`);
  }
  const status = await postJson(
    `${stack.url}/api/v1/tags/book/${bookUid}/tags`,
    { tags: [{ name: 'Zebra' }, { name: 'éclair' }, { name: 'apple' }] },
    headers,
  );
  if (status !== 200) throw new Error(`tagging a book answered ${status}`);
}

/** The one-query baseline's programs, by driver: `pg` (Bookly's) and postgres.js. */
export const oneQueryScripts = { pg: 'one-query-fastify.ts', postgresJs: 'one-query-postgresjs.ts' } as const;

/**
 * Starts the one-query baseline on the stack's PostgreSQL database, with the API's pool size unless
 * told another, and refuses it (throws) unless it answers each of `paths` with Bookly's very body.
 */
export async function startOneQuery(
  stack: Stack,
  paths: readonly string[],
  headers: Record<string, string>,
  driver: keyof typeof oneQueryScripts = 'pg',
  poolSize?: number,
): Promise<Child> {
  const { database } = loadConfig(stack.env);
  if (database.kind !== 'postgres') throw new Error('the one-query baseline reads a PostgreSQL server');
  const child = await startChild(
    oneQueryScripts[driver],
    { DATABASE_URL: database.url, POOL_SIZE: String(poolSize ?? database.poolSize) },
    /listening (http:\/\/\S+)/,
  );
  try {
    await assertSameBodies(`the one-query baseline (${driver})`, { url: child.ready, headers: {} }, stack, paths, headers);
    return child;
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Throws unless `other` answers each of `paths` with the body the stack's API answers. */
export async function assertSameBodies(
  what: string,
  other: { url: string; headers: Record<string, string> },
  stack: Stack,
  paths: readonly string[],
  headers: Record<string, string>,
): Promise<void> {
  for (const path of paths) {
    const [bookly, theirs] = await Promise.all([json(`${stack.url}${path}`, headers), json(`${other.url}${path}`, other.headers)]);
    deepStrictEqual(theirs, bookly, `${what}'s GET ${path} differs from Bookly's`);
  }
}

async function json(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
