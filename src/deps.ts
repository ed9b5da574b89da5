import type { Logger } from 'pino';
import { resolveJwtSecret } from './auth/jwt-secret.js';
import { LinkTokens } from './auth/link-tokens.js';
import { DbRevocationStore, type RevocationStore } from './auth/revocations.js';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config/load-config.js';
import { type Database, type Db, openDatabase } from './db/client.js';
import { withTimeout } from './lib/with-timeout.js';
import { DevMailbox } from './mail/dev-mailbox.js';
import type { Mailer } from './mail/mailer.js';
import { LocalMailRateLimit, type MailRateLimit, noRateLimit, RedisMailRateLimit } from './mail/rate-limit.js';
import { SmtpMailer } from './mail/smtp-mailer.js';
import { Metrics, type QueueSnapshot } from './observability/metrics.js';
import { connectRedis, type RedisConnection } from './redis/connection.js';
import { AccountService } from './services/account.service.js';
import { BookService } from './services/book.service.js';
import { MailingService } from './services/mailing.service.js';
import { ReviewService } from './services/review.service.js';
import { SessionService } from './services/session.service.js';
import { TagService } from './services/tag.service.js';
import { BullQueues } from './tasks/bullmq/queues.js';
import { RelayedTaskStore } from './tasks/bullmq/relayed-task-store.js';
import { TaskRegistry } from './tasks/registry.js';
import { TaskQueue } from './tasks/task-queue.js';
import { TaskStore } from './tasks/task-store.js';

/** The Redis mode's parts: present when `REDIS_URL` is set. */
export interface RedisParts {
  readonly connection: RedisConnection;
  readonly queues: BullQueues;
  readonly store: RelayedTaskStore;
}

/** Everything the API and the task runners share, built once per process. */
export interface Deps {
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  readonly db: Db;
  readonly redis: RedisParts | undefined;
  readonly metrics: Metrics;
  readonly mailer: Mailer;
  readonly mailRateLimit: MailRateLimit;
  /** Present when no SMTP server is configured. */
  readonly devMailbox: DevMailbox | undefined;
  readonly registry: TaskRegistry;
  readonly tasks: TaskQueue;
  readonly taskStore: TaskStore;
  readonly tokens: TokenService;
  readonly revocations: RevocationStore;
  readonly links: LinkTokens;
  readonly accounts: AccountService;
  readonly sessions: SessionService;
  readonly mailings: MailingService;
  readonly books: BookService;
  readonly reviews: ReviewService;
  readonly tags: TagService;
  /** Closes the mail transport, Redis and the database (unless the caller owns it). */
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  log: Logger;
  /** An open database to use instead of opening the configured one; the caller closes it. */
  database?: Database;
}

export async function createDeps(config: Config, options: CreateDepsOptions): Promise<Deps> {
  const { log } = options;
  const secret = resolveJwtSecret(config, log);
  const database = options.database ?? (await openDatabase(config.database));
  const { db } = database;
  const taskStore = new TaskStore(db, config.tasks.leaseMs);
  const redis = config.redis ? redisParts(connectRedis(config.redis, log), db) : undefined;
  const metrics = new Metrics(redis ? () => redisSnapshot(redis) : () => taskStore.snapshot());
  const devMailbox = config.mail.smtp ? undefined : new DevMailbox(db, log);
  const mailer = config.mail.smtp
    ? new SmtpMailer(config.mail.smtp, { name: config.mail.fromName, address: config.mail.from })
    : (devMailbox as DevMailbox);
  const perSecond = config.mail.ratePerSecond;
  const mailRateLimit =
    perSecond === 0 ? noRateLimit : redis ? new RedisMailRateLimit(redis.connection, perSecond) : new LocalMailRateLimit(perSecond);
  const registry = new TaskRegistry();
  const tasks = new TaskQueue(registry);
  const tokens = new TokenService(secret, config.jwt.algorithm, {
    access: config.jwt.accessTtlSeconds,
    refresh: config.jwt.refreshTtlSeconds,
  });
  // In the database in every mode: an authenticated request never needs Redis, and an empty Redis revokes nothing back.
  const revocations = new DbRevocationStore(db);
  const links = new LinkTokens(secret);
  const accounts = new AccountService(db, tasks, links);
  const sessions = new SessionService(accounts, tokens, revocations);

  return {
    config,
    log,
    database,
    db,
    redis,
    metrics,
    mailer,
    mailRateLimit,
    devMailbox,
    registry,
    tasks,
    taskStore,
    tokens,
    revocations,
    links,
    accounts,
    sessions,
    mailings: new MailingService(db, tasks),
    books: new BookService(db),
    reviews: new ReviewService(db),
    tags: new TagService(db),
    async close() {
      await mailer.close();
      if (redis) {
        // Closing a queue waits on Redis; a Redis that is down must not hold the shutdown.
        await withTimeout(redis.queues.close(), 2000).catch(() => {});
        await redis.connection.close();
      }
      if (!options.database) await database.close();
    },
  };
}

function redisParts(connection: RedisConnection, db: Db): RedisParts {
  return { connection, queues: new BullQueues(connection), store: new RelayedTaskStore(db) };
}

async function redisSnapshot(redis: RedisParts): Promise<QueueSnapshot> {
  const waitingForRedis = await redis.store.countWaitingForRedis();
  try {
    const [queued, workers] = await Promise.all([redis.queues.snapshot(), redis.queues.workerCounts()]);
    return { ...queued, waitingForRedis, workers };
  } catch {
    // Redis is down: what waits in the database is exactly what matters then.
    return { depths: [], oldestWaitingSeconds: 0, waitingForRedis, workers: [] };
  }
}
