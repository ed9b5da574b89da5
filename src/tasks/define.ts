import type Type from 'typebox';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { TaskContext } from './context.js';
import type { Lane } from './lane.js';

/**
 * One kind of background task. The same definition runs under the in-process
 * runner and under BullMQ workers; only the runner changes.
 *
 * `run` must be safe to run twice: a process can die after the work and
 * before the task is marked done, and the task then runs again.
 */
export interface TaskDefinition<Name extends string = string, Payload extends TSchema = TSchema> {
  /** Dotted and stable: it is stored with every task (`mail.verify-email`). */
  readonly name: Name;
  /** Checked when the task is enqueued and again before it runs. Carries ids, never secrets or rendered mail. */
  readonly payload: Payload;
  /** `payload`'s check, compiled once: a fan-out checks a thousand payloads at a time. */
  readonly isPayload: (value: unknown) => boolean;
  readonly lane: Lane;
  /** Lower runs first within the lane. */
  readonly priority: number;
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Exponential backoff: the first retry waits about `delayMs`, each next one twice as long, up to `maxDelayMs`. */
  readonly backoff: { readonly delayMs: number; readonly maxDelayMs: number };
  /** An attempt that runs longer counts as failed. */
  readonly timeoutMs: number;
  run(payload: Type.Static<Payload>, context: TaskContext): Promise<unknown>;
}

type Defaults = 'lane' | 'priority' | 'attempts' | 'backoff' | 'timeoutMs';
type Derived = 'isPayload';

export function defineTask<const Name extends string, Payload extends TSchema>(
  definition: Omit<TaskDefinition<Name, Payload>, Defaults | Derived> & Partial<Pick<TaskDefinition<Name, Payload>, Defaults>>,
): TaskDefinition<Name, Payload> {
  const validator = Compile(definition.payload);
  return {
    isPayload: (value) => validator.Check(value),
    lane: 'default',
    priority: 0,
    attempts: 8,
    backoff: { delayMs: 1000, maxDelayMs: 10 * 60_000 },
    timeoutMs: 5 * 60_000,
    ...definition,
  };
}

/** Thrown by `run` when trying again cannot help: the task fails at once. */
export class PermanentTaskError extends Error {
  override name = 'PermanentTaskError';
}
