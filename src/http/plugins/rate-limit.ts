import rateLimit from '@fastify/rate-limit';
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

/** Rate limits are opt-in per route (`config.rateLimit`); a refusal is the contract's 429 with `Retry-After`. */
export const rateLimitPlugin = fp(async (app: FastifyInstance) => {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate_limited', `Too many requests; try again in ${context.after}`, 'Wait for the time in the Retry-After header'),
  });
});

/** The route config for the endpoints that hash passwords or send mail: `perMinute` a minute per client IP, 0 for none. */
export function authRateLimit(perMinute: number): FastifyContextConfig {
  return perMinute > 0 ? { rateLimit: { max: perMinute, timeWindow: 60_000 } } : {};
}
