import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { TokenService } from '../../src/auth/tokens.js';
import { UnauthorizedError } from '../../src/errors.js';

const subject = { uid: '0b9a4a4e-5f7e-4d7c-9a53-7a1e2b3c4d5e', email: 'ada@example.com', tokenGeneration: 3 };
const ttl = { access: 60, refresh: 600 };
const sessionId = randomUUID();

describe('tokens', () => {
  for (const algorithm of ['HS256', 'HS384', 'HS512']) {
    it(`${algorithm}: a token it issued checks out with its claims; one signed with another secret does not`, async () => {
      const tokens = new TokenService('a secret', algorithm, ttl);
      const token = await tokens.issue(subject, sessionId, false);
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).alg, algorithm);
      const claims = await tokens.verify(token);
      assert.deepEqual(claims.user, { uid: subject.uid, email: subject.email });
      assert.equal(claims.gen, 3);
      assert.equal(claims.refresh, false);
      assert.equal(claims.sid, sessionId);
      await assert.rejects(new TokenService('another secret', algorithm, ttl).verify(token), UnauthorizedError);
    });
  }

  it('refuses a token whose payload was changed after signing', async () => {
    const tokens = new TokenService('a secret', 'HS256', ttl);
    const [header, , signature] = (await tokens.issue(subject, sessionId, false)).split('.');
    const forged = Buffer.from(JSON.stringify({ user: { uid: subject.uid, email: 'eve@example.com' } })).toString('base64url');
    await assert.rejects(tokens.verify(`${header}.${forged}.${signature}`), /The token is invalid/);
  });

  it('refuses a token of another algorithm, even with the same secret', async () => {
    const token = await new TokenService('a secret', 'HS512', ttl).issue(subject, sessionId, true);
    await assert.rejects(new TokenService('a secret', 'HS256', ttl).verify(token), /The token is invalid/);
  });

  it('refuses a token without a session id, or with one that is not a UUID (tokens issued before sessions)', async () => {
    const tokens = new TokenService('a secret', 'HS256', ttl);
    const claims = await tokens.verify(await tokens.issue(subject, sessionId, false));
    const key = new TextEncoder().encode('a secret');
    const resigned = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    assert.equal((await tokens.verify(resigned)).sid, sessionId, 'the same claims signed here check out');
    const { sid: _, ...withoutSid } = claims;
    for (const payload of [withoutSid, { ...claims, sid: 'not-a-uuid' }]) {
      const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
      await assert.rejects(tokens.verify(token), /The token is invalid/, JSON.stringify(payload));
    }
  });
});
