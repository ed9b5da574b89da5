import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/load-config.js';
import { openDatabase } from './db/client.js';
import { DatabaseBusyError } from './db/embedded-lock.js';
import { migrate } from './db/migrate.js';
import { createDeps } from './deps.js';
import { AppError } from './errors.js';
import { StartupError, serve } from './http/server.js';
import { createLogger } from './observability/logger.js';
import { runWorker } from './worker.js';

const usage = `Usage: bookly <command>
  serve                  the API (npm start); runs tasks in-process unless REDIS_URL is set
  worker                 a task worker (npm run worker); needs REDIS_URL
  migrate                apply database migrations (npm run migrate)
  users:promote EMAIL    make an account admin`;

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const log = createLogger(config);

  switch (command) {
    case 'serve':
      return serve(config, log);
    case 'migrate': {
      const database = await openDatabase(config.database);
      try {
        await migrate(database);
        log.info('migrations applied');
      } finally {
        await database.close();
      }
      return;
    }
    case 'users:promote': {
      const email = args[0];
      if (!email) throw new UsageError('users:promote needs an email: npm run bookly -- users:promote EMAIL');
      const deps = await createDeps(config, { log });
      try {
        await migrate(deps.database);
        const user = await deps.accounts.promoteToAdmin(email);
        console.log(`${user.email} is now an admin`);
      } finally {
        await deps.close();
      }
      return;
    }
    case 'worker':
      return runWorker(config, log);
    default:
      throw new UsageError(`Unknown command "${command}"\n${usage}`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Expected failures get one clear line; anything else its stack.
  if (error instanceof ConfigError || error instanceof DatabaseBusyError || error instanceof UsageError || error instanceof StartupError) {
    console.error(error.message);
  } else if (error instanceof AppError) console.error(error.message);
  else console.error(error);
  process.exitCode = 1;
});
