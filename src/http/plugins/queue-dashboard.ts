import { createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { verifyPassword } from '../../auth/passwords.js';
import type { AccountService } from '../../services/account.service.js';
import type { BullQueues } from '../../tasks/bullmq/queues.js';

export interface QueueDashboardOptions {
  queues: BullQueues;
  accounts: AccountService;
}

/** Checked credentials are remembered this long, so the dashboard's polling does not hash a password a second. */
const rememberMs = 60_000;
const basePath = '/admin/queues';

/**
 * Bull Board at `/admin/queues`, behind HTTP basic auth with an admin
 * account's email and password. Registered with a prefix and without
 * fastify-plugin, so its auth hook guards its routes only.
 */
export const queueDashboard: FastifyPluginAsync<QueueDashboardOptions> = async (app, { queues, accounts }) => {
  const admitted = new Map<string, number>();

  const isAdmin = async (request: FastifyRequest): Promise<boolean> => {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!match) return false;
    const key = createHash('sha256').update(header).digest('hex');
    if ((admitted.get(key) ?? 0) > Date.now()) return true;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = await accounts.findByEmail(decoded.slice(0, colon));
    const ok = user?.role === 'admin' && (await verifyPassword(user.passwordHash, decoded.slice(colon + 1)));
    if (ok) admitted.set(key, Date.now() + rememberMs);
    return ok;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (await isAdmin(request)) return;
    reply.header('www-authenticate', 'Basic realm="Bookly queues", charset="UTF-8"');
    return reply
      .status(401)
      .send({ message: "The queue dashboard needs an admin account's email and password", error_code: 'invalid_email_or_password' });
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Bookly tasks' } },
  });
  await app.register(serverAdapter.registerPlugin());
};

export const queueDashboardPrefix = basePath;
