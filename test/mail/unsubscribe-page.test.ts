import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, Screenshots } from '../support/browser.js';
import { createPostgresDatabase } from '../support/databases.js';
import { adminOver, call, withOutputOnFailure } from '../support/fault-rig.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

/** A person opens the unsubscribe link of a bulk mail in a real Chromium and presses its one button. */
describe('the unsubscribe page in a browser', () => {
  let smtp: SmtpPeer;
  let browser: Browser;
  let server: ServerProcess | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    browser = await launchChromium();
  });
  afterEach(async () => {
    await server?.stop('SIGKILL');
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  after(async () => {
    await browser?.close();
    await smtp.close();
  });

  it('shows one button, changes nothing until it is pressed, then says what happened', { timeout: 120_000 }, async () => {
    const database = await createPostgresDatabase();
    cleanups.push(database.drop);
    server = await startServerProcess(testEnv({ smtp, databaseUrl: database.url }));
    const running = server;
    await withOutputOnFailure([running], async () => {
      const admin = await adminOver(running.url, smtp, database.url);
      const sent = await call(
        running.url,
        'POST',
        '/api/v1/auth/send_mail',
        { addresses: ['reader@example.com'], subject: 'New books' },
        admin.token,
      );
      assert.equal(sent.status, 202);
      const mail = await smtp.waitForMail((m) => m.to.includes('reader@example.com'), 30_000);
      const link = mail.links.find((each) => each.includes('/mail/unsubscribe/')) as string;
      const context = await browser.newContext();
      const page = await context.newPage();
      const shots = new Screenshots('unsubscribe');
      const suppressions = async () => (await call(running.url, 'GET', '/api/v1/mail/suppressions', undefined, admin.token)).json;

      await shots.step(page, 'page', async () => {
        assert.equal((await page.goto(`${running.url}${new URL(link).pathname}`))?.status(), 200);
        assert.match(await page.locator('h1').innerText(), /Unsubscribe/);
        assert.equal(await page.getByRole('button').count(), 1);
        assert.deepEqual(await suppressions(), [], 'opening the page changed nothing');
      });
      await shots.step(page, 'dark', async () => {
        await page.emulateMedia({ colorScheme: 'dark' });
        assert.equal(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor'), 'rgb(21, 23, 26)');
      });
      await shots.step(page, 'done', async () => {
        await page.getByRole('button', { name: 'Unsubscribe' }).click();
        await page.waitForLoadState();
        assert.match(await page.locator('h1').innerText(), /^Unsubscribed$/);
        assert.match(await page.locator('body').innerText(), /no more mailings will come/);
        assert.deepEqual(
          (await suppressions()).map((row: { email: string }) => row.email),
          ['reader@example.com'],
        );
      });
      await context.close();
    });
  });
});
