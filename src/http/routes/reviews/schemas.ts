import Type from 'typebox';
import { PageQuery, Review } from '../../schemas/catalogue.js';
import { errors, Text, Uuid } from '../../schemas/common.js';

const tags = ['reviews'];
const security = [{ bearerAuth: [] }];
const ReviewParams = Type.Object({ review_uid: Uuid });

export const list = {
  summary: 'Every review, newest first; admin only; the total is in X-Total-Count',
  tags,
  security,
  querystring: PageQuery,
  response: { 200: Type.Array(Review), ...errors(401, 403, 422) },
};

export const get = {
  summary: 'A review',
  tags,
  security,
  params: ReviewParams,
  response: { 200: Review, ...errors(401, 403, 404, 422) },
};

export const create = {
  summary: 'Review a book',
  tags,
  security,
  params: Type.Object({ book_uid: Uuid }),
  body: Type.Object({ rating: Type.Integer({ minimum: 1, maximum: 5 }), review_text: Text(1, 5000) }),
  response: { 201: Review, ...errors(401, 403, 404, 422) },
};

export const remove = {
  summary: 'Delete a review; its author or an admin only',
  tags,
  security,
  params: ReviewParams,
  response: { 204: Type.Null({ description: 'Deleted' }), ...errors(401, 403, 404, 422) },
};
