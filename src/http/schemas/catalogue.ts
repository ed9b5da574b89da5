import Type from 'typebox';
import type { BookRow, ReviewRow, TagRow } from '../../db/schema/index.js';
import type { BookDetail as BookDetailRow } from '../../services/book.service.js';
import { Timestamp, Uuid } from './common.js';
import { exampleBook, exampleBookDetail, exampleReview, exampleTag } from './examples.js';

export const Book = Type.Object(
  {
    uid: Uuid,
    title: Type.String(),
    author: Type.String(),
    publisher: Type.String(),
    published_date: Type.String({ format: 'date' }),
    page_count: Type.Integer(),
    language: Type.String(),
    user_uid: Uuid,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { examples: [exampleBook] },
);

export const Review = Type.Object(
  {
    uid: Uuid,
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    review_text: Type.String(),
    user_uid: Uuid,
    book_uid: Uuid,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { examples: [exampleReview] },
);

export const Tag = Type.Object({ uid: Uuid, name: Type.String(), created_at: Timestamp }, { examples: [exampleTag] });

export const BookDetail = Type.Object(
  { ...Book.properties, reviews: Type.Array(Review), tags: Type.Array(Tag) },
  { examples: [exampleBookDetail] },
);

/** A list of `item`, shown in the document as a list of its example. */
export const ListOf = <T extends Type.TObject>(item: T) =>
  Type.Array(item, { examples: [[...((item as { examples?: unknown[] }).examples ?? [])]] });

const pageFields = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
};

/** `limit` 1..100 (50 when absent) and `offset` ≥ 0; the total is in `X-Total-Count`. */
export const PageQuery = Query(pageFields);

/** A page's query with more fields (filters). */
export const PageQueryWith = <P extends Type.TProperties>(fields: P) => Query({ ...pageFields, ...fields });

/**
 * A query string's schema whose fields with a default are not required: a client may leave them
 * out (the OpenAPI document says so), and Ajv's `useDefaults` fills them in, so a handler still
 * reads a number. TypeBox's static type follows the properties, not `required`, and stays as it is.
 */
function Query<P extends Type.TProperties>(fields: P): Type.TObject<P> {
  const schema = Type.Object(fields);
  const mutable = schema as { required?: string[] };
  const required = (mutable.required ?? []).filter((name) => !('default' in (fields[name] as object)));
  if (required.length > 0) mutable.required = required;
  else delete mutable.required;
  return schema;
}

export const totalCountHeader = Type.Object({ 'x-total-count': Type.Integer({ description: 'How many items the whole list has' }) });

export function toBook(row: BookRow): Type.Static<typeof Book> {
  return {
    uid: row.uid,
    title: row.title,
    author: row.author,
    publisher: row.publisher,
    published_date: row.publishedDate,
    page_count: row.pageCount,
    language: row.language,
    user_uid: row.userUid,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toReview(row: ReviewRow): Type.Static<typeof Review> {
  return {
    uid: row.uid,
    rating: row.rating,
    review_text: row.reviewText,
    user_uid: row.userUid,
    book_uid: row.bookUid,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toTag(row: TagRow): Type.Static<typeof Tag> {
  return { uid: row.uid, name: row.name, created_at: row.createdAt };
}

export function toBookDetail(row: BookDetailRow): Type.Static<typeof BookDetail> {
  return { ...toBook(row), reviews: row.reviews.map(toReview), tags: row.tags.map(toTag) };
}
