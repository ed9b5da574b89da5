import Type from 'typebox';
import { ListOf, PageQuery, Review } from '../../schemas/catalogue.js';
import { bodyErrors, errors, invalidInput, permitted, signedIn, Text, Uuid, verifiedAccount } from '../../schemas/common.js';
import { exampleReviewInput } from '../../schemas/examples.js';

const tags = ['reviews'];
const security = [{ bearerAuth: [] }];
const ReviewParams = Type.Object({ review_uid: Uuid });
const reviewNotFound = { 404: ['review_not_found'] } as const;

export const list = {
  summary: 'Every review, newest first; admin only; the total is in X-Total-Count',
  tags,
  security,
  querystring: PageQuery,
  response: { 200: ListOf(Review), ...errors(signedIn, verifiedAccount, permitted, invalidInput) },
};

export const get = {
  summary: 'A review',
  tags,
  security,
  params: ReviewParams,
  response: { 200: Review, ...errors(signedIn, verifiedAccount, reviewNotFound, invalidInput) },
};

export const create = {
  summary: 'Review a book',
  tags,
  security,
  params: Type.Object({ book_uid: Uuid }),
  body: Type.Object({ rating: Type.Integer({ minimum: 1, maximum: 5 }), review_text: Text(1, 5000) }, { examples: [exampleReviewInput] }),
  response: { 201: Review, ...errors(bodyErrors, signedIn, verifiedAccount, { 404: ['book_not_found'] }, invalidInput) },
};

export const remove = {
  summary: 'Delete a review; its author or an admin only',
  tags,
  security,
  params: ReviewParams,
  response: {
    204: Type.Null({ description: 'Deleted' }),
    ...errors(bodyErrors, signedIn, verifiedAccount, permitted, reviewNotFound, invalidInput),
  },
};
