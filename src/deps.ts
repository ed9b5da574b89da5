import type { Logger } from 'pino';
import { AuthCache, authChannel } from './auth/auth-cache.js';
import { resolveJwtSecret } from './auth/jwt-secret.js';
import { LinkTokens } from './auth/link-tokens.js';
import { argon2Verifier, type PasswordVerifier } from './auth/passwords.js';
import { DbRevocationStore, type RevocationStore } from './auth/revocations.js';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config/load-config.js';
import { type Database, type Db, openDatabase } from './db/client.js';
import { listenForNotifications, type NotificationListener } from './db/notifications.js';
import { rootMessage } from './lib/root-message.js';
import { DevMailbox } from './mail/dev-mailbox.js';
import { domainOf, MailLedger } from './mail/ledger.js';
import { LedgerReads } from './mail/ledger-reads.js';
import type { Mailer } from './mail/mailer.js';
import { LocalMailRateLimit, type MailRateLimit, noRateLimit, RedisMailRateLimit } from './mail/rate-limit.js';
import { connectionsPerLane, SmtpMailer } from './mail/smtp-mailer.js';
import { appUrl } from './mail/templates/html.js';
import { Unsubscribes } from './mail/unsubscribes.js';
import { Metrics } from './observability/metrics.js';
import { AccountService } from './services/account.service.js';
import { BookService } from './services/book.service.js';
import { MailAdminService } from './services/mail-admin.service.js';
import { MailingService } from './services/mailing.service.js';
import { ReviewService } from './services/review.service.js';
import { SessionService } from './services/session.service.js';
import { TagService } from './services/tag.service.js';
import { TaskAdminService } from './services/task-admin.service.js';
import { createTaskBackend, type ProcessRole, type TaskBackend } from './tasks/backend.js';
import { MailDelivery } from './tasks/mail-delivery.js';
import { TaskRegistry } from './tasks/registry.js';
import { TaskQueue } from './tasks/task-queue.js';
import type { TaskStore } from './tasks/task-store.js';

/** Tasks running in this process, until stopped. */
export interface RunningTasks {
  /** Stops taking tasks, lets running ones finish within `timeoutMs`, hands back the rest; resolves once none runs. */
  stop(timeoutMs: number): Promise<void>;
}

/** Everything the API and the task runners share, built once per process. */
export interface Deps {
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  readonly db: Db;
  /** How tasks run here: in-process or through BullMQ, chosen once from the configuration. */
  readonly taskBackend: TaskBackend;
  /** Redis mode: the connection and the queues. */
  readonly redis: TaskBackend['redis'];
  readonly metrics: Metrics;
  readonly mailer: Mailer;
  /** The mail ledger: an entry for every message, its state as it is sent. */
  readonly ledger: MailLedger;
  readonly unsubscribes: Unsubscribes;
  readonly mailAdmin: MailAdminService;
  readonly mailRateLimit: MailRateLimit;
  /** Present when no SMTP server is configured. */
  readonly devMailbox: DevMailbox | undefined;
  readonly registry: TaskRegistry;
  readonly tasks: TaskQueue;
  readonly taskStore: TaskStore;
  readonly tokens: TokenService;
  readonly revocations: RevocationStore;
  /** Users and revocations authentication read, kept while the database's notifications are heard (off until `listenForAuthChanges`). */
  readonly authCache: AuthCache;
  readonly links: LinkTokens;
  readonly passwords: PasswordVerifier;
  readonly accounts: AccountService;
  readonly sessions: SessionService;
  readonly mailings: MailingService;
  readonly books: BookService;
  readonly reviews: ReviewService;
  readonly tags: TagService;
  readonly taskAdmin: TaskAdminService;
  /** Starts running tasks in this process, as its role and the configuration say. Stop them before `close`. */
  startTasks(role?: ProcessRole): Promise<RunningTasks>;
  /**
   * Listens to the database's notices of changed accounts and ended sessions, and turns the auth
   * cache on while it hears them (the API does; a worker or a CLI command authenticates nothing).
   * Resolves once the first LISTEN is in place or has failed; it keeps trying.
   */
  listenForAuthChanges(): Promise<void>;
  /** Closes the mail transport, Redis and the database (unless the caller owns it). */
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  log: Logger;
  /** An open database to use instead of opening the configured one; the caller closes it. */
  database?: Database;
  /** A password verifier of the caller's own (a test counts verifications through it). */
  passwords?: PasswordVerifier;
}

export async function createDeps(config: Config, options: CreateDepsOptions): Promise<Deps> {
  const { log } = options;
  const secret = resolveJwtSecret(config, log);
  const database = options.database ?? (await openDatabase(config.database));
  const { db } = database;
  const registry = new TaskRegistry();
  const metrics = new Metrics(() => taskBackend.snapshot());
  const taskBackend = await createTaskBackend(config, { database, registry, metrics, log });
  const redis = taskBackend.redis;
  const devMailbox = config.mail.smtp ? undefined : new DevMailbox(db, log);
  const mailer = config.mail.smtp
    ? new SmtpMailer(
        config.mail.smtp,
        { name: config.mail.fromName, address: config.mail.from },
        { connectionsPerLane: connectionsPerLane(config.mail.maxConnections, config.tasks.concurrency), dkim: config.mail.dkim },
      )
    : (devMailbox as DevMailbox);
  const perSecond = config.mail.ratePerSecond;
  const mailRateLimit =
    perSecond === 0 ? noRateLimit : redis ? new RedisMailRateLimit(redis.connection, perSecond) : new LocalMailRateLimit(perSecond);
  const tasks = new TaskQueue(registry, taskBackend.dispatcher, log);
  const tokens = new TokenService(secret, config.jwt.algorithm, {
    access: config.jwt.accessTtlSeconds,
    refresh: config.jwt.refreshTtlSeconds,
  });
  // In the database in every mode: an authenticated request never needs Redis, and an empty Redis revokes nothing back.
  const revocations = new DbRevocationStore(db);
  const links = new LinkTokens(secret);
  const ledger = new MailLedger(db, domainOf(config.mail.from));
  const unsubscribes = new Unsubscribes(db, secret);
  const authCache = new AuthCache({ users: config.jwt.cacheSize, sessions: config.jwt.cacheSize });
  // At once in this process; the others hear of it from the database's triggers.
  const accounts = new AccountService(db, tasks, links, ledger, { userChanged: (uid) => authCache.forgetUser(uid) });
  const sessions = new SessionService(accounts, tokens, revocations, authCache);
  let authListener: NotificationListener | undefined;
  const taskServices = {
    db,
    users: accounts,
    links,
    mail: new MailDelivery(mailer, mailRateLimit, metrics, ledger),
    unsubscribes,
    tasks,
    retention: config.tasks.retention,
    appUrl: (path: string) => appUrl(config.domain, path),
  };

  return {
    config,
    log,
    database,
    db,
    taskBackend,
    redis,
    metrics,
    mailer,
    ledger,
    unsubscribes,
    mailRateLimit,
    devMailbox,
    registry,
    tasks,
    taskStore: taskBackend.store,
    tokens,
    revocations,
    authCache,
    links,
    passwords: options.passwords ?? argon2Verifier,
    accounts,
    sessions,
    mailings: new MailingService(db, tasks),
    books: new BookService(db),
    reviews: new ReviewService(db),
    tags: new TagService(db),
    taskAdmin: new TaskAdminService(taskBackend, registry, ledger),
    mailAdmin: new MailAdminService(new LedgerReads(db), unsubscribes),
    async startTasks(role = 'api') {
      await taskBackend.start(taskServices, role);
      return { stop: (timeoutMs) => taskBackend.stop(timeoutMs) };
    },
    async listenForAuthChanges() {
      if (config.jwt.cacheSize === 0 || authListener) return;
      let lost = false;
      authListener = listenForNotifications(
        database,
        authChannel,
        {
          notice: (payload) => authCache.applyNotice(payload),
          up: () => {
            authCache.resume();
            if (lost) log.info('auth cache on again: listening to the database');
            lost = false;
          },
          down: (error) => {
            authCache.suspend();
            if (!lost) log.warn(`auth cache off: not listening to the database (${rootMessage(error)}); every request reads it`);
            lost = true;
          },
        },
        log,
      );
      await authListener.ready;
    },
    async close() {
      await authListener?.close();
      await mailer.close();
      await taskBackend.close();
      if (!options.database) await database.close();
    },
  };
}
