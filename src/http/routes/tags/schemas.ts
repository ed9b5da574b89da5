import Type from 'typebox';
import { BookDetail, ListOf, Tag } from '../../schemas/catalogue.js';
import { bodyErrors, errors, invalidInput, permitted, signedIn, Text, Uuid, verifiedAccount } from '../../schemas/common.js';

const tags = ['tags'];
const security = [{ bearerAuth: [] }];
const TagName = Text(1, 50);
const TagParams = Type.Object({ tag_uid: Uuid });
const tagNotFound = { 404: ['tag_not_found'] } as const;
const tagExists = { 409: ['tag_exists'] } as const;

export const list = {
  summary: 'Every tag, by name',
  tags,
  security,
  response: { 200: ListOf(Tag), ...errors(signedIn, verifiedAccount) },
};

export const create = {
  summary: 'Create a tag (names are unique in any case)',
  tags,
  security,
  body: Type.Object({ name: TagName }, { examples: [{ name: 'Science fiction' }] }),
  response: { 201: Tag, ...errors(bodyErrors, signedIn, verifiedAccount, tagExists, invalidInput) },
};

export const attach = {
  summary: 'Tag a book; missing tags are created, a tag is never linked twice',
  tags,
  security,
  params: Type.Object({ book_uid: Uuid }),
  body: Type.Object(
    { tags: Type.Array(Type.Object({ name: TagName }), { maxItems: 100 }) },
    { examples: [{ tags: [{ name: 'Science fiction' }, { name: 'Classics' }] }] },
  ),
  response: { 200: BookDetail, ...errors(bodyErrors, signedIn, verifiedAccount, { 404: ['book_not_found'] }, invalidInput) },
};

export const rename = {
  summary: 'Rename a tag; admin only',
  tags,
  security,
  params: TagParams,
  body: Type.Object({ name: TagName }, { examples: [{ name: 'Science fiction' }] }),
  response: { 200: Tag, ...errors(bodyErrors, signedIn, verifiedAccount, permitted, tagNotFound, tagExists, invalidInput) },
};

export const remove = {
  summary: 'Delete a tag and its links to books; admin only',
  tags,
  security,
  params: TagParams,
  response: {
    204: Type.Null({ description: 'Deleted' }),
    ...errors(bodyErrors, signedIn, verifiedAccount, permitted, tagNotFound, invalidInput),
  },
};
