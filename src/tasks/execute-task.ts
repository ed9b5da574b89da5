import type { Logger } from 'pino';
import { linkedAbort, whenAborted } from '../lib/linked-abort.js';
import type { TaskServices } from './context.js';
import { PermanentTaskError, type TaskDefinition } from './define.js';
import type { TaskRegistry } from './registry.js';

export type Outcome =
  | { readonly kind: 'completed'; readonly result: unknown }
  | { readonly kind: 'retry'; readonly error: string; readonly delayMs: number }
  | { readonly kind: 'failed'; readonly error: string };

export interface Attempt {
  readonly id: string;
  readonly name: string;
  readonly payload: unknown;
  /** This attempt included. */
  readonly attemptsMade: number;
  readonly maxAttempts: number;
}

export interface ExecuteOptions {
  /** Aborts the attempt from outside (a shutdown that ran out of time, a claim lost). */
  readonly signal?: AbortSignal;
  readonly registry: TaskRegistry;
  readonly services: TaskServices;
  readonly log: Logger;
  /** Replaces every definition's first retry delay (tests, impatient operators). */
  readonly retryBaseMs?: number | undefined;
}

/**
 * Runs one attempt of a task and says what should happen next; the attempt
 * loop (`attempts.ts`) records it.
 */
export async function executeTask(attempt: Attempt, options: ExecuteOptions): Promise<Outcome> {
  const definition = options.registry.get(attempt.name);
  if (!definition) return { kind: 'failed', error: `No task is defined with the name ${attempt.name}` };
  if (attempt.attemptsMade > attempt.maxAttempts) {
    return { kind: 'failed', error: `Gave up after ${attempt.maxAttempts} attempts: the last one stopped with its process` };
  }
  if (!definition.isPayload(attempt.payload)) {
    return { kind: 'failed', error: `The payload does not match the schema of ${attempt.name}` };
  }
  const log = options.log.child({ task: attempt.id, taskName: attempt.name, attempt: attempt.attemptsMade });
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`Timed out after ${definition.timeoutMs} ms`)), definition.timeoutMs);
  const linked = linkedAbort(options.signal ? [options.signal, timeout.signal] : [timeout.signal]);
  const { signal } = linked;
  const abort = whenAborted(signal);
  try {
    const run = definition.run(attempt.payload, {
      ...options.services,
      taskId: attempt.id,
      attempt: attempt.attemptsMade,
      maxAttempts: attempt.maxAttempts,
      log,
      signal,
    });
    // A definition that ignores its signal is still given up on when it fires.
    const result = await Promise.race([run, abort.promise]);
    return { kind: 'completed', result: result ?? null };
  } catch (cause) {
    const error = describe(cause);
    const lastAttempt = attempt.attemptsMade >= attempt.maxAttempts;
    if (cause instanceof PermanentTaskError || lastAttempt) {
      log.error({ err: cause }, 'task failed');
      return { kind: 'failed', error };
    }
    const delayMs = retryDelay(definition, attempt.attemptsMade, options.retryBaseMs);
    // Stopped from outside (a cancel, the shutdown deadline, a lost claim): the caller knows what
    // happens next and says so; "it will be retried" would be wrong for a cancel.
    if (options.signal?.aborted) log.debug({ err: cause }, 'task attempt aborted');
    else log.warn({ err: cause, retryInMs: delayMs }, 'task attempt failed; it will be retried');
    return { kind: 'retry', error, delayMs };
  } finally {
    clearTimeout(timer);
    abort.cancel();
    linked.release();
  }
}

/** Exponential backoff with jitter: between half and all of `base * 2^(attempt-1)`, capped. */
export function retryDelay(definition: TaskDefinition, attemptsMade: number, baseOverride?: number): number {
  const base = baseOverride ?? definition.backoff.delayMs;
  const ceiling = Math.min(base * 2 ** (attemptsMade - 1), definition.backoff.maxDelayMs);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** The error as the task row keeps it, for an admin to read: never a failed statement's SQL or parameters. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // drizzle's message is the statement and its values (an email, a hash); the driver's own words say why.
  if (/^Failed query:/.test(error.message) && error.cause instanceof Error) return `${error.name}: ${error.cause.message}`;
  return `${error.name}: ${error.message}`;
}
