import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../observability/metrics.js';

/** Times every request by its route template, so `/books/{id}` is one series, not one per book. */
export const metricsPlugin = fp(async (app: FastifyInstance, options: { metrics: Metrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
});
