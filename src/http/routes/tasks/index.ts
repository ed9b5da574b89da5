import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { TaskRow } from '../../../db/schema/index.js';
import type { Deps } from '../../../deps.js';
import { NotFoundError } from '../../../errors.js';
import { sessionOf } from '../../plugins/auth.js';
import { errors, Timestamp, Uuid } from '../../schemas/common.js';

const Task = Type.Object({
  id: Uuid,
  name: Type.String(),
  state: Type.Union([
    Type.Literal('pending'),
    Type.Literal('active'),
    Type.Literal('delayed'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  attempts_made: Type.Integer(),
  max_attempts: Type.Integer(),
  created_at: Timestamp,
  finished_at: Type.Union([Timestamp, Type.Null()]),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
});

const getTask = {
  summary: "A background task's state, attempts and result; admin only",
  tags: ['tasks'],
  security: [{ bearerAuth: [] }],
  params: Type.Object({ task_id: Uuid }),
  response: { 200: Task, ...errors(401, 404, 422) },
};

export const taskRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/:task_id', { schema: getTask, preHandler: app.authenticate() }, async (request) => {
    const notFound = new NotFoundError('task_not_found', 'No task has this id');
    // Anyone but an admin is told the task does not exist, so task ids reveal nothing.
    if (sessionOf(request).user.role !== 'admin') throw notFound;
    const task = await deps.taskStore.find(request.params.task_id);
    if (!task) throw notFound;
    return toTask(task);
  });
};

function toTask(row: TaskRow): Type.Static<typeof Task> {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    attempts_made: row.attemptsMade,
    max_attempts: row.maxAttempts,
    created_at: row.createdAt,
    finished_at: row.finishedAt,
    result: row.result,
    error: row.error,
  };
}
