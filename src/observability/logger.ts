import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
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

/** How log lines are written: JSON for log collectors and tools, pretty for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * Pretty only for a person watching a terminal outside production. Anything else reading stdout
 * (a pipe, a file, a container's log collector, the tests' child processes) gets JSON, one object
 * a line, which is what it parses; production gets JSON even on a terminal.
 */
export function logFormat(env: Config['env'], stdoutIsTerminal: boolean): LogFormat {
  return stdoutIsTerminal && env !== 'production' ? 'pretty' : 'json';
}

/**
 * Logs on stdout, JSON or pretty (`logFormat`); secrets in headers and bodies, and the statements
 * and parameters of failed queries, never reach them (`log-serializers.ts`). JSON is written
 * asynchronously: a blocking write per line cost a third of the API's read throughput (`npm run
 * bench`). pino flushes what is pending when the process exits; only a SIGKILL can lose the last
 * lines.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'env'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: secretPaths,
      serializers: { err: serializeError, req: serializeRequest },
    },
    destination ?? stdout(logFormat(config.env, process.stdout.isTTY === true)),
  );
}

function stdout(format: LogFormat): DestinationStream {
  if (format === 'json') return pino.destination({ sync: false });
  // Synchronous on a terminal: the person reading it wants the last line before a crash, and a
  // terminal's speed is not the API's. One line an event (an error keeps its stack below it), the
  // time of day; pid and host say nothing there.
  return pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}
