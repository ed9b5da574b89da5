import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type BooklyClient, createBooklyClient, type ErrorBody, type ErrorCode } from '../../client/src/index.js';
import { newSignup } from '../support/accounts.js';
import { describeEachDatabase } from '../support/suite.js';

/** The link of the newest mail to `email` whose subject matches, read from the dev mailbox through the client (mail goes out in the background). */
async function linkInMail(client: BooklyClient, email: string, subject: RegExp): Promise<URL> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { data, error } = await client.GET('/dev/mailbox.json');
    assert.ok(data, `the dev mailbox answers: ${JSON.stringify(error)}`);
    const mail = data.find((message) => message.to === email && subject.test(message.subject));
    if (mail) {
      const [link] = mail.links;
      assert.ok(link, `the mail "${mail.subject}" carries a link`);
      return new URL(link);
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${email} matching ${subject} in the dev mailbox`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The token at the end of a mail's link: `…/verify/{token}`, `…/password-reset-confirm/{token}`. */
function tokenOf(link: URL, path: string): string {
  const match = new RegExp(`^${path}/([^/]+)$`).exec(link.pathname);
  assert.ok(match?.[1], `${link.pathname} is a link to ${path}/{token}`);
  return match[1];
}

/** What a client does with an error: its status and code, and a message meant for a person. */
function expectError(
  result: { error?: ErrorBody; response: Response },
  status: number,
  code: ErrorCode,
): asserts result is { error: ErrorBody; response: Response } {
  assert.ok(result.error, `expected ${status} ${code}, got ${result.response.status}`);
  assert.equal(result.response.status, status);
  assert.equal(result.error.error_code, code);
  assert.ok(result.error.message.length > 0, 'the error says what happened');
}

describeEachDatabase(
  'the typed client, against a listening server',
  (ctx) => {
    it('walks a user from signup to logout, every call through the client', async () => {
      await ctx.t.app.listen({ host: '127.0.0.1', port: 0 });
      const address = ctx.t.app.server.address();
      assert.ok(address && typeof address === 'object');
      let accessToken: string | undefined;
      const client = createBooklyClient({ baseUrl: `http://127.0.0.1:${address.port}`, accessToken: () => accessToken });
      const signup = newSignup();

      const created = await client.POST('/api/v1/auth/signup', { body: signup });
      assert.equal(created.response.status, 201);
      assert.equal(created.data?.user.email, signup.email);
      assert.equal(created.data?.user.is_verified, false);

      const wrongPassword = await client.POST('/api/v1/auth/login', { body: { email: signup.email, password: 'not the password' } });
      expectError(wrongPassword, 401, 'invalid_email_or_password');

      const verifyLink = await linkInMail(client, signup.email, /verify/i);
      const token = tokenOf(verifyLink, '/api/v1/auth/verify');
      const verified = await client.GET('/api/v1/auth/verify/{token}', { params: { path: { token } } });
      assert.equal(verified.response.status, 200);
      assert.match(verified.data?.message ?? '', /verified/);

      const login = await client.POST('/api/v1/auth/login', { body: { email: signup.email, password: signup.password } });
      assert.ok(login.data, JSON.stringify(login.error));
      assert.equal(login.data.user.email, signup.email);
      accessToken = login.data.access_token;

      const me = await client.GET('/api/v1/auth/me');
      assert.ok(me.data, JSON.stringify(me.error));
      assert.equal(me.data.username, signup.username);
      assert.equal(me.data.is_verified, true);
      assert.deepEqual([me.data.books, me.data.reviews], [[], []]);

      const book = await client.POST('/api/v1/books', {
        body: {
          title: 'Notes on the Analytical Engine',
          author: 'Ada Lovelace',
          publisher: 'Taylor',
          published_date: '1843-09-01',
          page_count: 66,
          language: 'English',
        },
      });
      assert.equal(book.response.status, 201);
      assert.ok(book.data);
      assert.equal(book.data.user_uid, me.data.uid);
      const book_uid = book.data.uid;

      const list = await client.GET('/api/v1/books', { params: { query: { limit: 10, offset: 0 } } });
      assert.deepEqual(
        list.data?.map((listed) => listed.uid),
        [book_uid],
      );
      assert.equal(list.response.headers.get('x-total-count'), '1');

      const review = await client.POST('/api/v1/reviews/book/{book_uid}', {
        params: { path: { book_uid } },
        body: { rating: 5, review_text: 'The first program, and a clear account of what a machine can and cannot do.' },
      });
      assert.equal(review.response.status, 201);
      assert.equal(review.data?.book_uid, book_uid);

      const fetched = await client.GET('/api/v1/books/{book_uid}', { params: { path: { book_uid } } });
      assert.ok(fetched.data);
      assert.equal(fetched.data.title, 'Notes on the Analytical Engine');
      assert.deepEqual(
        fetched.data.reviews.map((one) => [one.uid, one.rating]),
        [[review.data?.uid, 5]],
      );

      const resetRequest = await client.POST('/api/v1/auth/password-reset-request', { body: { email: signup.email } });
      assert.equal(resetRequest.response.status, 200);
      const resetLink = await linkInMail(client, signup.email, /reset/i);
      const newPassword = 'a brand new passphrase';
      const reset = await client.POST('/api/v1/auth/password-reset-confirm/{token}', {
        params: { path: { token: tokenOf(resetLink, '/api/v1/auth/password-reset-confirm') } },
        body: { new_password: newPassword, confirm_new_password: newPassword },
      });
      assert.equal(reset.response.status, 200, JSON.stringify(reset.error));

      expectError(await client.GET('/api/v1/auth/me'), 401, 'token_revoked');
      const oldRefresh = await client.GET('/api/v1/auth/refresh_token', {
        headers: { authorization: `Bearer ${login.data.refresh_token}` },
      });
      expectError(oldRefresh, 401, 'token_revoked');
      expectError(
        await client.POST('/api/v1/auth/login', { body: { email: signup.email, password: signup.password } }),
        401,
        'invalid_email_or_password',
      );

      const again = await client.POST('/api/v1/auth/login', { body: { email: signup.email, password: newPassword } });
      assert.ok(again.data, JSON.stringify(again.error));
      const refreshed = await client.GET('/api/v1/auth/refresh_token', {
        headers: { authorization: `Bearer ${again.data.refresh_token}` },
      });
      assert.ok(refreshed.data, JSON.stringify(refreshed.error));
      accessToken = refreshed.data.access_token;
      const meAgain = await client.GET('/api/v1/auth/me');
      assert.deepEqual(
        meAgain.data?.books.map((mine) => mine.uid),
        [book_uid],
      );

      const logout = await client.POST('/api/v1/auth/logout', { body: {} });
      assert.equal(logout.response.status, 200, JSON.stringify(logout.error));
      expectError(await client.GET('/api/v1/auth/me'), 401, 'token_revoked');
      expectError(
        await client.GET('/api/v1/auth/refresh_token', { headers: { authorization: `Bearer ${again.data.refresh_token}` } }),
        401,
        'token_revoked',
      );
    });
  },
  { mail: 'dev-mailbox' },
);

/**
 * Never called: `tsc -p .` fails if any line below type-checks, so the client's types are known to
 * refuse what the API refuses. Each line is a mistake a client developer could make.
 */
export function mistakesTheTypesCatch(client: BooklyClient): void {
  // @ts-expect-error no such path
  void client.GET('/api/v1/book');
  // @ts-expect-error a book's path needs its book_uid
  void client.GET('/api/v1/books/{book_uid}');
  // @ts-expect-error signup needs every field of the body
  void client.POST('/api/v1/auth/signup', { body: { email: 'ada@example.com', password: 'correct horse battery' } });
  // @ts-expect-error page_count is a number
  void client.PATCH('/api/v1/books/{book_uid}', { params: { path: { book_uid: 'x' } }, body: { page_count: '66' } });
  void client.POST('/api/v1/auth/login', { body: { email: 'ada@example.com', password: 'x' } }).then(({ data, error }) => {
    // @ts-expect-error the answer is either data or an error: check which first
    void data.access_token;
    // @ts-expect-error an error body has no access_token
    void error?.access_token;
  });
}
