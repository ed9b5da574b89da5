import pino, { type Logger } from 'pino';
import type { Config } from '../config/load-config.js';

/**
 * JSON logs on stdout; secrets in headers never reach them. Written
 * asynchronously: a blocking write per line cost a third of the API's read
 * throughput (`npm run bench`). pino flushes what is pending when the process
 * exits; only a SIGKILL can lose the last lines.
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.new_password'],
    },
    pino.destination({ sync: false }),
  );
}
