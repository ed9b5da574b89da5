import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { BullQueues } from '../../tasks/bullmq/queues.js';
import { ownHostOnly } from './own-host-only.js';

export interface QueueDashboardOptions {
  queues: BullQueues;
}

const basePath = '/admin/queues';

/**
 * Bull Board at `/admin/queues`, behind the admin basic auth. Registered
 * with a prefix and without fastify-plugin, so its hook guards its routes only.
 */
export const queueDashboard: FastifyPluginAsync<QueueDashboardOptions> = async (app, { queues }) => {
  app.addHook('onRequest', app.adminBasicAuth());
  app.addHook('onRequest', ownHostOnly);
  // Bull Board's page asks Google for its fonts: an operator's page should load nothing from other
  // hosts (it tells Google who looks at the dashboard, and fails offline). Its CSS falls back to sans-serif.
  app.addHook('onSend', async (_request, reply, payload) =>
    typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')
      ? payload.replace(/<link[^>]+fonts\.(googleapis|gstatic)\.com[^>]*>/g, '')
      : payload,
  );

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Bookly tasks' } },
  });
  // Bull Board's own handler answers with the error's message, which for a failed statement is the
  // SQL and its parameters, and it handles the errors of our auth hook too, since they happen on its
  // routes. Thrown on, every error goes to the app's one handler (Fastify hands an error handler's
  // error to the parent's).
  serverAdapter.setErrorHandler((error) => {
    throw error;
  });
  await app.register(serverAdapter.registerPlugin());
};

export const queueDashboardPrefix = basePath;
