import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { sessionOf } from '../../plugins/auth.js';
import { toReview } from '../../schemas/catalogue.js';
import * as schemas from './schemas.js';

export const reviewRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { reviews } = deps;
  app.addHook('preHandler', app.authenticate({ verified: true }));

  app.get('/', { schema: schemas.list, preHandler: app.authenticate({ verified: true, admin: true }) }, async (request, reply) => {
    const page = await reviews.list(request.query);
    return reply.header('x-total-count', page.total).send(page.items.map(toReview));
  });

  app.get('/:review_uid', { schema: schemas.get }, async (request) => toReview(await reviews.get(request.params.review_uid)));

  app.post('/book/:book_uid', { schema: schemas.create }, async (request, reply) => {
    const { rating, review_text } = request.body;
    const review = await reviews.create(sessionOf(request).user, request.params.book_uid, { rating, reviewText: review_text });
    return reply.status(201).send(toReview(review));
  });

  app.delete('/:review_uid', { schema: schemas.remove }, async (request, reply) => {
    await reviews.delete(sessionOf(request).user, request.params.review_uid);
    return reply.status(204).send(null);
  });
};
