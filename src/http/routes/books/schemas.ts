import Type from 'typebox';
import { Book, BookDetail, ListOf, PageQuery } from '../../schemas/catalogue.js';
import { bodyErrors, CalendarDate, errors, invalidInput, permitted, signedIn, Text, Uuid, verifiedAccount } from '../../schemas/common.js';
import { exampleBookInput } from '../../schemas/examples.js';

const tags = ['books'];
const security = [{ bearerAuth: [] }];
const BookParams = Type.Object({ book_uid: Uuid });
const bookNotFound = { 404: ['book_not_found'] } as const;

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
  response: { 200: ListOf(Book), ...errors(signedIn, verifiedAccount, invalidInput) },
};

export const listByUser = {
  summary: "A user's books, newest first; the total is in X-Total-Count",
  tags,
  security,
  params: Type.Object({ user_uid: Uuid }),
  querystring: PageQuery,
  response: { 200: ListOf(Book), ...errors(signedIn, verifiedAccount, { 404: ['user_not_found'] }, invalidInput) },
};

export const create = {
  summary: 'Add a book, owned by the caller',
  tags,
  security,
  body: Type.Object(fields, { examples: [exampleBookInput] }),
  response: { 201: Book, ...errors(bodyErrors, signedIn, verifiedAccount, invalidInput) },
};

export const get = {
  summary: 'A book with its reviews and tags',
  tags,
  security,
  params: BookParams,
  response: { 200: BookDetail, ...errors(signedIn, verifiedAccount, bookNotFound, invalidInput) },
};

export const update = {
  summary: 'Change some of a book; its owner or an admin only',
  tags,
  security,
  params: BookParams,
  body: Type.Partial(Type.Object(fields), { examples: [{ publisher: 'Penguin Books', page_count: 304 }] }),
  response: { 200: Book, ...errors(bodyErrors, signedIn, verifiedAccount, permitted, bookNotFound, invalidInput) },
};

export const remove = {
  summary: 'Delete a book with its reviews and tag links; its owner or an admin only',
  tags,
  security,
  params: BookParams,
  response: {
    204: Type.Null({ description: 'Deleted' }),
    ...errors(bodyErrors, signedIn, verifiedAccount, permitted, bookNotFound, invalidInput),
  },
};
