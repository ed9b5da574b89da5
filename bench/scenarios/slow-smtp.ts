import { newSignup } from '../../test/support/accounts.js';
import { closedLoop, postJson } from '../lib/load.js';
import { emptyResult, type Scenario } from '../lib/scenario.js';
import { type Mode, startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { waitFor } from '../lib/wait.js';
import { lineChart } from '../report/charts/line-chart.js';

const sizes = {
  smoke: { signups: 6, delayMs: 1000 },
  quick: { signups: 100, delayMs: 4000 },
  full: { signups: 100, delayMs: 4000 },
};
const concurrency = 10;
const modes: Mode[] = ['in-process', 'bullmq'];
/** The bound on the wait after the last signup was answered, at full size. */
const limitMs = 25_000;

/**
 * A burst of signups against a provider that takes seconds a message: how
 * long after the last signup was answered its verification mail arrives. The
 * mail's pace is then the connections in flight, not the CPU: the Python
 * Bookly's `BackgroundTasks` opens one per mail, so its last mail arrives one
 * delay after the last response.
 */
export const slowSmtp: Scenario = {
  name: 'slow-smtp',
  title: 'A burst of signups against a slow SMTP server',
  async run({ size, progress, smtp }) {
    const { signups, delayMs } = sizes[size];
    const result = emptyResult();
    const figures: Record<string, unknown> = {};
    const curves: { name: string; points: { x: number; y: number }[] }[] = [];
    result.table.push('| mode | signups answered in | last mail after the last response | mails in flight (mean) |', '|---|---|---|---|');
    smtp.delayMs = delayMs;
    try {
      for (const mode of modes) {
        const stack = await startStack({ mode, database: 'postgres', smtp });
        try {
          const emails: string[] = [];
          const started = performance.now();
          const { statuses, elapsedMs } = await closedLoop({
            total: signups,
            concurrency,
            send: () => {
              const body = newSignup();
              emails.push(body.email.toLowerCase());
              return postJson(`${stack.url}/api/v1/auth/signup`, body);
            },
            onProgress: (done) => progress.update(`${mode}: ${done}/${signups} signups`),
          });
          if (statuses.get(201) !== signups) throw new Error(`signups answered ${JSON.stringify([...statuses])}`);
          await waitFor(
            'the verification mail',
            () => {
              const done = emails.filter((email) => smtp.acceptedAt.has(email)).length;
              progress.update(`${mode}: ${done}/${signups} verification mails in the inbox`);
              return done === signups;
            },
            300_000,
            50,
          );
          const arrivals = emails.map((email) => (smtp.acceptedAt.get(email) as number) - started).sort((a, b) => a - b);
          const lastMs = arrivals.at(-1) as number;
          const afterLastResponseMs = lastMs - elapsedMs;
          // Each message holds its connection for the delay: mails delivered × delay / the time the send took.
          const firstSentMs = (arrivals[0] as number) - delayMs;
          const inFlight = (signups * delayMs) / (lastMs - firstSentMs);
          figures[mode] = { signupsAnsweredMs: elapsedMs, lastMailMs: lastMs, afterLastResponseMs, meanInFlight: inFlight };
          result.table.push(
            `| ${mode} | ${round(elapsedMs / 1000, 1)} s | ${round(afterLastResponseMs / 1000, 1)} s | ${round(inFlight, 1)} |`,
          );
          result.checks.push({
            what: `${mode}: the last of ${signups} verification mails (SMTP ${delayMs / 1000} s a message) after the last signup's response`,
            value: afterLastResponseMs,
            unit: 'ms',
            limit: limitMs,
            met: afterLastResponseMs <= limitMs,
          });
          curves.push({
            name: mode,
            points: [{ x: 0, y: 0 }, ...arrivals.map((at, i) => ({ x: round(at / 1000, 2), y: i + 1 }))],
          });
        } finally {
          await stack.stop();
        }
      }
    } finally {
      smtp.delayMs = 0;
    }
    result.figures = { signups, concurrency, smtpDelayMs: delayMs, modes: figures };
    result.charts.push({
      name: 'slow-smtp',
      caption: `Verification mails in the inbox over time (${signups} signups, ${concurrency} at a time, SMTP ${delayMs / 1000} s a message)`,
      svg: await lineChart(curves, {
        title: 'Verification mails delivered',
        xLabel: 's since the first signup',
        yUnit: 'mails',
        yFromZero: true,
      }),
    });
    result.notes.push(
      `A message holds its SMTP connection for the server's ${delayMs / 1000} s, so mails arrive at (connections in flight) / ${delayMs / 1000} s: the tasks running at once in the default lane (WORKER_CONCURRENCY) and that lane's SMTP pool (MAIL_MAX_CONNECTIONS) bound it. The Python Bookly's BackgroundTasks opens a connection per mail, so its last mail arrives ${delayMs / 1000} s after its last response.`,
    );
    return result;
  },
};
