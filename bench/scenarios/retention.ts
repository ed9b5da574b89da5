import { taskStates } from '../../src/db/schema/index.js';
import type { Holdings } from '../lib/retention-figures.js';
import { type RetentionRun, retentionRun } from '../lib/retention-run.js';
import { emptyResult, type Scenario } from '../lib/scenario.js';
import type { Mode } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { groupedBarChart } from '../report/charts/grouped-bar-chart.js';

const sizes = {
  smoke: { mailings: 2, addresses: 100, later: 5 },
  quick: { mailings: 3, addresses: 1000, later: 20 },
  full: { mailings: 10, addresses: 1000, later: 20 },
};
const modes: readonly { mode: Mode; label: string }[] = [
  { mode: 'bullmq', label: 'Redis mode (BullMQ, one worker)' },
  { mode: 'in-process', label: 'in-process mode (the API runs the tasks)' },
];

type Snapshot = 'sent' | 'pruned' | 'vacuumed' | 'later';
interface Line {
  what: string;
  value: (h: Holdings) => number | undefined;
  /** Drawn in the rows chart under this name. */
  chart?: string;
}

const kB = (bytes: number) => bytes / 1024;
const lines = (run: RetentionRun): Line[] => {
  const all = [run.sent, run.pruned, run.vacuumed, run.later];
  const states = taskStates.filter((state) => all.some((h) => (h.tasksByState[state] ?? 0) > 0));
  return [
    { what: 'tasks', value: (h) => h.rows.tasks, chart: 'tasks' },
    ...states.map((state) => ({ what: `… ${state}`, value: (h: Holdings) => h.tasksByState[state] })),
    { what: 'mailings', value: (h) => h.rows.mailings },
    { what: '… addresses still listed', value: (h) => h.mailingAddresses.listed, chart: 'mailing addresses' },
    { what: '… bytes those lists take, as stored (compressed)', value: (h) => h.mailingAddresses.bytes },
    { what: '… recipients (counted, kept)', value: (h) => h.mailingAddresses.recipients },
    { what: 'link_tokens', value: (h) => h.rows.link_tokens, chart: 'link_tokens' },
    { what: 'dev_mail', value: (h) => h.rows.dev_mail, chart: 'dev_mail' },
    { what: 'revoked_sessions', value: (h) => h.rows.revoked_sessions, chart: 'revoked_sessions' },
    { what: 'recipient_sends', value: (h) => h.rows.recipient_sends, chart: 'recipient_sends' },
    { what: 'task_workers', value: (h) => h.rows.task_workers, chart: 'task_workers' },
    { what: 'mail_messages (the ledger, kept 90 days)', value: (h) => h.rows.mail_messages, chart: 'mail_messages' },
    { what: 'unsubscribe_tokens (kept)', value: (h) => h.rows.unsubscribe_tokens, chart: 'unsubscribe_tokens' },
    { what: 'Redis keys under the prefix', value: (h) => h.redisKeys?.all, chart: 'Redis keys' },
    { what: '… of jobs (named by a task id)', value: (h) => h.redisKeys?.jobs },
    ...(Object.keys(run.sent.bytes) as (keyof Holdings['bytes'])[]).map((table) => ({
      what: `${table} size, kB`,
      value: (h: Holdings) => kB(h.bytes[table]),
    })),
  ];
};

/** The lines with a figure in some snapshot (no Redis line in the in-process mode). */
const shownLines = (run: RetentionRun) =>
  lines(run).filter((line) => [run.sent, run.pruned, run.vacuumed, run.later].some((h) => line.value(h) !== undefined));

/**
 * Issue 12's question: what do ten mailings of a thousand addresses leave
 * behind in the database and Redis, and what does `maintenance.prune` take
 * away once it is all past its retention?
 */
export const retention: Scenario = {
  name: 'retention',
  title: 'What bulk mail leaves behind, before and after the prune',
  async run({ size, progress, smtp }) {
    const chosen = sizes[size];
    const result = emptyResult();
    smtp.delayMs = 0;
    const runs: Partial<Record<Mode, RetentionRun>> = {};
    for (const { mode } of modes) runs[mode] = await retentionRun(mode, chosen, smtp, (what) => progress.update(`${mode}: ${what}`));
    result.figures = { ...chosen, runs };
    const mailings = `${chosen.mailings} × send_mail(${chosen.addresses.toLocaleString('en')})`;
    const headers: Record<Snapshot, string> = {
      sent: `after ${mailings}`,
      pruned: 'after the prune',
      vacuumed: 'after VACUUM',
      later: `after one more send_mail(${chosen.later})`,
    };
    for (const { mode, label } of modes) {
      const run = runs[mode] as RetentionRun;
      const shown = (v: number | undefined) => (v === undefined ? '—' : round(v, 0).toLocaleString('en'));
      result.table.push(
        `**${label}**`,
        '',
        `| | ${Object.values(headers).join(' | ')} |`,
        `|---|${Object.keys(headers)
          .map(() => '---:|')
          .join('')}`,
        ...shownLines(run).map(
          ({ what, value }) => `| ${what} | ${(Object.keys(headers) as Snapshot[]).map((s) => shown(value(run[s]))).join(' | ')} |`,
        ),
        '',
        pruneLine(run),
        '',
      );
      const charted = lines(run).filter((line) => line.chart && [run.sent, run.pruned, run.later].some((h) => (line.value(h) ?? 0) > 0));
      result.charts.push({
        name: `retention-rows-${mode}`,
        caption: `Rows (and Redis keys) held, ${label}, after ${mailings}, after the prune, and after one more mailing; log scale, no bar where none is left`,
        svg: await groupedBarChart(
          (['sent', 'pruned', 'later'] as const).map((s) => ({
            name: headers[s],
            values: charted.map((line) => line.value(run[s]) ?? Number.NaN),
          })),
          { title: `What is kept, ${mode}`, unit: 'rows or keys', categories: charted.map((line) => line.chart as string), log: true },
        ),
      });
    }
    result.notes.push(...notes(runs.bullmq as RetentionRun));
    return result;
  },
};

function pruneLine(run: RetentionRun): string {
  const { batches, ...counts } = run.prune.result;
  const what = Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return `The prune ran ${round(run.prune.runMs, 0)} ms (${round(run.prune.totalMs, 0)} ms from being enqueued to its end) in ${batches} statements of at most ${run.retention.batchSize} rows; it reported ${what}.`;
}

function notes(run: RetentionRun): string[] {
  const aged = Object.entries(run.aged)
    .map(([table, rows]) => `${table} ${rows}`)
    .join(', ');
  return [
    `How the rows were made due: by configuration where there is one. The mail went out with production's retention (TASK_RETENTION_DAYS ${run.retention.completedDays}, TASK_FAILED_RETENTION_DAYS ${run.retention.failedDays}); then the API and the worker were restarted (SIGTERM) with both at 0 days, the shortest the configuration takes, so that every finished task is past it and the BullMQ jobs added from then on carry it. What no retention setting decides (a link token's expiry, a revocation's, the recipient limit's hour, dev mail's day) was moved ${run.agedDays} days back by SQL (rows: ${aged}). Then one \`maintenance.prune\` task was enqueued from the bench process, as a second API would (neither the API nor the CLI runs a task by name), and the stack's own runner ran it: the worker, or the in-process API.`,
    "In Redis mode the prune also removes BullMQ's finished jobs past their retention (`queue.clean`, a batch at a time); BullMQ itself drops a queue's old jobs only as later jobs of that queue finish, so a lane that fell quiet would keep them.",
    'Table sizes are `pg_total_relation_size` (table, indexes, TOAST, and the free-space and visibility maps that a first VACUUM adds, a few kB each). A DELETE leaves the space in the files; VACUUM (what autovacuum does in its own time) makes it reusable and gives back only empty pages at the end of a file; only VACUUM FULL would shrink the rest.',
    "The prune's time from being enqueued includes waiting for a runner: a BullMQ worker is handed it at once, while the in-process API finds a task that another process committed at its next poll (TASK_POLL_MS, a second by default).",
    "A mailing keeps its row and its recipient count; the prune empties its address list once every message of it has ended. dev_mail stays empty because the stacks send through SMTP; revoked_sessions holds one logout of the admin's; task_workers are the running processes' own rows. The mail ledger (mail_messages) is kept for MAIL_LEDGER_RETENTION_DAYS (90) and the unsubscribe links for good, so the prune leaves both.",
  ];
}
