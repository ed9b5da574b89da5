import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { OutageLog } from '../../src/lib/outage-log.js';

/** A logger at `level` and the lines it wrote, parsed. */
function capture(level: string) {
  const lines: { level: number; msg: string; err?: { stack?: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}

/** What ioredis emits when nothing listens: the error of a connect, with the driver's words. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
}

describe('the outage log', () => {
  it('says once, in one line with the reason and no stack trace, that a connection failed, and once that it works again', () => {
    const { log, lines } = capture('info');
    const client = new EventEmitter();
    new OutageLog(log, 'Redis connection').watch(client);
    for (let attempt = 0; attempt < 5; attempt++) client.emit('error', refused());
    client.emit('ready');
    assert.deepEqual(
      lines.map(({ msg }) => msg),
      [
        'Redis connection failed (connect ECONNREFUSED 127.0.0.1:6390); retrying quietly until it works again',
        'Redis connection works again',
      ],
    );
    assert.ok(lines.every((line) => line.err === undefined));
  });

  it('names the innermost reason of a wrapped error, and keeps the stack for LOG_LEVEL=debug', () => {
    const { log, lines } = capture('debug');
    const wrapped = new Error('Failed query: select 1', { cause: new AggregateError([refused()], '') });
    new OutageLog(log, 'Task relay').failed(wrapped);
    assert.equal(lines[0]?.msg, 'Task relay failed (connect ECONNREFUSED 127.0.0.1:6390); retrying quietly until it works again');
    assert.match(lines[1]?.err?.stack ?? '', /Failed query/);
  });
});
