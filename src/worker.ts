import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './config/load-config.js';
import { migrate } from './db/migrate.js';
import { whenDatabaseReachable } from './db/when-reachable.js';
import { createDeps, type RunningTasks } from './deps.js';
import { listenFailure } from './lib/listen-failure.js';
import { startMetricsServer } from './observability/metrics-server.js';

/**
 * `npm run worker`: waits for the database and for Redis, then runs tasks
 * from BullMQ until SIGTERM or SIGINT; then finishes its running tasks within
 * the shutdown deadline and hands the rest back to the queue. A start that
 * fails (its metrics port in use, a database that refuses) closes what it
 * opened before it rejects, so that the process ends.
 */
export async function runWorker(config: Config, log: Logger): Promise<void> {
  if (!config.redis) throw new ConfigError(['npm run worker needs REDIS_URL; without it, tasks run inside npm start']);
  if (config.database.kind === 'pglite') {
    throw new ConfigError([
      'npm run worker needs DATABASE_URL to name a PostgreSQL server: an embedded database can be open in one process only',
    ]);
  }
  const deps = await createDeps(config, { log });
  const startup = new AbortController();
  let tasks: RunningTasks | undefined;
  let started: Promise<void> = Promise.resolve();
  let metrics: Awaited<ReturnType<typeof startMetricsServer>> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      startup.abort();
      await started.catch(() => {});
      await tasks?.stop(config.http.shutdownTimeoutMs);
      await metrics?.close();
      await deps.close();
    })());
  const grace = closeWithGrace({ delay: config.http.shutdownTimeoutMs + 5000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'worker stopping after an error');
    else log.info({ signal }, 'worker stopping');
    await stop();
  });

  try {
    const { host } = config.http;
    const port = config.worker.metricsPort;
    if (port > 0) {
      metrics = await startMetricsServer(deps.metrics, { host, port, token: config.metricsToken }).catch((error: unknown) => {
        throw listenFailure(error, { host, port, portSetting: 'WORKER_METRICS_PORT', hostSetting: 'HOST' });
      });
    }
    started = (async () => {
      // Whichever starts first migrates; the others wait on the migration lock.
      if (!(await whenDatabaseReachable(() => migrate(deps.database), log, startup.signal))) return;
      // BullMQ's workers wait for Redis by themselves.
      tasks = await deps.startTasks('worker');
      log.info({ concurrency: config.tasks.concurrency, metricsPort: metrics?.port }, 'worker running');
    })();
    await started;
  } catch (error) {
    // As in `serve`: closed once, here, and the process ends with the error's exit code.
    grace.uninstall();
    await stop();
    throw error;
  }
}
