import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logFormat } from '../../src/observability/logger.js';

describe('log format', () => {
  it('is pretty only on a terminal outside production, JSON everywhere else', () => {
    for (const [env, terminal, format] of [
      ['development', true, 'pretty'],
      ['test', true, 'pretty'],
      ['production', true, 'json'],
      ['development', false, 'json'],
      ['test', false, 'json'],
      ['production', false, 'json'],
    ] as const) {
      assert.equal(logFormat(env, terminal), format, `NODE_ENV=${env}, stdout ${terminal ? 'a terminal' : 'not a terminal'}`);
    }
  });
});
