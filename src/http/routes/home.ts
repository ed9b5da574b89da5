import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { docsPath, openApiPath } from '../plugins/docs.js';
import { wantsHtml } from './auth/pages.js';

/**
 * `/` is the address a person types first, and nothing of the API lives there, so it points to
 * the documentation. A browser is sent straight to the docs page (a redirect: a page in between
 * would only be one more click to the same place); any other client gets a JSON body naming the
 * docs and the OpenAPI document, since a redirect would lead it to a page it cannot read. Hidden
 * from the OpenAPI document, like the document itself: it is a way in, not part of the API.
 */
export const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (wantsHtml(request)) return reply.redirect(docsPath);
    return { message: `This is the Bookly API: its documentation is at ${docsPath}`, docs: docsPath, openapi: openApiPath };
  });
};
