import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { openDatabase } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { createDeps } from '../deps.js';
import { serve } from '../http/server.js';
import { runWorker } from '../worker.js';
import type { CommandSpec } from './command-line.js';

export interface Command extends CommandSpec {
  run(config: Config, log: Logger, args: readonly string[]): Promise<void>;
}

/** Every command of `bookly`, in the order `--help` lists them. */
export const commands: readonly Command[] = [
  {
    name: 'serve',
    arguments: [],
    script: 'npm start',
    summary: 'the API; runs background tasks in-process unless REDIS_URL is set',
    description:
      'Runs the API. It listens at once and answers 503 until the database answers; then it applies the\n' +
      'migrations and starts the background tasks: in this process, or with REDIS_URL through BullMQ to\n' +
      'bookly worker processes. SIGTERM or SIGINT stop it gracefully.',
    options: {
      port: { env: 'PORT', value: 'N', description: 'listen on port N, instead of PORT (8000 by default)' },
      host: {
        env: 'HOST',
        value: 'ADDRESS',
        description: 'listen on ADDRESS, instead of HOST (127.0.0.1 by default; 0.0.0.0 in a container)',
      },
    },
    run: (config, log) => serve(config, log),
  },
  {
    name: 'worker',
    arguments: [],
    script: 'npm run worker',
    summary: 'a task worker; needs REDIS_URL and a PostgreSQL DATABASE_URL',
    description:
      'Runs background tasks from BullMQ, beside the API; as many as the load needs. It waits for the\n' +
      'database and for Redis, and serves /metrics and /health on WORKER_METRICS_PORT when that is set.\n' +
      'SIGTERM or SIGINT stop it gracefully.',
    options: {},
    run: (config, log) => runWorker(config, log),
  },
  {
    name: 'migrate',
    arguments: [],
    script: 'npm run migrate',
    summary: 'apply the database migrations (serve does it too)',
    description: 'Applies the SQL migrations in drizzle/ that the database has not run yet, then exits.',
    options: {},
    async run(config, log) {
      const database = await openDatabase(config.database);
      try {
        await migrate(database);
        log.info('migrations applied');
      } finally {
        await database.close();
      }
    },
  },
  {
    name: 'users:promote',
    arguments: ['EMAIL'],
    script: 'npm run bookly -- users:promote EMAIL',
    summary: 'make the account with that email an admin',
    description:
      'Makes the account with that email an admin (applying the migrations first). The embedded\n' +
      'database can be open in one process only: stop the server first, or this says it is in use.',
    options: {},
    async run(config, log, [email]) {
      const deps = await createDeps(config, { log });
      try {
        await migrate(deps.database);
        const user = await deps.accounts.promoteToAdmin(email as string);
        console.log(`${user.email} is now an admin`);
      } finally {
        await deps.close();
      }
    },
  },
];
