import type { FastifyInstance, InjectOptions } from 'fastify';
import { type Logger, pino } from 'pino';
import type { PasswordVerifier } from '../../src/auth/passwords.js';
import { type Config, loadConfig } from '../../src/config/load-config.js';
import { createDeps, type Deps, type RunningTasks } from '../../src/deps.js';
import { buildApp } from '../../src/http/app.js';
import type { TestDatabase } from './databases.js';
import { recordErrorCodes } from './error-codes-record.js';
import type { SmtpPeer } from './smtp-peer.js';
import { tempDir } from './temp-dir.js';

export const smtpLogin = { user: 'bookly', pass: 'smtp-secret' };

export interface TestAppOptions {
  readonly db: TestDatabase;
  /** The SMTP server to send to; without one, mail goes to the dev mailbox. */
  readonly smtp?: SmtpPeer;
  /** Environment variables on top of the test defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Start the task runner (default true). */
  readonly runner?: boolean;
  /** A logger of the test's own (to read what the app logs). */
  readonly log?: Logger;
  /** A password verifier of the test's own (to count verifications). */
  readonly passwords?: PasswordVerifier;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body parsed as JSON (undefined when it is not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field and asserted; typing each reply would add nothing.
  json: any;
  text: string;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly deps: Deps;
  readonly config: Config;
  readonly tasks: RunningTasks | undefined;
  request(options: InjectOptions & { token?: string }): Promise<Reply>;
  close(): Promise<void>;
}

/** The environment every test starts from: the real configuration loader reads it. */
export function testEnv(options: Pick<TestAppOptions, 'smtp' | 'env'> & { databaseUrl?: string }): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: 'a test secret that is long enough for HS256 signing',
    DATA_DIR: tempDir('test'),
    DOMAIN: 'bookly.test',
    AUTH_RATE_LIMIT: '0',
    TASK_POLL_MS: '50',
    TASK_RETRY_BASE_MS: '20',
    // Every test file's processes share one PostgreSQL (max_connections 100), two files at a time: half the default's pools.
    WORKER_CONCURRENCY: '10',
    // A prune at the top of an hour would add a task to tests that count them; tests of schedules set their own.
    PRUNE_SCHEDULE: 'off',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.smtp
      ? {
          MAIL_SERVER: '127.0.0.1',
          MAIL_PORT: String(options.smtp.port),
          MAIL_USERNAME: smtpLogin.user,
          MAIL_PASSWORD: smtpLogin.pass,
          MAIL_STARTTLS: 'true',
          VALIDATE_CERTS: 'false',
          MAIL_FROM: 'noreply@bookly.test',
        }
      : {}),
    ...options.env,
  };
}

/** The API on a test database, with its task runner, driven through `inject()`. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const config = loadConfig(testEnv(options));
  const log = options.log ?? pino({ level: config.logLevel });
  const deps = await createDeps(config, { log, database: options.db.database, passwords: options.passwords });
  // As `serve` does: the auth cache on, told of changes by the database.
  await deps.listenForAuthChanges();
  const tasks = options.runner === false ? undefined : await deps.startTasks();
  const app = await buildApp(deps);
  recordErrorCodes(app);
  await app.ready();
  let closed = false;
  return {
    app,
    deps,
    config,
    tasks,
    async request({ token, headers, ...rest }) {
      const response = await app.inject({
        ...rest,
        headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      let json: unknown;
      try {
        json = response.json();
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, headers: response.headers, json, text: response.body };
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await tasks?.stop(config.http.shutdownTimeoutMs);
      await deps.close();
    },
  };
}
