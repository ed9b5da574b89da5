import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, Screenshots } from '../support/browser.js';
import { waitFor, withOutputOnFailure } from '../support/fault-rig.js';
import { freePort } from '../support/redis.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The README's "Run it" walkthrough, done as a newcomer does it: in a real Chromium, against
 * `bookly serve` as `npm start` runs it (embedded PGlite, tasks in the process, no SMTP server, so
 * every mail in the dev mailbox), with the docs page's "Try it out" as the only client.
 */
describe("the README's walkthrough in a browser", () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;

  before(async () => {
    // A port chosen before the start: the mails' links carry it, as they carry 8000 in the README.
    const port = await freePort();
    // Nothing set but the port and the data folder (./data would be the repository's): the defaults
    // `npm start` runs on, PGlite in that folder, tasks in the process and mail in the dev mailbox.
    server = await startServerProcess({ PORT: String(port), DATA_DIR: tempDir('walkthrough') });
    base = `http://localhost:${port}`;
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: base });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop('SIGKILL');
  });

  /**
   * Console errors a walkthrough is expected to cause: Chromium reports the failed logins and the
   * refused reset form it is meant to get; Swagger UI warns about its own operation ids (`post_api_…`)
   * whenever a deep link opens one, though it opens it (asserted at the login).
   */
  const expectedConsoleError =
    /^Failed to load resource: the server responded with a status of (401|422) |^Deprecated: escaping deep link whitespace with `_`/;

  /** Swagger UI's block of one operation (its id: tag, method, and the path with every non-word character an underscore). */
  const operation = (page: Page, tag: string, method: string, path: string) =>
    page.locator(`#operations-${tag}-${method}${path.replace(/\W/g, '_')}`);

  /** Opens an operation, presses "Try it out", types the body over whatever example was there, and presses "Execute". */
  async function tryItOut(block: Locator, body?: Record<string, unknown>): Promise<{ status: number; json: unknown }> {
    await block.scrollIntoViewIfNeeded();
    if ((await block.locator('.opblock-summary-control').getAttribute('aria-expanded')) !== 'true') {
      await block.locator('.opblock-summary-control').click();
    }
    // Either "Try it out" or, when it was pressed before, "Cancel": rendered once the block is open.
    const tryOutButton = block.locator('.try-out__btn').first();
    await tryOutButton.waitFor();
    if ((await tryOutButton.innerText()).trim() === 'Try it out') await tryOutButton.click();
    const live = block.locator('.live-responses-table .response');
    // The answer of an earlier try would otherwise stand in for this one's.
    const clear = block.getByRole('button', { name: 'Clear' });
    if (await clear.isVisible()) {
      await clear.click();
      await live.first().waitFor({ state: 'detached' });
    }
    if (body) await block.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await block.getByRole('button', { name: 'Execute' }).click();
    await live.first().waitFor();
    const status = Number.parseInt(await live.first().locator('.response-col_status').innerText(), 10);
    const text = await block.locator('.live-responses-table .response-col_description pre.microlight').first().innerText();
    return { status, json: JSON.parse(text) };
  }

  /** Opens the dev mailbox, reloading as a person would until the mail is there, and opens it. */
  async function openMail(page: Page, to: string, subject: string): Promise<void> {
    assert.equal((await page.goto('/dev/mailbox'))?.status(), 200);
    assert.match(await page.locator('h1').innerText(), /^Dev mailbox$/);
    const row = page.locator('tr', { hasText: to }).filter({ hasText: subject });
    await waitFor(`"${subject}" to ${to} in the mailbox`, async () => {
      if ((await row.count()) > 0) return true;
      await page.reload();
      return false;
    });
    await row.first().getByRole('link', { name: subject }).click();
    await page.waitForURL(/\/dev\/mailbox\/[0-9a-f-]{36}$/);
    assert.match(await page.locator('h1').innerText(), new RegExp(`^${subject}$`));
    assert.match(await page.locator('body').innerText(), new RegExp(`To: ${to.replace(/[.+]/g, '\\$&')}`));
  }

  /** Clicks the button-like link of the mail's HTML part, shown framed on the mailbox page. */
  async function clickMailLink(page: Page, name: string): Promise<void> {
    await Promise.all([
      page.waitForURL((url) => !url.pathname.startsWith('/dev/')),
      page.frameLocator('iframe').getByRole('link', { name }).click(),
    ]);
  }

  it('signs up, verifies, logs in, authorizes, adds a book and resets the password', { timeout: 300_000 }, async () => {
    const page = await context.newPage();
    const shots = new Screenshots('readme-walkthrough');
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedConsoleError.test(message.text())) consoleErrors.push(message.text());
    });
    const hosts = new Set<string>();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    const suffix = Date.now().toString(36);
    const person = {
      first_name: 'Ada',
      last_name: 'Lovelace',
      username: `ada${suffix}`,
      email: `ada.${suffix}@example.com`,
      password: 'first password 1',
    };
    const newPassword = 'second password 2';
    let accessToken = '';
    let userUid = '';

    await withOutputOnFailure([server], async () => {
      await shots.step(page, '01-docs', async () => {
        assert.equal((await page.goto('/api/v1/docs'))?.status(), 200);
        await operation(page, 'auth', 'post', '/api/v1/auth/signup').waitFor();
        assert.match(await page.locator('.info .title').innerText(), /Bookly/);
        assert.match(await page.locator('.info').innerText(), /press Authorize and paste the access_token/);
      });

      const signup = operation(page, 'auth', 'post', '/api/v1/auth/signup');
      await shots.step(
        page,
        '02-signup',
        async () => {
          const { status, json } = await tryItOut(signup, person);
          assert.equal(status, 201, JSON.stringify(json));
          const answer = json as { message: string; user: { email: string; is_verified: boolean; uid: string } };
          assert.match(answer.message, /Check your email/);
          assert.equal(answer.user.email, person.email);
          assert.equal(answer.user.is_verified, false);
          userUid = answer.user.uid;
        },
        () => signup,
      );

      await shots.step(page, '03-verification-mail', async () => {
        await openMail(page, person.email, 'Verify your email');
        assert.match(await page.locator('pre').innerText(), new RegExp(`Hello ${person.first_name}`));
      });

      await shots.step(page, '04-verified', async () => {
        await clickMailLink(page, 'Verify my email');
        assert.match(page.url(), /\/api\/v1\/auth\/verify\//);
        assert.match(await page.locator('h1').innerText(), /^Email verified$/);
        assert.match(await page.locator('body').innerText(), /^Your email is verified\. You can log in now\.$/m);
      });

      const login = operation(page, 'auth', 'post', '/api/v1/auth/login');
      await shots.step(
        page,
        '05-login',
        async () => {
          await page.getByRole('link', { name: 'Log in on the API docs page' }).click();
          await login.waitFor();
          // The link opens the login operation itself, not the top of the page.
          assert.equal(await login.locator('.opblock-summary-control').getAttribute('aria-expanded'), 'true');
          const { status, json } = await tryItOut(login, { email: person.email, password: person.password });
          assert.equal(status, 200, JSON.stringify(json));
          const answer = json as { access_token: string; user: { uid: string } };
          assert.equal(answer.user.uid, userUid);
          accessToken = answer.access_token;
          assert.match(accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
        },
        () => login,
      );

      const dialog = page.locator('.modal-ux');
      await shots.step(
        page,
        '06-authorize',
        async () => {
          await page.locator('.auth-wrapper').getByRole('button', { name: 'Authorize' }).click();
          await dialog.waitFor();
          assert.match(await dialog.innerText(), /bearerAuth/);
          await dialog.locator('input').fill(accessToken);
          // By the words on the buttons: Swagger UI's accessible names for them differ ("Apply credentials").
          await dialog.locator('button', { hasText: /^Authorize$/ }).click();
          await dialog.locator('button', { hasText: /^Logout$/ }).waitFor();
          assert.match(await dialog.innerText(), /Authorized/);
        },
        () => dialog,
      );

      const me = operation(page, 'auth', 'get', '/api/v1/auth/me');
      await shots.step(
        page,
        '07-me',
        async () => {
          await dialog.locator('button', { hasText: /^Close$/ }).click();
          await dialog.waitFor({ state: 'detached' });
          // The padlocks show the token is in use.
          await page.locator('.auth-wrapper .authorize.locked').waitFor();
          const { status, json } = await tryItOut(me);
          assert.equal(status, 200, JSON.stringify(json));
          const user = json as { email: string; username: string; is_verified: boolean; books: unknown[] };
          assert.equal(user.email, person.email);
          assert.equal(user.username, person.username);
          assert.equal(user.is_verified, true);
          assert.deepEqual(user.books, []);
        },
        () => me,
      );

      const create = operation(page, 'books', 'post', '/api/v1/books');
      await shots.step(
        page,
        '08-book',
        async () => {
          const book = {
            title: 'Sketch of the Analytical Engine',
            author: 'L. F. Menabrea',
            publisher: 'Taylor',
            published_date: '1843-09-01',
            page_count: 66,
            language: 'en',
          };
          const { status, json } = await tryItOut(create, book);
          assert.equal(status, 201, JSON.stringify(json));
          const made = json as { title: string; user_uid: string };
          assert.equal(made.title, book.title);
          assert.equal(made.user_uid, userUid);
        },
        () => create,
      );

      const resetRequest = operation(page, 'auth', 'post', '/api/v1/auth/password-reset-request');
      await shots.step(
        page,
        '09-reset-request',
        async () => {
          const { status, json } = await tryItOut(resetRequest, { email: person.email });
          assert.equal(status, 200, JSON.stringify(json));
          assert.match((json as { message: string }).message, /reset/);
        },
        () => resetRequest,
      );

      await shots.step(page, '10-reset-mail', async () => {
        await openMail(page, person.email, 'Reset your password');
      });

      await shots.step(page, '11-reset-form', async () => {
        await clickMailLink(page, 'Choose a new password');
        assert.match(page.url(), /\/api\/v1\/auth\/password-reset-confirm\//);
        assert.match(await page.locator('h1').innerText(), /^Choose a new password$/);
      });

      await shots.step(page, '12-reset-mismatch', async () => {
        await page.getByLabel(/New password/).fill(newPassword);
        await page.getByLabel('The same again').fill(`${newPassword}x`);
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.waitForLoadState();
        assert.match(await page.locator('h1').innerText(), /^Choose a new password$/);
        assert.match(
          await page.locator('.error').innerText(),
          /^The two passwords are not the same: type the same new password in both fields\.$/,
        );
      });

      await shots.step(page, '13-reset-done', async () => {
        await page.getByLabel(/New password/).fill(newPassword);
        await page.getByLabel('The same again').fill(newPassword);
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.locator('h1', { hasText: 'Password changed' }).waitFor();
        assert.match(await page.locator('body').innerText(), /^Your password has been reset\. Log in with the new one\.$/m);
      });

      await shots.step(
        page,
        '14-login-new-password',
        async () => {
          await page.getByRole('link', { name: 'Log in on the API docs page' }).click();
          await login.waitFor();
          // A page loaded afresh has forgotten the token, as the README says.
          await page.locator('.auth-wrapper .authorize.unlocked').waitFor();
          const old = await tryItOut(login, { email: person.email, password: person.password });
          assert.equal(old.status, 401, 'the old password no longer works');
          const { status, json } = await tryItOut(login, { email: person.email, password: newPassword });
          assert.equal(status, 200, JSON.stringify(json));
          assert.equal((json as { user: { uid: string } }).user.uid, userUid);
        },
        () => login,
      );

      assert.deepEqual([...hosts], [new URL(base).host], 'every request went to Bookly itself');
      assert.deepEqual(consoleErrors, [], 'no page refused anything or failed');
    });
  });
});
