import { resolve } from 'node:path';
import { Cron } from 'croner';
import { lanes } from '../tasks/lane.js';
import { type DkimConfig, readDkim } from './dkim.js';
import { EnvReader } from './env-reader.js';
import { readTrustProxy, type TrustProxy } from './trust-proxy.js';

export type DatabaseConfig =
  /** PGlite; `dataDir` null keeps it in memory. */
  | { kind: 'pglite'; dataDir: string | null }
  /** PostgreSQL; `poolSize` connections at most from this process. */
  | { kind: 'postgres'; url: string; poolSize: number };

export interface SmtpConfig {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  /** `MAIL_STARTTLS`: upgrade the connection with STARTTLS, and refuse to send without it. */
  startTls: boolean;
  /** `MAIL_SSL_TLS`: TLS from the first byte (usually port 465). */
  implicitTls: boolean;
  /** `USE_CREDENTIALS`: log in with `MAIL_USERNAME` / `MAIL_PASSWORD`. */
  useCredentials: boolean;
  validateCerts: boolean;
}

export interface RedisConfig {
  url: string;
  /** Prefix of every key Bookly writes, so that several deployments (or tests) share one Redis. */
  prefix: string;
}

/** What keeps slow, idle or too many clients from holding the server's sockets. Every time is in milliseconds. */
export interface HttpLimits {
  /** `HTTP_HEADERS_TIMEOUT_MS`: a connection whose request line and headers are not all in by then gets 408 and is closed. */
  headersTimeoutMs: number;
  /** `HTTP_REQUEST_TIMEOUT_MS`: the same for the whole request, body included. */
  requestTimeoutMs: number;
  /** `HTTP_CONNECTION_TIMEOUT_MS`: a connection on which nothing moves either way for this long is closed (a client that stops reading its answer). */
  connectionTimeoutMs: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT_MS`: how long a connection that has been answered waits for its next request. */
  keepAliveTimeoutMs: number;
  /** `HTTP_MAX_CONNECTIONS`: connections open at once; the server closes any beyond as it arrives. */
  maxConnections: number;
}

/** How long the database keeps what is over with; `maintenance.prune` deletes the rest, hourly. */
export interface RetentionConfig {
  /** `TASK_RETENTION_DAYS`: days a completed task is kept after it finished (and its BullMQ job). */
  completedDays: number;
  /** `TASK_FAILED_RETENTION_DAYS`: the same for failed and cancelled tasks. */
  failedDays: number;
  /** `MAIL_LEDGER_RETENTION_DAYS`: days a mail ledger entry is kept. */
  mailLedgerDays: number;
  /** `PRUNE_BATCH_SIZE`: rows one statement of the prune deletes at most, so that none holds its locks long. */
  batchSize: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  http: {
    host: string;
    port: number;
    /** Requests a minute per client IP on the endpoints that hash passwords or send mail; 0 is off. */
    authRateLimit: number;
    /** `TRUST_PROXY`: which `X-Forwarded-For` hops name the client (for per-IP rate limits and logs). */
    trustProxy: TrustProxy;
    /** Milliseconds a shutdown waits for requests and running tasks before giving up on them. */
    shutdownTimeoutMs: number;
    limits: HttpLimits;
  };
  /** Where the embedded database and the generated JWT secret live. */
  dataDir: string;
  database: DatabaseConfig;
  jwt: {
    /** Undefined only outside production: a secret is then generated and kept under `dataDir`. */
    secret: string | undefined;
    algorithm: 'HS256' | 'HS384' | 'HS512';
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    /**
     * `AUTH_CACHE_SIZE`: users, and as many sessions, whose authentication facts the API keeps in
     * memory, told of changes by the database (LISTEN bookly_auth); 0 reads them on every request.
     */
    cacheSize: number;
  };
  mail: {
    /** Undefined: no SMTP server; mail goes to the dev mailbox and the log. */
    smtp: SmtpConfig | undefined;
    from: string;
    fromName: string;
    /** Mails a second, across every process that sends (`MAIL_RATE_LIMIT`); 0 is no limit. */
    ratePerSecond: number;
    /** `MAIL_MAX_CONNECTIONS`: SMTP connections this process opens at most, shared out between the lanes. */
    maxConnections: number;
    /** Undefined: messages go out unsigned. Set: every message sent over SMTP is DKIM-signed. */
    dkim: DkimConfig | undefined;
  };
  /** Host (and optional scheme) that links in mail point to. */
  domain: string;
  /** Undefined: tasks run inside the server process. Set: they go through BullMQ on this Redis. */
  redis: RedisConfig | undefined;
  tasks: {
    /** Tasks run at once per lane, in each process that runs them. */
    concurrency: number;
    /** Test setting: run a task inside the request that enqueues it, like Celery's eager mode. */
    eager: boolean;
    /** How long a running task's claim lasts without a heartbeat before another runner may take it. */
    leaseMs: number;
    /** How often a runner looks for tasks it was not told about (other processes, due retries). */
    pollMs: number;
    /** Overrides every task definition's first retry delay when set. */
    retryBaseMs: number | undefined;
    /** Redis mode: the API process runs tasks too, beside the workers (`API_RUNS_TASKS`). */
    apiRunsTasks: boolean;
    /** `PRUNE_SCHEDULE`: when `maintenance.prune` runs (cron, UTC); undefined: never (`off`). */
    pruneCron: string | undefined;
    retention: RetentionConfig;
  };
  worker: {
    /** Port of a worker's own `/metrics` and `/health`; 0 is none. */
    metricsPort: number;
  };
  /** `METRICS_TOKEN`: the bearer token the API's and a worker's `/metrics` ask for; undefined leaves them open (never in production). */
  metricsToken: string | undefined;
}

/** A configuration that cannot start; the message names every bad variable in one line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the whole configuration once. The Python Bookly's
 * `.env` variable names are read as they are.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'], 'development');
  const dataDir = resolve(read.string('DATA_DIR', './data'));

  const jwtSecret = read.optionalString('JWT_SECRET');
  if (jwtSecret === undefined && nodeEnv === 'production') {
    read.problem('JWT_SECRET is required when NODE_ENV=production');
  }

  const port = read.integer('PORT', 8000, 0, 65535);
  const concurrency = read.integer('WORKER_CONCURRENCY', 20, 1, 1000);
  const config: Config = {
    env: nodeEnv,
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    http: {
      host: read.string('HOST', '127.0.0.1'),
      port,
      authRateLimit: read.integer('AUTH_RATE_LIMIT', 20, 0),
      trustProxy: readTrustProxy(read),
      shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0),
      limits: readHttpLimits(read),
    },
    dataDir,
    database: readDatabase(read, dataDir, concurrency),
    jwt: {
      secret: jwtSecret,
      algorithm: read.oneOf('JWT_ALGORITHM', ['HS256', 'HS384', 'HS512'], 'HS256'),
      accessTtlSeconds: read.integer('ACCESS_TOKEN_EXPIRY', 3600, 1),
      refreshTtlSeconds: read.integer('REFRESH_TOKEN_EXPIRY', 2 * 24 * 3600, 1),
      cacheSize: read.integer('AUTH_CACHE_SIZE', 5000, 0, 1_000_000),
    },
    mail: {
      smtp: readSmtp(read),
      from: read.string('MAIL_FROM', 'bookly@localhost'),
      fromName: read.string('MAIL_FROM_NAME', 'Bookly'),
      ratePerSecond: read.integer('MAIL_RATE_LIMIT', 0, 0),
      // A sending task holds its connection for the server's whole answer: by default every task that may run has one.
      maxConnections: read.integer('MAIL_MAX_CONNECTIONS', lanes.length * concurrency, lanes.length, 10_000),
      dkim: readDkim(read),
    },
    domain: read.string('DOMAIN', `localhost:${port}`),
    redis: readRedis(read),
    tasks: {
      concurrency,
      eager: read.boolean('TASKS_EAGER', false),
      leaseMs: read.integer('TASK_LEASE_MS', 30_000, 100),
      pollMs: read.integer('TASK_POLL_MS', 1000, 10),
      retryBaseMs: read.raw('TASK_RETRY_BASE_MS') === undefined ? undefined : read.integer('TASK_RETRY_BASE_MS', 0, 0),
      apiRunsTasks: read.boolean('API_RUNS_TASKS', false),
      pruneCron: readCron(read, 'PRUNE_SCHEDULE', '0 * * * *'),
      retention: readRetention(read),
    },
    worker: {
      metricsPort: read.integer('WORKER_METRICS_PORT', 0, 0, 65535),
    },
    metricsToken: readMetricsToken(read, nodeEnv),
  };

  if (nodeEnv === 'production' && config.mail.smtp === undefined) {
    // The dev mailbox shows every reset link to anyone who asks: never in production.
    read.problem('MAIL_SERVER is required when NODE_ENV=production');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** A cron expression (five fields, or six with seconds), or `off`. */
function readCron(read: EnvReader, name: string, fallback: string): string | undefined {
  const value = read.string(name, fallback).trim();
  if (value === 'off') return undefined;
  try {
    new Cron(value, { paused: true });
  } catch (err) {
    read.problem(`${name} must be a cron expression or "off": ${(err as Error).message}`);
  }
  return value;
}

function readDatabase(read: EnvReader, dataDir: string, concurrency: number): DatabaseConfig {
  const url = read.optionalString('DATABASE_URL');
  if (url === undefined) return { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') };
  if (url === 'pglite://memory') return { kind: 'pglite', dataDir: null };
  if (url.startsWith('pglite://')) return { kind: 'pglite', dataDir: resolve(url.slice('pglite://'.length)) };
  // The Python Bookly's URLs name their driver (`postgresql+asyncpg://`); the server is the same.
  const match = /^postgres(?:ql)?(?:\+\w+)?:\/\/(.+)$/.exec(url);
  if (match) {
    if (!isPostgresUrl(`postgres://${match[1]}`)) {
      read.problem('DATABASE_URL is not a valid URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE, special characters percent-encoded');
    }
    // A connection for every task that may run at once in each of the two lanes, and a few for
    // requests and bookkeeping: with fewer, a verification mail's queries wait behind a bulk send's.
    const poolSize = read.integer('DATABASE_POOL_SIZE', 2 * concurrency + 5, 1, 10_000);
    return { kind: 'postgres', url: `postgres://${match[1]}`, poolSize };
  }
  read.problem('DATABASE_URL must start with postgres://, postgresql:// or pglite://');
  return { kind: 'pglite', dataDir: null };
}

/**
 * Whether pg can read it: pg parses the URL only when it first connects, and
 * then fails with a bare "Invalid URL". It tolerates spaces and stray `%`
 * (which it encodes first) and an empty host before a socket path
 * (pg-connection-string's `parse`).
 */
function isPostgresUrl(url: string): boolean {
  const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, '%$1') : url;
  return URL.canParse(encoded) || URL.canParse(encoded.replace('@/', '@localhost/'));
}

function readSmtp(read: EnvReader): SmtpConfig | undefined {
  const host = read.optionalString('MAIL_SERVER');
  const useCredentials = read.boolean('USE_CREDENTIALS', true);
  const username = read.optionalString('MAIL_USERNAME');
  const password = read.optionalString('MAIL_PASSWORD');
  const smtp: SmtpConfig = {
    host: host ?? '',
    port: read.integer('MAIL_PORT', 587, 1, 65535),
    username,
    password,
    startTls: read.boolean('MAIL_STARTTLS', true),
    implicitTls: read.boolean('MAIL_SSL_TLS', false),
    useCredentials,
    validateCerts: read.boolean('VALIDATE_CERTS', true),
  };
  if (host === undefined) return undefined;
  if (useCredentials && (username === undefined || password === undefined)) {
    read.problem(
      'MAIL_USERNAME and MAIL_PASSWORD are required when USE_CREDENTIALS is true (set USE_CREDENTIALS=false for a server without login)',
    );
  }
  if (smtp.startTls && smtp.implicitTls) {
    read.problem('MAIL_STARTTLS and MAIL_SSL_TLS cannot both be true');
  }
  return smtp;
}

function readMetricsToken(read: EnvReader, nodeEnv: Config['env']): string | undefined {
  const token = read.optionalString('METRICS_TOKEN');
  if (token === undefined && nodeEnv === 'production') {
    // The counters tell what the app did (mail by kind, tasks by outcome): not for anyone who asks.
    read.problem(
      'METRICS_TOKEN is required when NODE_ENV=production: set a long random string (openssl rand -hex 32) and scrape /metrics with Authorization: Bearer <token>',
    );
  }
  if (token !== undefined && /\s/.test(token))
    read.problem('METRICS_TOKEN may not hold spaces: it is sent as Authorization: Bearer <token>');
  return token;
}

function readRedis(read: EnvReader): RedisConfig | undefined {
  const url = read.optionalString('REDIS_URL');
  const prefix = read.string('REDIS_PREFIX', 'bookly');
  if (!/^[\w.-]+$/.test(prefix)) read.problem('REDIS_PREFIX may hold letters, digits, _, . and - only');
  if (url === undefined) return undefined;
  if (!/^rediss?:\/\//.test(url)) read.problem('REDIS_URL must start with redis:// or rediss://');
  else if (!URL.canParse(url)) {
    read.problem('REDIS_URL is not a valid URL: redis://[USER:PASSWORD@]HOST[:PORT][/DB], special characters percent-encoded');
  }
  return { url, prefix };
}

function readRetention(read: EnvReader): RetentionConfig {
  // A century at most: refuses a value written in another unit (604800, a week in seconds).
  const century = 36_500;
  return {
    completedDays: read.integer('TASK_RETENTION_DAYS', 7, 0, century),
    failedDays: read.integer('TASK_FAILED_RETENTION_DAYS', 30, 0, century),
    mailLedgerDays: read.integer('MAIL_LEDGER_RETENTION_DAYS', 90, 0, century),
    batchSize: read.integer('PRUNE_BATCH_SIZE', 1000, 1, 100_000),
  };
}

function readHttpLimits(read: EnvReader): HttpLimits {
  const hour = 3_600_000;
  const limits: HttpLimits = {
    headersTimeoutMs: read.integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, hour),
    // Long enough for a 1 MiB body over a slow mobile link; short enough that a socket held by a
    // client dribbling bytes is back within half a minute.
    requestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, hour),
    connectionTimeoutMs: read.integer('HTTP_CONNECTION_TIMEOUT_MS', 60_000, 100, hour),
    // Fastify's default: above the 60 s idle timeout of the usual load balancers, which must be the
    // ones to close an idle connection, or a request sent on it as the server closes it is lost.
    keepAliveTimeoutMs: read.integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1, hour),
    // Twenty times the 50 connections that keep both cores busy, and well inside the usual limit of
    // open files (the database, Redis and PGlite's files need theirs too).
    maxConnections: read.integer('HTTP_MAX_CONNECTIONS', 1000, 1, 1_000_000),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    read.problem('HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  return limits;
}
