import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../../deps.js';
import { NotFoundError } from '../../../errors.js';
import { sessionOf } from '../../plugins/auth.js';
import * as schemas from './schemas.js';

/**
 * Task, queue, worker and schedule administration, admin only. Anyone else
 * is told a task does not exist (so task ids reveal nothing) and is refused
 * the rest.
 */
export const taskRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const { taskAdmin } = deps;
  const admin = app.authenticate({ admin: true });
  const adminOrNoSuchTask = app.authenticate();
  const onlyAdminsSeeTasks = async (request: Parameters<typeof sessionOf>[0]) => {
    if (sessionOf(request).user.role !== 'admin') throw new NotFoundError('task_not_found', 'No task has this id');
  };

  app.get('/tasks', { schema: schemas.list, preHandler: admin }, async (request, reply) => {
    const { state, name, lane, limit, offset } = request.query;
    const page = await taskAdmin.list({ state, name, lane }, { limit, offset });
    return reply.header('x-total-count', page.total).send(page.rows.map(schemas.toTask));
  });

  app.get('/tasks/:task_id', { schema: schemas.get, preHandler: [adminOrNoSuchTask, onlyAdminsSeeTasks] }, async (request) =>
    schemas.toTask(await taskAdmin.get(request.params.task_id)),
  );

  app.post('/tasks/:task_id/retry', { schema: schemas.retry, preHandler: [adminOrNoSuchTask, onlyAdminsSeeTasks] }, async (request) =>
    schemas.toTask(await taskAdmin.retry(request.params.task_id)),
  );

  app.post('/tasks/:task_id/cancel', { schema: schemas.cancel, preHandler: [adminOrNoSuchTask, onlyAdminsSeeTasks] }, async (request) =>
    schemas.toTask(await taskAdmin.cancel(request.params.task_id)),
  );

  app.get('/queues', { schema: schemas.queues, preHandler: admin }, async () => (await taskAdmin.queues()).map(schemas.toQueue));

  app.post('/queues/:lane/pause', { schema: schemas.pause, preHandler: admin }, async (request) =>
    taskAdmin.setPaused(request.params.lane, true),
  );

  app.post('/queues/:lane/resume', { schema: schemas.resume, preHandler: admin }, async (request) =>
    taskAdmin.setPaused(request.params.lane, false),
  );

  app.get('/workers', { schema: schemas.workers, preHandler: admin }, async () => (await taskAdmin.workers()).map(schemas.toWorker));

  app.get('/schedules', { schema: schemas.schedules, preHandler: admin }, async () =>
    (await taskAdmin.schedules()).map(schemas.toSchedule),
  );
};
