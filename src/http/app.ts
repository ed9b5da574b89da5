import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TrustProxy } from '../config/trust-proxy.js';
import type { Deps } from '../deps.js';
import { ServiceUnavailableError } from '../errors.js';
import { connectionHandling, maxParamLength } from './connections.js';
import { taskConsole, taskConsolePrefix } from './console/task-console.js';
import { adminBasicAuthPlugin } from './plugins/admin-basic-auth.js';
import { authPlugin } from './plugins/auth.js';
import { bodyParsersPlugin } from './plugins/body-parsers.js';
import { docsPlugin } from './plugins/docs.js';
import { errorsPlugin } from './plugins/errors.js';
import { metricsPlugin } from './plugins/metrics.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { installValidators } from './plugins/validation.js';
import { authRoutes } from './routes/auth/index.js';
import { bookRoutes } from './routes/books/index.js';
import { devMailboxRoutes } from './routes/dev/mailbox.js';
import { homeRoutes } from './routes/home.js';
import { mailRoutes } from './routes/mail/index.js';
import { opsRoutes, type ReadinessCheck } from './routes/ops/index.js';
import { reviewRoutes } from './routes/reviews/index.js';
import { tagRoutes } from './routes/tags/index.js';
import { taskRoutes } from './routes/tasks/index.js';

export interface AppOptions {
  /** Dependencies `/ready` checks besides the database. */
  readinessChecks?: readonly ReadinessCheck[];
  /** Why the process cannot serve yet (its database not migrated, say), or undefined once it can. */
  starting?: () => string | undefined;
}

/** What answers while the process is still starting: liveness, readiness, metrics, the documentation and `/`, which points to it. */
const servedWhileStarting = /^\/((health|ready|metrics|api\/v1\/docs|api\/v1\/openapi\.json)(\/|\?|$)|\?|$)/;

/** The HTTP application: plugins, then routes. It does not listen; `server.ts` does. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const connections = connectionHandling(deps.config.http.limits);
  const app = Fastify({
    ...connections.serverOptions,
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: trustedHops(deps.config.http.trustProxy),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength },
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  connections.install(app);
  installValidators(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(errorsPlugin);
  const { starting } = options;
  if (starting) {
    app.addHook('onRequest', async (request) => {
      const reason = starting();
      if (reason && !servedWhileStarting.test(request.url)) throw new ServiceUnavailableError(`Bookly is starting: ${reason}`);
    });
  }
  await app.register(bodyParsersPlugin);
  // No upgrade-insecure-requests: a server reached over plain http (a LAN address in development)
  // would have its own stylesheets and scripts upgraded to an https that does not exist.
  await app.register(helmet, { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  await app.register(metricsPlugin, { metrics: deps.metrics });
  await app.register(rateLimitPlugin);
  await app.register(authPlugin, { sessions: deps.sessions });
  await app.register(adminBasicAuthPlugin, {
    accounts: deps.accounts,
    passwords: deps.passwords,
    failuresPerMinute: deps.config.http.authRateLimit,
  });
  await app.register(docsPlugin);
  await app.register(homeRoutes);

  await app.register(authRoutes, { prefix: '/api/v1/auth', deps });
  await app.register(bookRoutes, { prefix: '/api/v1/books', deps });
  await app.register(reviewRoutes, { prefix: '/api/v1/reviews', deps });
  await app.register(tagRoutes, { prefix: '/api/v1/tags', deps });
  await app.register(taskRoutes, { prefix: '/api/v1', deps });
  await app.register(mailRoutes, { prefix: '/api/v1/mail', deps });
  const checks: ReadinessCheck[] = [{ name: 'database', check: () => deps.database.ping() }];
  if (starting) {
    checks.push({
      name: 'startup',
      check: async () => {
        const reason = starting();
        if (reason) throw new Error(reason);
      },
    });
  }
  if (deps.redis) checks.push({ name: 'redis', check: deps.redis.connection.ping });
  await app.register(opsRoutes, { deps, checks: [...checks, ...(options.readinessChecks ?? [])] });
  if (deps.devMailbox) await app.register(devMailboxRoutes, { prefix: '/dev', mailbox: deps.devMailbox });
  await app.register(taskConsole, { prefix: taskConsolePrefix, deps });
  if (deps.redis) {
    // Bull Board loads BullMQ: only the Redis mode, which has queues to show, pays for it.
    const { queueDashboard, queueDashboardPrefix } = await import('./plugins/queue-dashboard.js');
    await app.register(queueDashboard, { prefix: queueDashboardPrefix, queues: deps.redis.queues });
  }
  return app;
}

/**
 * Fastify reads a hop count as "trust no hop" (it cannot tell a proxy from a client that sends
 * enough hops); `TRUST_PROXY=N` is the operator saying every request comes through N proxies.
 */
function trustedHops(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust === false ? false : [...trust];
}
