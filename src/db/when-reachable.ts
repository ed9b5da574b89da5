import type { Logger } from 'pino';
import { rootMessage } from '../lib/root-message.js';
import { isDatabaseUnreachable } from './errors.js';

/**
 * Runs `work` (the migrations, at start) until the database answers,
 * retrying every few seconds and saying so in one log line, not a stack
 * trace each try. True once it has run; false if `signal` fired first (a
 * shutdown while waiting). Any other error is `work`'s own, and rejects.
 */
export async function whenDatabaseReachable(work: () => Promise<void>, log: Logger, signal: AbortSignal): Promise<boolean> {
  let waiting = false;
  for (let wait = 250; !signal.aborted; wait = Math.min(wait * 2, 5000)) {
    try {
      await work();
      if (waiting) log.info('the database answers again');
      return true;
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      if (!waiting) log.error(`the database is not reachable (${rootMessage(error)}); retrying until it is`);
      waiting = true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
  return false;
}
