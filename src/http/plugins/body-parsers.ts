import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Bodies are JSON, and only JSON: anything else is a 415 (the one form the reset page posts is parsed on its route). */
export const bodyParsersPlugin = fp(async (app: FastifyInstance) => {
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // An empty body is no body: validation then names what is missing.
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
});
