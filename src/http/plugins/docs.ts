import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { everyEndpointErrorsText } from '../schemas/error-codes.js';

export const docsPath = '/api/v1/docs';
export const openApiPath = '/api/v1/openapi.json';

/** The OpenAPI document, generated from the route schemas that also validate requests. */
export const docsPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bookly',
        version: '1.0.0',
        description: [
          'A book-review API whose slow work (mail) runs in the background. Log in, then press Authorize and paste the access_token.',
          '',
          'Every 4xx and 5xx answer has the body `{ message, error_code, resolution?, details? }`.',
          everyEndpointErrorsText,
        ].join('\n'),
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transformObject: (document) => ('openapiObject' in document ? describeSuccesses(document.openapiObject) : document.swaggerObject),
  });
  await app.register(swaggerUi, {
    routePrefix: docsPath,
    staticCSP: true,
    // Swagger UI sets inline styles as it renders; its scripts stay restricted to its own files.
    transformStaticCSP: (header) =>
      header.replace(/style-src ([^;]*);/, "style-src $1 'unsafe-inline';").replace(/ ?upgrade-insecure-requests;?/, ''),
  });
  app.get(openApiPath, { schema: { hide: true } }, async () => app.swagger());
});

const successWords: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: the work goes on in the background',
  '204': 'Done; no body',
};

/** A success answer without a description of its own gets its status's words, not @fastify/swagger's "Default Response". */
function describeSuccesses<T extends { paths?: object }>(document: T): T {
  for (const operations of Object.values(document.paths ?? {}) as Record<
    string,
    { responses?: Record<string, { description?: string }> }
  >[]) {
    for (const operation of Object.values(operations ?? {})) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const words = successWords[status];
        if (response.description === 'Default Response' && words) response.description = words;
      }
    }
  }
  return document;
}
