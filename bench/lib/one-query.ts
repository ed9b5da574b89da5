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

/**
 * Starts the one-query baseline on the stack's PostgreSQL database, with the API's pool size,
 * and refuses it (throws) unless it answers each of `paths` with Bookly's very body.
 */
export async function startOneQuery(stack: Stack, paths: readonly string[], headers: Record<string, string>): Promise<Child> {
  const { database } = loadConfig(stack.env);
  if (database.kind !== 'postgres') throw new Error('the one-query baseline reads a PostgreSQL server');
  const child = await startChild(
    'one-query-fastify.ts',
    { DATABASE_URL: database.url, POOL_SIZE: String(database.poolSize) },
    /listening (http:\/\/\S+)/,
  );
  try {
    for (const path of paths) {
      const [bookly, baseline] = await Promise.all([json(`${stack.url}${path}`, headers), json(`${child.ready}${path}`, {})]);
      deepStrictEqual(baseline, bookly, `the one-query baseline's GET ${path} differs from Bookly's`);
    }
    return child;
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function json(url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
