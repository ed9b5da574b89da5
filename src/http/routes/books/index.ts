import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { sessionOf } from '../../plugins/auth.js';
import { toBook, toBookDetail } from '../../schemas/catalogue.js';
import * as schemas from './schemas.js';

export const bookRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { books } = deps;
  app.addHook('preHandler', app.authenticate({ verified: true }));

  app.get('/', { schema: schemas.list }, async (request, reply) => {
    const page = await books.list(request.query);
    return reply.header('x-total-count', page.total).send(page.items.map(toBook));
  });

  app.get('/user/:user_uid', { schema: schemas.listByUser }, async (request, reply) => {
    const page = await books.listByUser(request.params.user_uid, request.query);
    return reply.header('x-total-count', page.total).send(page.items.map(toBook));
  });

  app.post('/', { schema: schemas.create }, async (request, reply) => {
    const { title, author, publisher, published_date, page_count, language } = request.body;
    const book = await books.create(sessionOf(request).user, {
      title,
      author,
      publisher,
      publishedDate: published_date,
      pageCount: page_count,
      language,
    });
    return reply.status(201).send(toBook(book));
  });

  app.get('/:book_uid', { schema: schemas.get }, async (request) => toBookDetail(await books.get(request.params.book_uid)));

  app.patch('/:book_uid', { schema: schemas.update }, async (request) => {
    const { title, author, publisher, published_date, page_count, language } = request.body;
    const patch = definedOnly({ title, author, publisher, publishedDate: published_date, pageCount: page_count, language });
    return toBook(await books.update(sessionOf(request).user, request.params.book_uid, patch));
  });

  app.delete('/:book_uid', { schema: schemas.remove }, async (request, reply) => {
    await books.delete(sessionOf(request).user, request.params.book_uid);
    return reply.status(204).send(null);
  });
};

/** The fields a partial update names; the others stay as they are. */
function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
