import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { type DatabaseKind, databaseKinds, openTestDatabase, type TestDatabase } from './databases.js';
import { SmtpPeer } from './smtp-peer.js';
import { smtpLogin, startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

export interface SuiteContext {
  /** A fresh app for each test. */
  t: TestApp;
  smtp: SmtpPeer;
  db: TestDatabase;
  kind: DatabaseKind;
}

export interface SuiteOptions extends Pick<TestAppOptions, 'env' | 'runner'> {
  /** Send mail to the SMTP peer (default) or keep it in the dev mailbox. */
  readonly mail?: 'smtp' | 'dev-mailbox';
}

/**
 * Runs `body` once on an in-memory PGlite and once on a database of its own on
 * the machine's PostgreSQL, with an SMTP server that asks for a login over
 * STARTTLS. Each test gets a new app on emptied tables.
 */
export function describeEachDatabase(title: string, body: (ctx: SuiteContext) => void, options: SuiteOptions = {}): void {
  for (const kind of databaseKinds) {
    describe(`${title} (${kind})`, () => {
      const ctx = { kind } as SuiteContext;
      before(async () => {
        ctx.db = await openTestDatabase(kind);
        ctx.smtp = await SmtpPeer.start({ auth: smtpLogin });
      });
      beforeEach(async () => {
        await ctx.db.reset();
        ctx.smtp.reset();
        ctx.t = await startTestApp({
          db: ctx.db,
          smtp: options.mail === 'dev-mailbox' ? undefined : ctx.smtp,
          env: options.env,
          runner: options.runner,
        });
      });
      afterEach(async () => {
        await ctx.t.close();
      });
      after(async () => {
        await ctx.smtp.close();
        await ctx.db.close();
      });
      body(ctx);
    });
  }
}
