import { setTimeout as sleep } from 'node:timers/promises';
import { newSignup } from '../../test/support/accounts.js';
import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import { benchAccount } from '../lib/accounts.js';
import { postJson } from '../lib/load.js';
import { emptyResult, type Scenario } from '../lib/scenario.js';
import { type Mode, startStack } from '../lib/stack.js';
import { percentile, round, summarize } from '../lib/stats.js';
import { waitFor } from '../lib/wait.js';
import { lineChart } from '../report/charts/line-chart.js';

const sizes = { smoke: { signups: 5, bulk: 20 }, quick: { signups: 30, bulk: 2000 }, full: { signups: 100, bulk: 10_000 } };
/** One signup every so often: a steady trickle of users, not a load test. */
const spacingMs = 100;

/**
 * From the signup request to the SMTP server holding the verification mail,
 * on an idle system and while a bulk send drains through the same mailer.
 */
export const signupToInbox: Scenario = {
  name: 'signup-to-inbox',
  title: 'From signup to inbox, idle and during a bulk send',
  async run({ size, progress, smtp }) {
    const { signups, bulk } = sizes[size];
    const result = emptyResult();
    const curves: { name: string; points: { x: number; y: number }[] }[] = [];
    result.table.push('| mode | while | p50 ms | p99 ms | max ms | bulk mails delivered meanwhile |', '|---|---|---|---|---|---|');
    const figures: Record<string, unknown> = {};
    for (const mode of ['in-process', 'bullmq'] as Mode[]) {
      const stack = await startStack({ mode, database: 'postgres', smtp });
      try {
        const admin = await benchAccount(stack, smtp, true);
        for (const during of ['idle', 'bulk'] as const) {
          const bulkBefore = smtp.accepted;
          if (during === 'bulk') await startBulkSend(stack.url, admin.token, bulk, mode);
          const times = await trickle(stack.url, smtp, signups, (done) =>
            progress.update(`${mode}, ${during}: ${done}/${signups} signups`),
          );
          const summary = summarize(times);
          figures[`${mode}/${during}`] = { ...summary, bulkQueued: during === 'bulk' ? bulk : 0 };
          const delivered = during === 'bulk' ? `${smtp.accepted - bulkBefore - signups} of ${bulk}` : '—';
          result.table.push(
            `| ${mode} | ${during} | ${round(summary.p50, 1)} | ${round(summary.p99, 1)} | ${round(summary.max, 1)} | ${delivered} |`,
          );
          result.checks.push({
            what: `${mode}, ${during === 'idle' ? 'idle' : `during a ${bulk}-mail bulk send`}: p99 signup to inbox`,
            value: summary.p99,
            unit: 'ms',
            limit: during === 'idle' ? 250 : 1000,
            met: summary.p99 < (during === 'idle' ? 250 : 1000),
          });
          const sorted = [...times].sort((a, b) => a - b);
          curves.push({ name: `${mode}, ${during}`, points: [50, 75, 90, 95, 99, 100].map((p) => ({ x: p, y: percentile(sorted, p) })) });
        }
      } finally {
        await stack.stop();
      }
    }
    result.figures = { signups, spacingMs, bulk, signupToInboxMs: figures };
    result.charts.push({
      name: 'signup-to-inbox',
      caption: `Signup to inbox by percentile (${signups} signups, one every ${spacingMs} ms)`,
      svg: await lineChart(curves, {
        title: 'Signup request to mail accepted by SMTP',
        xLabel: 'percentile',
        yUnit: 'ms',
        yFromZero: true,
      }),
    });
    return result;
  },
};

/** Queues `total` bulk mails through `send_mail` (1,000 addresses a call, the contract's limit) and waits until they flow. */
async function startBulkSend(url: string, token: string, total: number, mode: Mode): Promise<void> {
  const tag = `${mode}-${Date.now()}`;
  for (let start = 0; start < total; start += 1000) {
    const addresses = Array.from({ length: Math.min(1000, total - start) }, (_, i) => `bulk-${tag}-${start + i}@example.com`);
    const status = await postJson(
      `${url}/api/v1/auth/send_mail`,
      { addresses, subject: 'News', html: '<p>Hello</p>' },
      {
        authorization: `Bearer ${token}`,
      },
    );
    if (status !== 202) throw new Error(`send_mail answered ${status}`);
  }
}

/** Signs up `count` users one after another, `spacingMs` apart, and returns each one's time to inbox. */
async function trickle(url: string, smtp: SmtpPeer, count: number, onProgress: (done: number) => void) {
  const started = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const body = newSignup();
    started.set(body.email, performance.now());
    const status = await postJson(`${url}/api/v1/auth/signup`, body);
    if (status !== 201) throw new Error(`signup answered ${status}`);
    onProgress(i + 1);
    await sleep(spacingMs);
  }
  await waitFor('the verification mail', () => [...started.keys()].every((email) => smtp.acceptedAt.has(email)), 60_000, 20);
  return [...started].map(([email, at]) => (smtp.acceptedAt.get(email) as number) - at);
}
