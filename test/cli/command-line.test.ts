import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, UsageError } from '../../src/cli/command-line.js';
import { commands } from '../../src/cli/commands.js';

const parse = (...argv: string[]) => parseCommandLine(argv, commands);
const named = (invocation: ReturnType<typeof parse>) => invocation.command?.name;

/** The one line a refused command line prints. */
function refusal(argv: string[]): string {
  try {
    parse(...argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`bookly ${argv.join(' ')} was taken`);
}

describe('the command line', () => {
  it('runs serve when no command is named', () => {
    assert.deepEqual(parse(), { kind: 'run', command: commands[0], args: [], env: {} });
    assert.equal(named(parse()), 'serve');
  });

  it('reads help in every spelling, for the whole CLI or one command, before anything else on the line', () => {
    for (const argv of [['--help'], ['-h'], ['help']]) assert.deepEqual(parse(...argv), { kind: 'help', command: undefined });
    for (const argv of [
      ['help', 'worker'],
      ['worker', '--help'],
      ['worker', '-h'],
      ['worker', '--bogus', '-h'],
    ]) {
      const invocation = parse(...argv);
      assert.equal(invocation.kind, 'help', argv.join(' '));
      assert.equal(named(invocation), 'worker', argv.join(' '));
    }
  });

  it('turns --port and --host into the PORT and HOST the configuration reads, in both spellings', () => {
    const invocation = parse('serve', '--port', '9000', '--host=0.0.0.0');
    assert.deepEqual(invocation.kind === 'run' && invocation.env, { PORT: '9000', HOST: '0.0.0.0' });
  });

  it('passes the arguments a command takes', () => {
    const invocation = parse('users:promote', 'ada@example.com');
    assert.deepEqual(invocation.kind === 'run' && invocation.args, ['ada@example.com']);
    // After --, a word that looks like an option is an argument.
    const dashed = parse('users:promote', '--', '-ada@example.com');
    assert.deepEqual(dashed.kind === 'run' && dashed.args, ['-ada@example.com']);
  });

  it('refuses, in one line that says where to look, what it does not know or what is missing', () => {
    assert.equal(refusal(['serve', '--prot', '1']), 'Unknown option "--prot" (bookly serve --help)');
    assert.equal(refusal(['serve', '-p', '1']), 'Unknown option "-p" (bookly serve --help)');
    assert.equal(refusal(['worker', '--port', '1']), 'Unknown option "--port" (bookly worker --help)');
    for (const argv of [
      ['serve', '--port'],
      ['serve', '--port='],
      ['serve', '--port', '--host', 'x'],
    ]) {
      assert.equal(refusal(argv), '--port needs a value: --port N (bookly serve --help)', argv.join(' '));
    }
    assert.equal(refusal(['users:promote']), 'bookly users:promote needs EMAIL (bookly users:promote --help)');
    assert.equal(
      refusal(['users:promote', 'a@example.com', 'b@example.com']),
      'Unexpected argument "b@example.com" (bookly users:promote --help)',
    );
    assert.equal(refusal(['serve', 'now']), 'Unexpected argument "now" (bookly serve --help)');
    assert.equal(refusal(['start']), 'Unknown command "start" (bookly --help lists the commands)');
    assert.equal(refusal(['help', 'start']), 'Unknown command "start" (bookly --help lists the commands)');
    assert.match(refusal(['--port', '9000']), /^Unknown option "--port": the command comes first, as in bookly serve --port 9000/);
  });
});
