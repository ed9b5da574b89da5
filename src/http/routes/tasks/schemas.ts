import Type from 'typebox';
import { type TaskRow, taskStates } from '../../../db/schema/index.js';
import type { QueueView } from '../../../services/task-admin.service.js';
import type { ScheduleView } from '../../../tasks/scheduler.js';
import type { WorkerView } from '../../../tasks/worker-registry.js';
import { ListOf, PageQueryWith } from '../../schemas/catalogue.js';
import {
  bodyErrors,
  errors,
  invalidInput,
  Nullable,
  permitted,
  signedIn,
  Timestamp,
  Uuid,
  WellFormedString,
} from '../../schemas/common.js';
import { exampleQueue, exampleSchedule, exampleTask, exampleWorker } from '../../schemas/examples.js';

const tags = ['tasks'];
const security = [{ bearerAuth: [] }];

const TaskState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('active'),
  Type.Literal('delayed'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const Task = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    lane: Type.String(),
    state: TaskState,
    attempts_made: Type.Integer(),
    max_attempts: Type.Integer(),
    created_at: Timestamp,
    run_at: Timestamp,
    started_at: Nullable(Timestamp),
    finished_at: Nullable(Timestamp),
    result: Type.Unknown(),
    error: Nullable(Type.String()),
  },
  { examples: [exampleTask] },
);

const counts = Object.fromEntries(taskStates.map((state) => [state, Type.Integer()])) as Record<(typeof taskStates)[number], Type.TInteger>;

export const Queue = Type.Object(
  {
    lane: Type.String(),
    paused: Type.Boolean(),
    counts: Type.Object(counts),
    oldest_waiting_seconds: Type.Number(),
    per_minute: Type.Array(Type.Object({ minute: Timestamp, completed: Type.Integer(), failed: Type.Integer() }), {
      description: 'The last 60 minutes, oldest first',
    }),
  },
  { examples: [exampleQueue] },
);

export const Worker = Type.Object(
  {
    id: Type.String(),
    hostname: Type.String(),
    pid: Type.Integer(),
    lanes: Type.Array(Type.String()),
    concurrency: Type.Integer(),
    started_at: Timestamp,
    last_seen_at: Timestamp,
    state: Type.Union([Type.Literal('online'), Type.Literal('lost')]),
    running: Type.Integer(),
    completed: Type.Integer(),
    failed: Type.Integer(),
  },
  { examples: [exampleWorker] },
);

export const Schedule = Type.Object(
  {
    name: Type.String(),
    cron: Type.String(),
    task: Type.String(),
    next_run_at: Nullable(Timestamp),
    last_run_at: Nullable(Timestamp),
    last_task_id: Nullable(Uuid),
  },
  { examples: [exampleSchedule] },
);

const TaskParams = Type.Object({ task_id: Uuid });
// Anyone but an admin is told a task does not exist (routes/tasks/index.ts), so these say 404, not 403.
const taskNotFound = { 404: ['task_not_found'] } as const;
const LaneParams = Type.Object({ lane: WellFormedString({ minLength: 1, maxLength: 64 }) });

export const list = {
  summary: 'Tasks, newest first, filtered by state, name and lane; the total is in X-Total-Count; admin only',
  tags,
  security,
  querystring: PageQueryWith({
    state: Type.Optional(TaskState),
    name: Type.Optional(WellFormedString({ minLength: 1, maxLength: 200 })),
    lane: Type.Optional(WellFormedString({ minLength: 1, maxLength: 64 })),
  }),
  response: { 200: ListOf(Task), ...errors(signedIn, permitted, invalidInput) },
};

export const get = {
  summary: "A background task's state, attempts and result; admin only",
  tags,
  security,
  params: TaskParams,
  response: { 200: Task, ...errors(signedIn, taskNotFound, invalidInput) },
};

export const retry = {
  summary: 'Runs a failed or cancelled task again, its attempts counted afresh; admin only',
  tags,
  security,
  params: TaskParams,
  response: { 200: Task, ...errors(bodyErrors, signedIn, taskNotFound, { 409: ['task_not_retryable'] }, invalidInput) },
};

export const cancel = {
  summary: 'Cancels a pending or delayed task (it never runs) or aborts an active one wherever it runs, within 2 s; admin only',
  tags,
  security,
  params: TaskParams,
  response: { 200: Task, ...errors(bodyErrors, signedIn, taskNotFound, { 409: ['task_not_cancellable'] }, invalidInput) },
};

export const queues = {
  summary: "Each lane's counts by state, oldest waiting age and the last hour's throughput; admin only",
  tags,
  security,
  response: { 200: ListOf(Queue), ...errors(signedIn, permitted) },
};

const pauseReply = {
  200: Type.Object({ lane: Type.String(), paused: Type.Boolean() }, { examples: [{ lane: 'bulk', paused: true }] }),
  ...errors(bodyErrors, signedIn, permitted, { 404: ['not_found'] }, invalidInput),
};
export const pause = {
  summary: 'Pauses a lane in every process: no new task of it starts; enqueueing goes on; admin only',
  tags,
  security,
  params: LaneParams,
  response: pauseReply,
};
export const resume = { ...pause, summary: 'Resumes a paused lane; admin only' };

export const workers = {
  summary: 'Every process that runs tasks, by its heartbeat; one that missed three is lost; admin only',
  tags,
  security,
  response: { 200: ListOf(Worker), ...errors(signedIn, permitted) },
};

export const schedules = {
  summary: 'The periodic tasks, with their next and last run; admin only',
  tags,
  security,
  response: { 200: ListOf(Schedule), ...errors(signedIn, permitted) },
};

export function toTask(row: TaskRow): Type.Static<typeof Task> {
  return {
    id: row.id,
    name: row.name,
    lane: row.lane,
    state: row.state,
    attempts_made: row.attemptsMade,
    max_attempts: row.maxAttempts,
    created_at: row.createdAt,
    run_at: row.runAt,
    started_at: row.startedAt,
    finished_at: row.finishedAt,
    result: row.result,
    error: row.error,
  };
}

export function toQueue(view: QueueView): Type.Static<typeof Queue> {
  return {
    lane: view.lane,
    paused: view.paused,
    counts: view.counts,
    oldest_waiting_seconds: view.oldestWaitingSeconds,
    per_minute: view.perMinute.map((minute) => ({ ...minute })),
  };
}

export function toWorker(view: WorkerView): Type.Static<typeof Worker> {
  return {
    id: view.id,
    hostname: view.hostname,
    pid: view.pid,
    lanes: view.lanes,
    concurrency: view.concurrency,
    started_at: view.startedAt,
    last_seen_at: view.lastSeenAt,
    state: view.state,
    running: view.running,
    completed: view.completed,
    failed: view.failed,
  };
}

export function toSchedule(view: ScheduleView): Type.Static<typeof Schedule> {
  return {
    name: view.name,
    cron: view.cron,
    task: view.task,
    next_run_at: view.nextRunAt,
    last_run_at: view.lastRunAt,
    last_task_id: view.lastTaskId,
  };
}
