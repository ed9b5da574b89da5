import { count, desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type BookRow, books, type ReviewRow, reviews, type TagRow, users } from '../db/schema/index.js';
import { NotFoundError } from '../errors.js';
import { type Actor, assertOwnerOrAdmin, type Page, type PageRequest } from './actor.js';

export interface BookInput {
  title: string;
  author: string;
  publisher: string;
  publishedDate: string;
  pageCount: number;
  language: string;
}

export interface BookDetail extends BookRow {
  reviews: ReviewRow[];
  tags: TagRow[];
}

const newestFirst = [desc(books.createdAt), desc(books.uid)];

export function bookNotFound(): NotFoundError {
  return new NotFoundError('book_not_found', 'No book has this id');
}

/** Books: a list newest first, each owned by the user who added it. */
export class BookService {
  // The most read statements, built once (building drizzle's SQL cost more CPU than running it; `npm run bench`).
  private readonly prepared: ReturnType<typeof prepareReads>;

  constructor(private readonly db: Db) {
    this.prepared = prepareReads(db);
  }

  async list(page: PageRequest): Promise<Page<BookRow>> {
    const rows = await this.prepared.page.execute({ limit: page.limit, offset: page.offset });
    return pageOf(rows, async () => (await this.prepared.total.execute())[0]?.n ?? 0);
  }

  async listByUser(userUid: string, page: PageRequest): Promise<Page<BookRow>> {
    const rows = await this.db
      .select({ ...getTableColumns(books), total: sql<number>`(select count(*) from ${books} where ${books.userUid} = ${userUid})::int` })
      .from(books)
      .where(eq(books.userUid, userUid))
      .orderBy(...newestFirst)
      .limit(page.limit)
      .offset(page.offset);
    const result = await pageOf(
      rows,
      async () => (await this.db.select({ n: count() }).from(books).where(eq(books.userUid, userUid)))[0]?.n ?? 0,
    );
    // Only an empty list raises the question whether the user exists at all.
    if (result.total === 0 && !(await this.db.query.users.findFirst({ columns: { uid: true }, where: eq(users.uid, userUid) }))) {
      throw new NotFoundError('user_not_found', 'No user has this id');
    }
    return result;
  }

  /** Every book of a user, newest first (for `/me`). */
  allOfUser(userUid: string): Promise<BookRow[]> {
    return this.db
      .select()
      .from(books)
      .where(eq(books.userUid, userUid))
      .orderBy(...newestFirst);
  }

  async create(owner: Actor, input: BookInput): Promise<BookRow> {
    const [book] = await this.db
      .insert(books)
      .values({ ...input, userUid: owner.uid })
      .returning();
    return book as BookRow;
  }

  /** The book with its reviews (newest first) and tags (by name), in one statement. */
  async get(uid: string): Promise<BookDetail> {
    const found = await this.prepared.detail.execute({ uid });
    if (!found) throw bookNotFound();
    const { bookTags, ...book } = found;
    const tags = bookTags.map((link) => link.tag).sort((a, b) => a.name.localeCompare(b.name));
    return { ...book, tags };
  }

  async update(actor: Actor, uid: string, patch: Partial<BookInput>): Promise<BookRow> {
    const book = await this.findOwned(actor, uid);
    if (Object.keys(patch).length === 0) return book;
    const [updated] = await this.db.update(books).set(patch).where(eq(books.uid, uid)).returning();
    if (!updated) throw bookNotFound();
    return updated;
  }

  /** Deletes the book; the database takes its reviews and tag links with it, in the same statement. */
  async delete(actor: Actor, uid: string): Promise<void> {
    await this.findOwned(actor, uid);
    const deleted = await this.db.delete(books).where(eq(books.uid, uid)).returning({ uid: books.uid });
    if (deleted.length === 0) throw bookNotFound();
  }

  private async findOwned(actor: Actor, uid: string): Promise<BookRow> {
    const book = await this.db.query.books.findFirst({ where: eq(books.uid, uid) });
    if (!book) throw bookNotFound();
    assertOwnerOrAdmin(actor, book.userUid, 'book');
    return book;
  }
}

/**
 * A page whose rows each carry the total: one statement, one round trip.
 * Past the end (or with no books) no row carries it, and it is counted alone.
 */
async function pageOf(rows: (BookRow & { total: number })[], countAlone: () => Promise<number>): Promise<Page<BookRow>> {
  const [first] = rows;
  if (!first) return { items: [], total: await countAlone() };
  return { items: rows.map(({ total: _, ...book }) => book), total: first.total };
}

function prepareReads(db: Db) {
  return {
    page: db
      .select({ ...getTableColumns(books), total: sql<number>`(select count(*) from ${books})::int` })
      .from(books)
      .orderBy(...newestFirst)
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('books_page'),
    total: db.select({ n: count() }).from(books).prepare('books_total'),
    detail: db.query.books
      .findFirst({
        where: eq(books.uid, sql.placeholder('uid')),
        with: { reviews: { orderBy: [desc(reviews.createdAt), desc(reviews.uid)] }, bookTags: { with: { tag: true } } },
      })
      .prepare('book_detail'),
  };
}
