import { ConfigError } from '../config/load-config.js';
import { DatabaseBusyError } from '../db/embedded-lock.js';
import { describeDatabaseFailure } from '../db/errors.js';
import { AppError } from '../errors.js';
import { StartupError } from '../lib/listen-failure.js';
import { rootMessage } from '../lib/root-message.js';
import { UsageError } from './command-line.js';

/**
 * The one line a command prints for a failure it foresees: what is wrong and,
 * where that is known, what to do. Undefined for any other error.
 */
export function foreseenFailure(error: unknown): string | undefined {
  if (
    error instanceof ConfigError ||
    error instanceof DatabaseBusyError ||
    error instanceof UsageError ||
    error instanceof StartupError ||
    error instanceof AppError
  ) {
    return error.message;
  }
  return describeDatabaseFailure(error);
}

/** The one line for a failure the code did not foresee: still no stack trace, but where to find it. */
export function unforeseenFailure(error: unknown): string {
  return `Stopped by an unexpected error: ${rootMessage(error)} (LOG_LEVEL=debug prints where it came from)`;
}
