import Type from 'typebox';
import { BookDetail, Tag } from '../../schemas/catalogue.js';
import { errors, Text, Uuid } from '../../schemas/common.js';

const tags = ['tags'];
const security = [{ bearerAuth: [] }];
const TagName = Text(1, 50);
const TagParams = Type.Object({ tag_uid: Uuid });

export const list = {
  summary: 'Every tag, by name',
  tags,
  security,
  response: { 200: Type.Array(Tag), ...errors(401, 403) },
};

export const create = {
  summary: 'Create a tag (names are unique in any case)',
  tags,
  security,
  body: Type.Object({ name: TagName }),
  response: { 201: Tag, ...errors(401, 403, 409, 422) },
};

export const attach = {
  summary: 'Tag a book; missing tags are created, a tag is never linked twice',
  tags,
  security,
  params: Type.Object({ book_uid: Uuid }),
  body: Type.Object({ tags: Type.Array(Type.Object({ name: TagName }), { maxItems: 100 }) }),
  response: { 200: BookDetail, ...errors(401, 403, 404, 422) },
};

export const rename = {
  summary: 'Rename a tag; admin only',
  tags,
  security,
  params: TagParams,
  body: Type.Object({ name: TagName }),
  response: { 200: Tag, ...errors(401, 403, 404, 409, 422) },
};

export const remove = {
  summary: 'Delete a tag and its links to books; admin only',
  tags,
  security,
  params: TagParams,
  response: { 204: Type.Null({ description: 'Deleted' }), ...errors(401, 403, 404, 422) },
};
