import { existsSync } from 'node:fs';
import { parseCommandLine, UsageError } from './cli/command-line.js';
import { commands } from './cli/commands.js';
import { foreseenFailure, unforeseenFailure } from './cli/failure-line.js';
import { commandHelp, overviewHelp } from './cli/help.js';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './observability/logger.js';

/** Set once the configuration is read: an unforeseen failure then prints its stack trace too. */
let debug = false;

/** `bookly COMMAND`: `npm start`, `npm run worker`, `npm run migrate` and `npm run bookly -- …` all come here. */
async function main(argv: readonly string[]): Promise<void> {
  const invocation = parseCommandLine(argv, commands);
  if (invocation.kind === 'help') {
    console.log(invocation.command ? commandHelp(invocation.command) : overviewHelp(commands));
    return;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  // The command line's options win over the environment, as the environment wins over .env.
  const config = loadConfig({ ...process.env, ...invocation.env });
  debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  await invocation.command.run(config, createLogger(config), invocation.args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const foreseen = foreseenFailure(error);
  console.error(foreseen ?? unforeseenFailure(error));
  if (foreseen === undefined && debug) console.error(error);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
