import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Deps } from '../../../deps.js';
import { withTimeout } from '../../../lib/with-timeout.js';
import { metricsChallenge, metricsTokenCheck } from '../../../observability/metrics-token.js';
import { errors } from '../../schemas/common.js';

/** A dependency the process needs, checked by `/ready`. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export const opsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps; checks: readonly ReadinessCheck[] }> = async (app, { deps, checks }) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Answers while the process runs',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Answers 200 when every dependency answers, 503 naming the ones that do not',
        tags: ['operations'],
        response: {
          200: Type.Object(
            { status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.String()) },
            { examples: [{ status: 'ready', checks: { database: 'ok', redis: 'ok' } }] },
          ),
          ...errors({ 503: ['service_unavailable'] }),
        },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), 2000);
            return { name, ok: true, message: 'ok' };
          } catch (error) {
            return { name, ok: false, message: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
      const down = results.filter((result) => !result.ok);
      if (down.length === 0) return { status: 'ready' as const, checks: Object.fromEntries(results.map((r) => [r.name, r.message])) };
      return reply.status(503).send({
        message: `Not ready: ${down.map((result) => result.name).join(', ')} not answering`,
        error_code: 'service_unavailable',
        details: down.map((result) => ({ field: result.name, message: result.message })),
      });
    },
  );

  const checkMetricsToken = metricsTokenCheck(deps.config.metricsToken);
  const metricsAccess = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      checkMetricsToken(request.headers.authorization);
    } catch (error) {
      reply.header('www-authenticate', metricsChallenge);
      throw error;
    }
  };
  app.get('/metrics', { schema: { hide: true }, onRequest: metricsAccess }, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
};
