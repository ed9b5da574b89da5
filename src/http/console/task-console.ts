import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { ownHostOnly } from '../plugins/own-host-only.js';
import { sendHtml } from '../routes/html.js';
import { Uuid } from '../schemas/common.js';
import { type ConsoleView, consolePage, consolePath } from './console-page.js';
import { sameOriginOnly } from './same-origin.js';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** What a redirect after an action says on the page: only these words, so a crafted link cannot put text there. */
const notices = {
  retried: (subject: string) => `Task ${subject} will run again.`,
  cancelled: (subject: string) => `Task ${subject} is cancelled.`,
  paused: (subject: string) => `Lane ${subject} is paused: no new task of it starts, in any process.`,
  resumed: (subject: string) => `Lane ${subject} runs again.`,
} as const;
type Done = keyof typeof notices;

const hidden = { hide: true };
const TaskParams = Type.Object({ task_id: Uuid });
const LaneParams = Type.Object({ lane: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });
const NoticeQuery = Type.Object({
  done: Type.Optional(Type.String({ maxLength: 16 })),
  subject: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
});

/**
 * The task console at `/admin/tasks`, in both modes: it reads and writes the
 * task table through the same service as the admin API. Registered with a
 * prefix and without fastify-plugin, so its hooks guard its routes only.
 */
export const taskConsole: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { taskAdmin } = deps;
  const script = asset('console.js');
  const style = asset('console.css');
  app.addHook('onRequest', app.adminBasicAuth());
  app.addHook('onRequest', ownHostOnly);
  // The console's forms carry nothing in their bodies: what to do is in the path.
  app.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null, undefined));

  const view = async (notice?: ConsoleView['notice']): Promise<ConsoleView> => {
    const [queues, workers, schedules, active, failed, cancelled, mailings] = await Promise.all([
      taskAdmin.queues(),
      taskAdmin.workers(),
      taskAdmin.schedules(),
      taskAdmin.list({ state: 'active' }, { limit: 50, offset: 0 }),
      taskAdmin.list({ state: 'failed' }, { limit: 25, offset: 0 }),
      taskAdmin.list({ state: 'cancelled' }, { limit: 10, offset: 0 }),
      deps.mailAdmin.recentMailings(10),
    ]);
    const mode = deps.redis ? 'redis' : 'in-process';
    return { mode, now: new Date(), queues, workers, schedules, active, failed, cancelled, mailings, notice };
  };

  app.get('/', { schema: { ...hidden, querystring: NoticeQuery } }, async (request, reply) => {
    const { done, subject } = request.query;
    const said = done !== undefined && subject !== undefined && Object.hasOwn(notices, done) ? notices[done as Done](subject) : undefined;
    reply.header('cache-control', 'no-store');
    return sendHtml(reply, 200, consolePage(await view(said ? { ok: true, text: said } : undefined)));
  });

  app.get('/console.js', { schema: hidden }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script),
  );
  app.get('/console.css', { schema: hidden }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(style),
  );

  /** After an action the browser is sent back to the page (post, redirect, get); a refusal is shown on it. */
  const acted = async (reply: FastifyReply, done: Done, subject: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      reply.header('cache-control', 'no-store');
      return sendHtml(reply, err.status, consolePage(await view({ ok: false, text: err.message })));
    }
    return reply.redirect(`${consolePath}?done=${done}&subject=${encodeURIComponent(subject)}`, 303);
  };
  const guarded = { preHandler: sameOriginOnly };

  app.post('/tasks/:task_id/retry', { ...guarded, schema: { ...hidden, params: TaskParams } }, async (request, reply) =>
    acted(reply, 'retried', request.params.task_id, () => taskAdmin.retry(request.params.task_id)),
  );
  app.post('/tasks/:task_id/cancel', { ...guarded, schema: { ...hidden, params: TaskParams } }, async (request, reply) =>
    acted(reply, 'cancelled', request.params.task_id, () => taskAdmin.cancel(request.params.task_id)),
  );
  app.post('/lanes/:lane/pause', { ...guarded, schema: { ...hidden, params: LaneParams } }, async (request, reply) =>
    acted(reply, 'paused', request.params.lane, () => taskAdmin.setPaused(request.params.lane, true)),
  );
  app.post('/lanes/:lane/resume', { ...guarded, schema: { ...hidden, params: LaneParams } }, async (request, reply) =>
    acted(reply, 'resumed', request.params.lane, () => taskAdmin.setPaused(request.params.lane, false)),
  );
};

export const taskConsolePrefix = consolePath;
