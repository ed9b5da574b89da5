import pino, { type Logger } from 'pino';
import type { Config } from '../config/load-config.js';

/** JSON logs; secrets in headers never reach them. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.new_password'],
  });
}
