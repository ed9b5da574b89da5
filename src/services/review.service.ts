import { count, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { isForeignKeyViolation } from '../db/errors.js';
import { type ReviewRow, reviews } from '../db/schema/index.js';
import { NotFoundError } from '../errors.js';
import { type Actor, assertOwnerOrAdmin, type Page, type PageRequest } from './actor.js';
import { bookNotFound } from './book.service.js';

export interface ReviewInput {
  rating: number;
  reviewText: string;
}

const newestFirst = [desc(reviews.createdAt), desc(reviews.uid)];

function reviewNotFound(): NotFoundError {
  return new NotFoundError('review_not_found', 'No review has this id');
}

export class ReviewService {
  constructor(private readonly db: Db) {}

  async list(page: PageRequest): Promise<Page<ReviewRow>> {
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(reviews)
        .orderBy(...newestFirst)
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ n: count() }).from(reviews),
    ]);
    return { items, total: total?.n ?? 0 };
  }

  /** Every review of a user, newest first (for `/me`). */
  allOfUser(userUid: string): Promise<ReviewRow[]> {
    return this.db
      .select()
      .from(reviews)
      .where(eq(reviews.userUid, userUid))
      .orderBy(...newestFirst);
  }

  async get(uid: string): Promise<ReviewRow> {
    const review = await this.db.query.reviews.findFirst({ where: eq(reviews.uid, uid) });
    if (!review) throw reviewNotFound();
    return review;
  }

  /** The book's existence is the foreign key's to check: a book deleted meanwhile is a 404 too. */
  async create(author: Actor, bookUid: string, input: ReviewInput): Promise<ReviewRow> {
    try {
      const [review] = await this.db
        .insert(reviews)
        .values({ ...input, bookUid, userUid: author.uid })
        .returning();
      return review as ReviewRow;
    } catch (error) {
      if (isForeignKeyViolation(error, 'reviews_book_uid_books_uid_fk')) throw bookNotFound();
      throw error;
    }
  }

  async delete(actor: Actor, uid: string): Promise<void> {
    const review = await this.get(uid);
    assertOwnerOrAdmin(actor, review.userUid, 'review');
    await this.db.delete(reviews).where(eq(reviews.uid, uid));
  }
}
