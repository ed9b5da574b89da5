import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eq } from 'drizzle-orm';
import { tasks, users } from '../../src/db/schema/index.js';
import { newSignup } from '../support/accounts.js';
import { queriesRunBy } from '../support/catalogue.js';
import { describeEachDatabase, type SuiteContext } from '../support/suite.js';
import type { TestApp } from '../support/test-app.js';

interface Observed {
  status: number;
  body: unknown;
  statements: string[];
  tasks: { name: string; payload: unknown }[];
}

// Without the task runner: what is counted is the request's own work, and the tasks it leaves.
describeEachDatabase(
  'email enumeration through resend-verification and password-reset-request',
  (ctx) => {
    for (const [endpoint, status] of [
      ['/api/v1/auth/resend-verification', 202],
      ['/api/v1/auth/password-reset-request', 200],
    ] as const) {
      it(`${endpoint}: the same answer, statements and tasks for an unverified account, a verified one and an unknown email`, async () => {
        const emails = await threeKindsOfEmail(ctx);
        const seen: Observed[] = [];
        for (const email of emails) seen.push(await observe(ctx, endpoint, email));

        const [first] = seen as [Observed];
        assert.equal(first.status, status);
        for (const [i, each] of seen.entries()) {
          assert.equal(each.status, first.status);
          assert.deepEqual(each.body, first.body);
          assert.deepEqual(each.statements, first.statements, `the statements for ${emails[i]}`);
          assert.deepEqual(
            each.tasks.map((task) => task.name),
            first.tasks.map((task) => task.name),
            `the tasks for ${emails[i]}`,
          );
        }
        // One task that decides in the background; the only difference is the email it carries.
        assert.equal(first.tasks.length, 1);
        assert.deepEqual(
          seen.map((each) => each.tasks[0]?.payload),
          emails.map((email) => ({ email })),
        );
      });
    }
  },
  { runner: false },
);

/** An unverified account's email, a verified account's, and one that has no account. */
async function threeKindsOfEmail(ctx: SuiteContext): Promise<string[]> {
  const unverified = newSignup();
  const verified = newSignup();
  for (const body of [unverified, verified]) {
    const reply = await ctx.t.request({ method: 'POST', url: '/api/v1/auth/signup', payload: body });
    assert.equal(reply.status, 201, reply.text);
  }
  await ctx.t.deps.db.update(users).set({ isVerified: true }).where(eq(users.email, verified.email));
  await ctx.t.deps.db.delete(tasks);
  return [unverified.email, verified.email, newSignup().email];
}

async function observe(ctx: SuiteContext, url: string, email: string): Promise<Observed> {
  let reply: Awaited<ReturnType<TestApp['request']>> | undefined;
  let statements: string[] = [];
  const queries = await queriesRunBy(ctx.t, async () => {
    statements = await statementsRunBy(ctx.t, async () => {
      reply = await ctx.t.request({ method: 'POST', url, payload: { email } });
    });
  });
  assert.equal(statements.length, queries, 'every statement was seen');
  const left = await ctx.t.deps.db.select({ name: tasks.name, payload: tasks.payload }).from(tasks);
  await ctx.t.deps.db.delete(tasks);
  const { status, json } = reply as NonNullable<typeof reply>;
  return { status, body: json, statements, tasks: left };
}

/**
 * The SQL text of each statement run while `work` did, read from the logger
 * drizzle hands every query of this database (the one that counts them for
 * `queriesRunBy`). Parameters are left out: they hold the email.
 */
async function statementsRunBy(t: TestApp, work: () => Promise<unknown>): Promise<string[]> {
  // biome-ignore lint/suspicious/noExplicitAny: drizzle keeps its session internal; the test reads its logger only.
  const logger = (t.deps.db as any)._.session.logger as { logQuery(query: string, params: unknown[]): void };
  const original = logger.logQuery;
  const seen: string[] = [];
  logger.logQuery = function (query, params) {
    seen.push(query);
    original.call(this, query, params);
  };
  try {
    await work();
  } finally {
    logger.logQuery = original;
  }
  return seen;
}
