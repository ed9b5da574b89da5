import type { AddressInfo } from 'node:net';
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { migrate } from '../db/migrate.js';
import { whenDatabaseReachable } from '../db/when-reachable.js';
import { createDeps, type RunningTasks } from '../deps.js';
import { listenFailure } from '../lib/listen-failure.js';
import { isLoopback } from '../lib/loopback.js';
import { buildApp } from './app.js';

/**
 * `npm start`: listens at once, then migrates and starts the in-process task
 * runner as soon as the database answers (until then requests answer 503,
 * and `/ready` says why). On SIGTERM or SIGINT it stops taking requests,
 * lets running tasks finish within the shutdown deadline, and leaves the
 * rest for the next start. A start that fails (a port in use, a database that
 * refuses) closes everything it opened before it rejects, so that nothing is
 * left running or holding the embedded database.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  const deps = await createDeps(config, { log });
  let starting: string | undefined = 'the database is not ready yet';
  const startup = new AbortController();
  let tasks: RunningTasks | undefined;
  let started: Promise<void> = Promise.resolve();
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      startup.abort();
      await app?.close();
      await started.catch(() => {});
      await tasks?.stop(config.http.shutdownTimeoutMs);
      await deps.close();
    })());
  const grace = closeWithGrace({ delay: config.http.shutdownTimeoutMs + 5000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await stop();
  });

  try {
    app = await buildApp(deps, { starting: () => starting });
    const { host, port } = config.http;
    const address = await app.listen({ host, port }).catch((error: unknown) => {
      throw listenFailure(error, { host, port, portSetting: 'PORT or --port', hostSetting: 'HOST or --host' });
    });
    if (deps.devMailbox) announceDevMailbox(config, (app.server.address() as AddressInfo).port, log);

    started = (async () => {
      if (!(await whenDatabaseReachable(() => migrate(deps.database), log, startup.signal))) return;
      await deps.listenForAuthChanges();
      tasks = await deps.startTasks();
      starting = undefined;
      log.info({ address }, 'ready');
    })();
    await started;
  } catch (error) {
    // Not waited out (a migration that fails on its own, not for want of a database), and not
    // closed twice: close-with-grace would run `stop` again when the event loop empties.
    grace.uninstall();
    await stop();
    throw error;
  }
}

function announceDevMailbox(config: Config, port: number, log: Logger): void {
  const { host } = config.http;
  const base = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  log.info(`No MAIL_SERVER: mail is kept at ${base}/dev/mailbox; API docs at ${base}/api/v1/docs`);
  if (host !== 'localhost' && !isLoopback(host)) {
    log.warn(
      `HOST=${host} without MAIL_SERVER: the dev mailbox holds every verification and reset link, so it answers only clients on this machine's loopback address (127.0.0.1, ::1) and other machines get 404; set MAIL_SERVER to send the mail instead`,
    );
  }
}
