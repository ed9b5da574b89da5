import { parseArgs } from 'node:util';

/** An option of a command beyond `--help`: it sets an environment variable, so that the configuration reads it as it reads the rest. */
export interface OptionSpec {
  /** The variable it overrides (`PORT`). */
  readonly env: string;
  /** The value's name in the usage line (`N`). */
  readonly value: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly name: string;
  /** Required positional arguments, by name (`EMAIL`). */
  readonly arguments: readonly string[];
  /** One line, for the list of commands. */
  readonly summary: string;
  /** What `bookly COMMAND --help` says beyond the summary. */
  readonly description: string;
  /** How npm runs it (`npm start`), when it has a script of its own. */
  readonly script?: string;
  /** By long name (`port` for `--port`). */
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** The command line asked for something that does not exist, or left something out. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Invocation<C extends CommandSpec> =
  /** `--help`, `-h` or `help`: for the whole CLI, or for `command`. */
  { kind: 'help'; command: C | undefined } | { kind: 'run'; command: C; args: readonly string[]; env: Readonly<Record<string, string>> };

const helpWords = new Set(['help', '--help', '-h']);

/**
 * Reads `bookly [COMMAND] [ARGUMENTS] [OPTIONS]`; no command at all is
 * `serve`. Unknown commands and options, missing values and arguments are a
 * `UsageError` whose one line says what is wrong.
 */
export function parseCommandLine<C extends CommandSpec>(argv: readonly string[], commands: readonly C[]): Invocation<C> {
  const [first = 'serve', ...rest] = argv;
  const find = (name: string) => commands.find((command) => command.name === name);
  if (helpWords.has(first)) {
    const [topic, ...extra] = rest;
    if (topic === undefined) return { kind: 'help', command: undefined };
    const command = find(topic);
    if (!command) throw new UsageError(`Unknown command "${topic}" (bookly --help lists the commands)`);
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}" (bookly help COMMAND)`);
    return { kind: 'help', command };
  }
  const command = find(first);
  if (!command) {
    throw new UsageError(
      first.startsWith('-')
        ? `Unknown option "${first}": the command comes first, as in bookly serve --port 9000 (bookly --help lists the commands)`
        : `Unknown command "${first}" (bookly --help lists the commands)`,
    );
  }
  return readArguments(command, rest);
}

function readArguments<C extends CommandSpec>(command: C, argv: readonly string[]): Invocation<C> {
  const see = `(bookly ${command.name} --help)`;
  // Not strict: parseArgs' own messages run to several lines; these say the same in one.
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.keys(command.options).map((name) => [name, { type: 'string' as const }])),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return { kind: 'help', command };

  const args: string[] = [];
  const env: Record<string, string> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') args.push(token.value);
    if (token.kind !== 'option') continue;
    const option = command.options[token.name];
    if (!option) throw new UsageError(`Unknown option "${token.rawName}" ${see}`);
    // Without `=`, parseArgs takes the next word as the value, even the next option.
    if (token.value === undefined || token.value === '' || (!token.inlineValue && token.value.startsWith('-'))) {
      throw new UsageError(`${token.rawName} needs a value: ${token.rawName} ${option.value} ${see}`);
    }
    env[option.env] = token.value;
  }
  if (args.length < command.arguments.length) {
    throw new UsageError(`bookly ${command.name} needs ${command.arguments.slice(args.length).join(' ')} ${see}`);
  }
  if (args.length > command.arguments.length) throw new UsageError(`Unexpected argument "${args[command.arguments.length]}" ${see}`);
  return { kind: 'run', command, args, env };
}
