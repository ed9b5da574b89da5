import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { migrate } from '../db/migrate.js';
import { createDeps } from '../deps.js';
import { startTaskRunner } from '../tasks/start-runner.js';
import { buildApp } from './app.js';

/**
 * `npm start`: migrates, starts the in-process task runner, listens. On SIGTERM
 * or SIGINT it stops taking requests, lets running tasks finish within the
 * shutdown deadline, and leaves the rest for the next start.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  const deps = await createDeps(config, { log });
  await migrate(deps.database);

  const runner = await startTaskRunner(deps);

  const app = await buildApp(deps);
  closeWithGrace({ delay: config.http.shutdownTimeoutMs + 5000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app.close();
    await runner.stop(config.http.shutdownTimeoutMs);
    await deps.close();
  });

  await app.listen({ host: config.http.host, port: config.http.port });
  if (deps.devMailbox) {
    const base = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
    log.info(`No MAIL_SERVER: mail is kept at ${base}/dev/mailbox; API docs at ${base}/api/v1/docs`);
  }
}
