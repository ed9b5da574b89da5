import Type from 'typebox';
import { Book, BookDetail, PageQuery } from '../../schemas/catalogue.js';
import { CalendarDate, errors, Text, Uuid } from '../../schemas/common.js';

const tags = ['books'];
const security = [{ bearerAuth: [] }];
const BookParams = Type.Object({ book_uid: Uuid });

const fields = {
  title: Text(1, 255),
  author: Text(1, 255),
  publisher: Text(1, 255),
  published_date: CalendarDate,
  page_count: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  language: Text(1, 50),
};

export const list = {
  summary: 'Books, newest first; the total is in X-Total-Count',
  tags,
  security,
  querystring: PageQuery,
  response: { 200: Type.Array(Book), ...errors(401, 403, 422) },
};

export const listByUser = {
  summary: "A user's books, newest first; the total is in X-Total-Count",
  tags,
  security,
  params: Type.Object({ user_uid: Uuid }),
  querystring: PageQuery,
  response: { 200: Type.Array(Book), ...errors(401, 403, 404, 422) },
};

export const create = {
  summary: 'Add a book, owned by the caller',
  tags,
  security,
  body: Type.Object(fields),
  response: { 201: Book, ...errors(401, 403, 422) },
};

export const get = {
  summary: 'A book with its reviews and tags',
  tags,
  security,
  params: BookParams,
  response: { 200: BookDetail, ...errors(401, 403, 404, 422) },
};

export const update = {
  summary: 'Change some of a book; its owner or an admin only',
  tags,
  security,
  params: BookParams,
  body: Type.Partial(Type.Object(fields)),
  response: { 200: Book, ...errors(401, 403, 404, 422) },
};

export const remove = {
  summary: 'Delete a book with its reviews and tag links; its owner or an admin only',
  tags,
  security,
  params: BookParams,
  response: { 204: Type.Null({ description: 'Deleted' }), ...errors(401, 403, 404, 422) },
};
