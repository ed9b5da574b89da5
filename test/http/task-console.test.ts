import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newSignup } from '../support/accounts.js';
import { launchChromium, Screenshots } from '../support/browser.js';
import { createPostgresDatabase } from '../support/databases.js';
import { adminOver, call, waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { deleteKeys, redisUrl, testPrefix } from '../support/redis.js';
import { type ServerProcess, startServerProcess, startWorkerProcess } from '../support/server-process.js';
import { SmtpPeer } from '../support/smtp-peer.js';
import { smtpLogin, testEnv } from '../support/test-app.js';

const light = 'rgb(247, 247, 245)';
const dark = 'rgb(21, 23, 26)';

/**
 * The task console in a real Chromium, against real processes in both modes:
 * an operator logs in, retries a failed task and sees it complete, cancels a
 * running one, pauses and resumes a lane; the page loads nothing from other
 * hosts and reads in light and dark.
 */
describe('the task console in a browser', () => {
  let smtp: SmtpPeer;
  let browser: Browser;
  let processes: ServerProcess[] = [];
  let contexts: BrowserContext[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    smtp = await SmtpPeer.start({ auth: smtpLogin });
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    processes = [];
    for (const cleanup of cleanups.splice(0)) await cleanup();
    smtp.reset();
  });
  after(async () => {
    await browser?.close();
    await smtp.close();
  });

  async function rig(mode: 'in-process' | 'bullmq') {
    const database = await createPostgresDatabase();
    const prefix = testPrefix();
    cleanups.push(database.drop, () => deleteKeys(redisUrl, prefix));
    const env = {
      ...testEnv({ smtp, databaseUrl: database.url }),
      PRUNE_SCHEDULE: '0 0 1 1 *',
      ...(mode === 'bullmq' ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
    };
    const api = await startServerProcess(env);
    processes.push(api);
    const runner = mode === 'bullmq' ? await startWorkerProcess(env) : api;
    if (runner !== api) processes.push(runner);
    const admin = await adminOver(api.url, smtp, database.url);
    const context = await browser.newContext({ baseURL: api.url, httpCredentials: { username: admin.email, password: admin.password } });
    contexts.push(context);
    const page = await context.newPage();
    const hosts = new Set<string>();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    page.on('dialog', (dialog) => void dialog.accept());
    // A policy violation (something the page wanted from elsewhere, an inline script) shows up as an error here.
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && response.status() !== 401) consoleErrors.push(`${response.status()} ${response.url()}`);
    });
    const sendMail = async (address: string) =>
      assert.equal(
        (await call(api.url, 'POST', '/api/v1/auth/send_mail', { addresses: [address], subject: 'News' }, admin.token)).status,
        202,
      );
    const taskState = async (id: string) =>
      (await call(api.url, 'GET', `/api/v1/tasks/${id}`, undefined, admin.token)).json.state as string;
    return { api, runner, admin, page, hosts, consoleErrors, sendMail, taskState };
  }

  // A string, since the tests are compiled without the DOM's types.
  const bodyColour = (page: Page) => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
  const section = (page: Page, title: string) => page.locator('section', { has: page.locator('h2', { hasText: title }) });
  const laneCount = (page: Page, lane: string, state: string) => page.locator(`[data-lane="${lane}"] .${state} dd`).innerText();

  /** The page's own script swaps in a fresh copy every 5 s; waits until a check of it holds. */
  const onPage = (what: string, check: () => Promise<boolean>) => waitFor(what, check, 20_000);

  for (const mode of ['in-process', 'bullmq'] as const) {
    it(`${mode}: log in, retry a failed task, cancel an active one, pause and resume a lane`, { timeout: 180_000 }, async () => {
      const { api, runner, admin, page, hosts, consoleErrors, sendMail, taskState } = await rig(mode);
      const shots = new Screenshots(`console-${mode}`);
      await withOutputOnFailure(processes, async () => {
        const anonymous = await fetch(`${api.url}/admin/tasks`);
        assert.equal(anonymous.status, 401);
        assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);

        smtp.refuse(1, 550);
        await sendMail('refused@example.com');
        let failedId = '';
        await waitFor('the message task to fail', async () => {
          const failed = await call(api.url, 'GET', '/api/v1/tasks?state=failed&name=mail.bulk-message', undefined, admin.token);
          failedId = failed.json[0]?.id ?? '';
          return failedId !== '';
        });

        await shots.step(page, 'failed', async () => {
          assert.equal((await page.goto('/admin/tasks'))?.status(), 200);
          const row = section(page, 'Failed').locator(`tr[data-task="${failedId}"]`);
          assert.match(await row.innerText(), /550/);
          assert.match(await section(page, 'Workers').innerText(), new RegExp(`online[\\s\\S]*\\b${runner.child.pid}\\b`));
          assert.match(await page.locator('tr[data-schedule="maintenance.prune"]').innerText(), /0 0 1 1 \*[\s\S]*in \d+ d/);
          assert.equal(await bodyColour(page), light);
        });

        await shots.step(page, 'retried', async () => {
          const completedBefore = Number(await laneCount(page, 'bulk', 'completed'));
          await section(page, 'Failed').locator(`tr[data-task="${failedId}"]`).getByRole('button', { name: 'Retry' }).click();
          await page.waitForURL(/\/admin\/tasks/);
          assert.match(await page.locator('#notice').innerText(), /will run again/);
          await smtp.waitForMail((mail) => mail.to.includes('refused@example.com'), 30_000);
          await onPage('the retried task to show as completed', async () => {
            const gone = (await page.locator(`tr[data-task="${failedId}"]`).count()) === 0;
            return gone && Number(await laneCount(page, 'bulk', 'completed')) === completedBefore + 1;
          });
          assert.equal(await taskState(failedId), 'completed');
        });

        await shots.step(page, 'cancelled', async () => {
          const release = smtp.hold();
          const held = smtp.nextHeld('held@example.com');
          await sendMail('held@example.com');
          await held;
          await page.reload();
          const active = section(page, 'Active').locator('tr[data-task]').filter({ hasText: 'mail.bulk-message' });
          const id = (await active.first().getAttribute('data-task')) as string;
          await active.first().getByRole('button', { name: 'Cancel' }).click();
          await page.waitForURL(/\/admin\/tasks/);
          assert.match(await page.locator('#notice').innerText(), /is cancelled/);
          assert.equal(await section(page, 'Cancelled').locator(`tr[data-task="${id}"]`).count(), 1);
          // The contract: aborted where it runs within 2 s. Then the held answer may come; it must deliver nothing.
          await new Promise((resolve) => setTimeout(resolve, 2500));
          release();
          await new Promise((resolve) => setTimeout(resolve, 500));
          assert.equal(smtp.mailsTo('held@example.com').length, 0, 'the cancelled send delivered nothing');
          assert.equal(await taskState(id), 'cancelled');
        });

        await shots.step(page, 'paused', async () => {
          await page.locator('[data-lane="bulk"]').getByRole('button', { name: 'Pause' }).click();
          await page.waitForURL(/\/admin\/tasks/);
          assert.match(await page.locator('#notice').innerText(), /Lane bulk is paused/);
          await page.locator('[data-lane="bulk"] .badge.paused').waitFor();
          await sendMail('later@example.com');
          const signup = newSignup();
          assert.equal((await call(api.url, 'POST', '/api/v1/auth/signup', signup)).status, 201);
          await smtp.waitForMail((mail) => mail.to.includes(signup.email), 30_000);
          await onPage('the held bulk task to show as pending', async () => (await laneCount(page, 'bulk', 'pending')) === '1');
          assert.equal(smtp.mailsTo('later@example.com').length, 0, 'nothing of the paused lane ran');
        });

        await shots.step(page, 'resumed', async () => {
          await page.locator('[data-lane="bulk"]').getByRole('button', { name: 'Resume' }).click();
          await page.waitForURL(/\/admin\/tasks/);
          assert.match(await page.locator('#notice').innerText(), /Lane bulk runs again/);
          await smtp.waitForMail((mail) => mail.to.includes('later@example.com'), 30_000);
          assert.equal(await page.locator('[data-lane="bulk"] .badge.paused').count(), 0);
        });

        await shots.step(page, 'dark', async () => {
          await page.emulateMedia({ colorScheme: 'dark' });
          await onPage('the three mailings in the ledger', async () => {
            await page.reload();
            const mailings = section(page, 'Mailings').locator('tr[data-mailing]');
            const rows = await mailings.allInnerTexts();
            // The retried one was sent, the cancelled one never was, the one held by the pause was sent after it.
            return rows.length === 3 && rows.filter((row) => /1 sent/.test(row)).length === 2;
          });
          assert.equal(await bodyColour(page), dark);
        });

        if (mode === 'bullmq') {
          await shots.step(page, 'bull-board', async () => {
            const answer = await page.goto('/admin/queues');
            assert.equal(answer?.status(), 200);
            assert.doesNotMatch((await answer?.text()) ?? '', /fonts\.googleapis|fonts\.gstatic/);
            // The sidebar's link: once Bull Board has drawn its overview, the lane is linked from there too.
            await page.locator('#bull-board-sidebar').getByRole('link', { name: 'bulk' }).click();
            await page.getByText('mail.bulk-message').first().waitFor();
          });
        }

        assert.deepEqual([...hosts], [new URL(api.url).host], 'every request went to Bookly itself');
        assert.deepEqual(consoleErrors, [], 'no page refused anything or failed');
      });
    });
  }

  it('refuses an action that a page on another site makes the browser send', { timeout: 120_000 }, async () => {
    const { api, admin, page } = await rig('in-process');
    const basic = `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}`;
    const post = (headers: Record<string, string>) =>
      fetch(`${api.url}/admin/tasks/lanes/bulk/pause`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: basic, ...headers },
      });
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://elsewhere.example' },
    ];
    for (const headers of crossSite) {
      const answer = await post(headers);
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(((await answer.json()) as { error_code: string }).error_code, 'insufficient_permissions');
    }
    const queues = await call(api.url, 'GET', '/api/v1/queues', undefined, admin.token);
    assert.equal(queues.json.find((queue: { lane: string }) => queue.lane === 'bulk').paused, false, 'nothing was paused');
    // A client that is not a browser says nothing of where it comes from, and is let through.
    assert.equal((await post({})).status, 303);

    // A page on another origin, in the same browser with the admin's credentials, posts the console's form.
    const elsewhere = await page.context().newPage();
    await elsewhere.route('http://elsewhere.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${api.url}/admin/tasks/lanes/default/pause"><button>win a prize</button></form>`,
      }),
    );
    await elsewhere.goto('http://elsewhere.test/');
    const [answer] = await Promise.all([elsewhere.waitForResponse(/lanes\/default\/pause/), elsewhere.getByRole('button').click()]);
    assert.equal(answer.status(), 403);
    const after = await call(api.url, 'GET', '/api/v1/queues', undefined, admin.token);
    assert.equal(after.json.find((queue: { lane: string }) => queue.lane === 'default').paused, false);
  });
});
