import assert from 'node:assert/strict';
import type { TestApp } from './test-app.js';

export function newBook(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Dune',
    author: 'Frank Herbert',
    publisher: 'Chilton Books',
    published_date: '1965-08-01',
    page_count: 412,
    language: 'English',
    ...overrides,
  };
}

/** Adds a book through the API and returns it as the API answered. */
// biome-ignore lint/suspicious/noExplicitAny: the book is read field by field by the tests.
export async function createBook(t: TestApp, token: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const reply = await t.request({ method: 'POST', url: '/api/v1/books', token, payload: newBook(overrides) });
  assert.equal(reply.status, 201, reply.text);
  return reply.json;
}

// biome-ignore lint/suspicious/noExplicitAny: the review is read field by field by the tests.
export async function createReview(t: TestApp, token: string, bookUid: string, rating = 5, text = 'A classic.'): Promise<any> {
  const reply = await t.request({ method: 'POST', url: `/api/v1/reviews/book/${bookUid}`, token, payload: { rating, review_text: text } });
  assert.equal(reply.status, 201, reply.text);
  return reply.json;
}

/** How many SQL statements ran while `work` did (stop the task runner first: it queries too). */
export async function queriesRunBy(t: TestApp, work: () => Promise<unknown>): Promise<number> {
  const before = t.deps.database.stats.queries;
  await work();
  return t.deps.database.stats.queries - before;
}
