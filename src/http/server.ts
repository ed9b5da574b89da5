import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { migrate } from '../db/migrate.js';
import { whenDatabaseReachable } from '../db/when-reachable.js';
import { createDeps, type RunningTasks } from '../deps.js';
import { isLoopback } from '../lib/loopback.js';
import { buildApp } from './app.js';

/** Start-up failed for a reason one line says (a port in use). */
export class StartupError extends Error {}

/**
 * `npm start`: listens at once, then migrates and starts the in-process task
 * runner as soon as the database answers (until then requests answer 503,
 * and `/ready` says why). On SIGTERM or SIGINT it stops taking requests,
 * lets running tasks finish within the shutdown deadline, and leaves the
 * rest for the next start.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  const deps = await createDeps(config, { log });
  let starting: string | undefined = 'the database is not ready yet';
  const startup = new AbortController();
  let tasks: RunningTasks | undefined;
  let started: Promise<void> = Promise.resolve();

  const app = await buildApp(deps, { starting: () => starting });
  closeWithGrace({ delay: config.http.shutdownTimeoutMs + 5000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    startup.abort();
    await app.close();
    await started.catch(() => {});
    await tasks?.stop(config.http.shutdownTimeoutMs);
    await deps.close();
  });

  let address: string;
  try {
    address = await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await deps.close();
    throw new StartupError(`Cannot listen on ${config.http.host}:${config.http.port}: ${(error as Error).message}`);
  }
  if (deps.devMailbox) {
    const base = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
    log.info(`No MAIL_SERVER: mail is kept at ${base}/dev/mailbox; API docs at ${base}/api/v1/docs`);
    if (config.http.host !== 'localhost' && !isLoopback(config.http.host)) {
      log.warn(
        `HOST=${config.http.host} without MAIL_SERVER: the dev mailbox holds every verification and reset link, so it answers only clients on this machine's loopback address (127.0.0.1, ::1) and other machines get 404; set MAIL_SERVER to send the mail instead`,
      );
    }
  }

  started = (async () => {
    if (!(await whenDatabaseReachable(() => migrate(deps.database), log, startup.signal))) return;
    tasks = await deps.startTasks();
    starting = undefined;
    log.info({ address }, 'ready');
  })();
  try {
    await started;
  } catch (error) {
    // A migration that fails on its own (not for want of a database) is not waited out.
    await app.close();
    await deps.close();
    throw error;
  }
}
