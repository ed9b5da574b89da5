import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { toBookDetail, toTag } from '../../schemas/catalogue.js';
import * as schemas from './schemas.js';

export const tagRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { tags, books } = deps;
  const admin = app.authenticate({ verified: true, admin: true });
  app.addHook('preHandler', app.authenticate({ verified: true }));

  app.get('/', { schema: schemas.list }, async () => (await tags.list()).map(toTag));

  app.post('/', { schema: schemas.create }, async (request, reply) => reply.status(201).send(toTag(await tags.create(request.body.name))));

  app.post('/book/:book_uid/tags', { schema: schemas.attach }, async (request) => {
    await tags.attach(
      request.params.book_uid,
      request.body.tags.map((tag) => tag.name),
    );
    return toBookDetail(await books.get(request.params.book_uid));
  });

  app.put('/:tag_uid', { schema: schemas.rename, preHandler: admin }, async (request) =>
    toTag(await tags.rename(request.params.tag_uid, request.body.name)),
  );

  app.delete('/:tag_uid', { schema: schemas.remove, preHandler: admin }, async (request, reply) => {
    await tags.delete(request.params.tag_uid);
    return reply.status(204).send(null);
  });
};
