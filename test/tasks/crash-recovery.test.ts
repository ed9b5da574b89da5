import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.js';
import { tasks } from '../../src/db/schema/index.js';
import { newSignup } from '../support/accounts.js';
import { createPostgresDatabase } from '../support/databases.js';
import { startServerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { tempDir } from '../support/temp-dir.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/**
 * The server process is killed (SIGKILL: no shutdown code runs) while its
 * task is in the middle of sending a mail. Started again, it sends the mail.
 */
describe('a task survives a crash of its process', () => {
  let smtp: SmtpPeer;
  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
  });
  after(() => smtp.close());

  const cases = [
    {
      name: 'PostgreSQL (another process takes the task when its lease runs out)',
      database: async () => {
        const created = await createPostgresDatabase();
        return { url: created.url, config: created.config, drop: created.drop };
      },
    },
    {
      name: 'embedded PGlite (the next start knows every running task was orphaned)',
      database: async () => {
        const dir = join(tempDir('crash'), 'pglite');
        return { url: `pglite://${dir}`, config: { kind: 'pglite' as const, dataDir: dir }, drop: async () => {} };
      },
    },
  ];

  for (const { name, database } of cases) {
    it(name, { timeout: 120_000 }, async () => {
      smtp.reset();
      const db = await database();
      const env = { ...testEnv({ smtp, databaseUrl: db.url }), TASK_LEASE_MS: '1500' };
      const release = smtp.hold();
      const first = await startServerProcess(env);
      const body = newSignup();
      const reply = await fetch(`${first.url}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(reply.status, 201);
      await once(smtp, 'held');

      const hungUp = once(smtp, 'client-closed');
      assert.equal(await first.stop('SIGKILL'), null);
      await hungUp;
      release();
      assert.equal(smtp.mails.length, 0, 'the interrupted delivery did not count');

      const second = await startServerProcess(env);
      try {
        const mail = await smtp.waitForMail((m) => m.to.includes(body.email), 30_000);
        assert.match(mail.links[0] ?? '', /\/api\/v1\/auth\/verify\//);
      } finally {
        assert.equal(await second.stop('SIGTERM'), 0, second.output());
      }
      assert.equal(smtp.mailsTo(body.email).length, 1, 'delivered once');

      const check = await openDatabase(db.config);
      try {
        const [task] = await check.db.select().from(tasks).where(eq(tasks.name, 'mail.verify-email'));
        assert.equal(task?.state, 'completed');
        assert.equal(task?.attemptsMade, 2, 'the killed attempt and the one that delivered');
      } finally {
        await check.close();
        await db.drop();
      }
    });
  }
});
