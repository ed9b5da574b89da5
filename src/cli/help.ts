import type { CommandSpec } from './command-line.js';

const footer = [
  'Configuration comes from the environment or a .env file in the working directory (the README, Configuration).',
  'Exit status: 0 done, 1 failed (one line says why), 2 a command line it does not understand.',
];

/** `bookly --help`. */
export function overviewHelp(commands: readonly CommandSpec[]): string {
  const rows = commands.map((command) => [usageOf(command), command.summary] as const);
  rows.push(['help [COMMAND]', 'this text, or what a command does and its options']);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    'Usage: bookly COMMAND [OPTIONS]        (npm run bookly -- COMMAND [OPTIONS])',
    '',
    'Commands:',
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    '',
    'With no command, bookly runs serve. bookly COMMAND --help (or -h) describes one command.',
    ...footer,
  ].join('\n');
}

/** `bookly COMMAND --help`. */
export function commandHelp(command: CommandSpec): string {
  const options = [
    ...Object.entries(command.options).map(([name, option]) => [`--${name} ${option.value}`, option.description] as const),
    ['-h, --help', 'print this and exit'] as const,
  ];
  const width = Math.max(...options.map(([flag]) => flag.length));
  const flags = options.slice(0, -1).map(([flag]) => ` [${flag}]`);
  const script = command.script ? `        (${command.script}${flags.length > 0 ? ' -- [OPTIONS]' : ''})` : '';
  return [
    `Usage: bookly ${usageOf(command)}${flags.join('')}${script}`,
    '',
    command.description,
    '',
    'Options:',
    ...options.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
    ...footer,
  ].join('\n');
}

function usageOf(command: CommandSpec): string {
  return [command.name, ...command.arguments].join(' ');
}
