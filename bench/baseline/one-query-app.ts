/**
 * The read benchmark's one-query limit, less its driver: Fastify answering
 * Bookly's two book reads with one prepared statement each, serialised with
 * Bookly's response schemas, and nothing else (no auth, no helmet, no
 * logging, no ORM). Each driver's baseline (one-query-fastify.ts on `pg`,
 * one-query-postgresjs.ts on postgres.js) passes how it runs a statement, so
 * that the two differ in the driver alone.
 */
import Fastify from 'fastify';
import { Book, BookDetail, ListOf, PageQuery } from '../../src/http/schemas/catalogue.js';

export interface Statement {
  /** The prepared statement's name, for drivers that name them. */
  name: string;
  text: string;
}

/** Runs a prepared statement with its values and resolves with its rows, parsed as `pg` parses them. */
export type RunStatement = (statement: Statement, values: readonly unknown[]) => Promise<readonly Record<string, unknown>[]>;

const bookColumns = `b.uid, b.title, b.author, b.publisher, b.published_date::text as published_date, b.page_count,
  b.language, b.user_uid, b.created_at, b.updated_at`;
// Inside JSON a timestamp is PostgreSQL's text, in microseconds: made here what a JavaScript Date
// (milliseconds, UTC) prints, as Bookly's are.
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Bookly's page (services/book.service.ts): newest first, each row carrying the total. */
const page: Statement = {
  name: 'one_query_books_page',
  text: `select ${bookColumns}, (select count(*) from books)::int as total
    from books b order by b.created_at desc, b.uid desc limit $1 offset $2`,
};

/** Bookly's book with its reviews (newest first) and its tags (by name, as `localeCompare` orders them). */
const detail: Statement = {
  name: 'one_query_book_detail',
  text: `select ${bookColumns},
    coalesce((select json_agg(json_build_object('uid', r.uid, 'rating', r.rating, 'review_text', r.review_text,
        'user_uid', r.user_uid, 'book_uid', r.book_uid, 'created_at', ${iso('r.created_at')},
        'updated_at', ${iso('r.updated_at')}) order by r.created_at desc, r.uid desc)
      from reviews r where r.book_uid = b.uid), '[]') as reviews,
    coalesce((select json_agg(json_build_object('uid', t.uid, 'name', t.name, 'created_at', ${iso('t.created_at')})
        order by t.name collate "und-x-icu")
      from book_tags bt join tags t on t.uid = bt.tag_uid where bt.book_uid = b.uid), '[]') as tags
    from books b where b.uid = $1`,
};

/** Listens on a free loopback port and prints `listening URL`, the line the bench waits for. */
export async function serveOneQuery(run: RunStatement): Promise<void> {
  const app = Fastify({ logger: false });

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/api/v1/books',
    { schema: { querystring: PageQuery, response: { 200: ListOf(Book) } } },
    async (request, reply) => {
      const rows = await run(page, [request.query.limit, request.query.offset]);
      // Past the end no row carries the total; the bench never asks there.
      return reply.header('x-total-count', rows[0]?.total ?? 0).send(rows);
    },
  );

  app.get<{ Params: { book_uid: string } }>(
    '/api/v1/books/:book_uid',
    { schema: { response: { 200: BookDetail } } },
    async (request, reply) => {
      const rows = await run(detail, [request.params.book_uid]);
      return rows[0] ?? reply.status(404).send({ message: 'No book has this id' });
    },
  );

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening ${address}`);
}
