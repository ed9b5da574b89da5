import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { serializeError, serializeRequest } from './log-serializers.js';

/** Where secrets sit in what is logged: credentials in headers, passwords and tokens in bodies, bodies themselves. */
const secretPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'body',
  '*.body',
  'password',
  '*.password',
  '*.new_password',
  '*.confirm_new_password',
  '*.passwordHash',
  '*.password_hash',
  '*.access_token',
  '*.refresh_token',
];

/**
 * JSON logs on stdout; secrets in headers and bodies, and the statements and
 * parameters of failed queries, never reach them (`log-serializers.ts`).
 * Written asynchronously: a blocking write per line cost a third of the API's
 * read throughput (`npm run bench`). pino flushes what is pending when the
 * process exits; only a SIGKILL can lose the last lines.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination: DestinationStream = pino.destination({ sync: false })): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: secretPaths,
      serializers: { err: serializeError, req: serializeRequest },
    },
    destination,
  );
}
