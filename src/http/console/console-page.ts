import type { TaskRow } from '../../db/schema/index.js';
import type { MailingProgress } from '../../mail/ledger-reads.js';
import type { QueueView } from '../../services/task-admin.service.js';
import type { ScheduleView } from '../../tasks/scheduler.js';
import type { WorkerView } from '../../tasks/worker-registry.js';
import { type Html, html } from './html.js';
import { throughputChart } from './throughput-chart.js';

export const consolePath = '/admin/tasks';

export interface ConsoleView {
  readonly mode: 'in-process' | 'redis';
  readonly now: Date;
  readonly queues: readonly QueueView[];
  readonly workers: readonly WorkerView[];
  readonly schedules: readonly ScheduleView[];
  readonly active: TaskList;
  readonly failed: TaskList;
  readonly cancelled: TaskList;
  /** The latest bulk sends, with their messages counted by state (the mail ledger). */
  readonly mailings: readonly MailingProgress[];
  /** What the last action did, or why it was refused. */
  readonly notice?: { readonly ok: boolean; readonly text: string } | undefined;
}

export interface TaskList {
  readonly rows: readonly TaskRow[];
  readonly total: number;
}

/**
 * The task console: one server-rendered page of everything an operator acts
 * on. Every action is a plain form post, so it works without the page's
 * script; the script only keeps `#live` fresh and asks before a cancel.
 */
export function consolePage(view: ConsoleView): string {
  const { now } = view;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>Tasks · Bookly</title>
<link rel="stylesheet" href="${consolePath}/console.css">
<script src="${consolePath}/console.js" defer></script>
</head><body>
<header class="top">
<h1>Bookly tasks</h1>
<p>${
    view.mode === 'redis'
      ? html`Redis mode: worker processes run the tasks through BullMQ. <a href="/admin/queues">BullMQ's own view</a>`
      : 'In-process mode: the API processes run the tasks.'
  } <span id="stamp" data-now="${now.toISOString()}">As of ${now.toISOString().slice(11, 19)} UTC</span></p>
</header>
${view.notice && html`<p id="notice" class="notice ${view.notice.ok ? 'ok' : 'error'}" role="status">${view.notice.text}</p>`}
<main id="live">
<section><h2>Lanes</h2><div class="lanes">${view.queues.map((queue) => laneCard(queue))}</div></section>
<section><h2>Workers</h2>${workersTable(view.workers, now)}</section>
<section><h2>Schedules</h2>${schedulesTable(view.schedules, now)}</section>
<section><h2>Active <small>${view.active.total}</small></h2>${tasksTable(view.active, now, 'active')}</section>
<section><h2>Failed <small>${view.failed.total}</small></h2>${tasksTable(view.failed, now, 'failed')}</section>
<section><h2>Cancelled <small>${view.cancelled.total}</small></h2>${tasksTable(view.cancelled, now, 'cancelled')}</section>
<section><h2>Mailings</h2>${mailingsTable(view.mailings, now)}</section>
</main>
</body></html>`.text;
}

const shownStates = ['pending', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;

function laneCard(queue: QueueView): Html {
  const action = queue.paused ? 'resume' : 'pause';
  return html`<article class="lane" data-lane="${queue.lane}">
<header><h3>${queue.lane}</h3>${queue.paused && html`<span class="badge paused">Paused</span>`}
<form method="post" action="${consolePath}/lanes/${queue.lane}/${action}"><button type="submit">${queue.paused ? 'Resume' : 'Pause'}</button></form></header>
<dl class="counts">${shownStates.map((state) => html`<div class="${state}${queue.counts[state] > 0 ? ' some' : ''}"><dt>${state}</dt><dd>${queue.counts[state]}</dd></div>`)}</dl>
<p class="waiting">Oldest waiting: ${queue.oldestWaitingSeconds > 0 ? duration(queue.oldestWaitingSeconds) : 'none'}</p>
${throughputChart(queue)}
</article>`;
}

function workersTable(workers: readonly WorkerView[], now: Date): Html {
  if (workers.length === 0) return html`<p class="empty">No process runs tasks.</p>`;
  return html`<table><thead><tr><th>State</th><th>Host</th><th>PID</th><th>Lanes</th><th class="n">Concurrency</th><th class="n">Running</th><th class="n">Completed</th><th class="n">Failed</th><th>Started</th><th>Last heartbeat</th></tr></thead><tbody>
${workers.map(
  (worker) =>
    html`<tr data-worker="${worker.id}" class="${worker.state}"><td><span class="badge ${worker.state}">${worker.state}</span></td><td>${worker.hostname}</td><td>${worker.pid}</td><td>${worker.lanes.join(', ')}</td><td class="n">${worker.concurrency}</td><td class="n">${worker.running}</td><td class="n">${worker.completed}</td><td class="n">${worker.failed}</td><td>${when(worker.startedAt, now)}</td><td>${when(worker.lastSeenAt, now)}</td></tr>`,
)}
</tbody></table>`;
}

function schedulesTable(schedules: readonly ScheduleView[], now: Date): Html {
  if (schedules.length === 0) return html`<p class="empty">No periodic task is defined.</p>`;
  return html`<table><thead><tr><th>Name</th><th>Cron (UTC)</th><th>Task</th><th>Next run</th><th>Last run</th></tr></thead><tbody>
${schedules.map(
  (schedule) =>
    html`<tr data-schedule="${schedule.name}"><td>${schedule.name}</td><td><code>${schedule.cron}</code></td><td>${schedule.task}</td><td>${
      schedule.nextRunAt ? when(schedule.nextRunAt, now) : 'never'
    }</td><td>${schedule.lastRunAt ? when(schedule.lastRunAt, now) : 'not yet'}</td></tr>`,
)}
</tbody></table>`;
}

function tasksTable(list: TaskList, now: Date, state: 'active' | 'failed' | 'cancelled'): Html {
  if (list.rows.length === 0) return html`<p class="empty">None.</p>`;
  const more = list.total - list.rows.length;
  return html`<table class="tasks"><thead><tr><th>Task</th><th>Lane</th><th class="n">Attempts</th><th>${
    state === 'active' ? 'Started' : 'Finished'
  }</th>${state !== 'active' && html`<th>Error</th>`}<th></th></tr></thead><tbody>
${list.rows.map((row) => taskRow(row, now, state))}
</tbody></table>${more > 0 && html`<p class="more">and ${more} more (newest shown; the API's <code>GET /api/v1/tasks?state=${state}</code> pages through them all)</p>`}`;
}

function taskRow(row: TaskRow, now: Date, state: 'active' | 'failed' | 'cancelled'): Html {
  const at = state === 'active' ? row.startedAt : row.finishedAt;
  const button =
    state === 'active'
      ? html`<form method="post" action="${consolePath}/tasks/${row.id}/cancel" data-confirm="Cancel ${row.name}? It is aborted where it runs."><button type="submit" class="danger">Cancel</button></form>`
      : html`<form method="post" action="${consolePath}/tasks/${row.id}/retry"><button type="submit">Retry</button></form>`;
  return html`<tr data-task="${row.id}"><td><b>${row.name}</b><br><code class="id">${row.id}</code></td><td>${row.lane}</td><td class="n">${row.attemptsMade} / ${row.maxAttempts}</td><td>${
    at ? when(at, now) : ''
  }</td>${state !== 'active' && html`<td class="error">${errorCell(row.error)}</td>`}<td>${button}</td></tr>`;
}

/** The first line in the table; the whole error (a stack of causes, say) one click away. */
function errorCell(error: string | null): Html | string {
  if (!error) return '';
  const [first = '', ...rest] = error.split('\n');
  if (rest.length === 0 && first.length <= 160) return first;
  return html`<details><summary>${first.slice(0, 160)}</summary><pre>${error}</pre></details>`;
}

const mailStates = ['sent', 'failed', 'suppressed', 'queued'] as const;

/** Each mailing as a bar of its messages by state, from the ledger: how far a bulk send is. */
function mailingsTable(mailings: readonly MailingProgress[], now: Date): Html {
  if (mailings.length === 0) return html`<p class="empty">No bulk mail sent yet.</p>`;
  return html`<table class="mailings"><thead><tr><th>Subject</th><th>Sent</th><th class="n">Recipients</th><th>Progress</th></tr></thead><tbody>
${mailings.map((mailing) => {
  const total = Math.max(1, mailing.recipients);
  const done = mailing.counts.sent + mailing.counts.failed + mailing.counts.suppressed;
  return html`<tr data-mailing="${mailing.id}"><td>${mailing.subject}<br><code class="id">${mailing.id}</code></td><td>${when(mailing.createdAt, now)}</td><td class="n">${mailing.recipients}</td><td>
<div class="progress" role="img" aria-label="${done} of ${mailing.recipients} done">${mailStates.map((state) =>
    mailing.counts[state] > 0
      ? html`<span class="${state}" style="width:${((mailing.counts[state] / total) * 100).toFixed(2)}%"></span>`
      : '',
  )}</div>
<span class="legend">${mailStates.map((state) => html`<span class="${state}">${mailing.counts[state]} ${state}</span> `)}</span></td></tr>`;
})}
</tbody></table>`;
}

function when(at: Date, now: Date): Html {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  const relative = Math.abs(seconds) < 2 ? 'just now' : seconds > 0 ? `${duration(seconds)} ago` : `in ${duration(-seconds)}`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}" title="${iso.replace('T', ' ').slice(0, 19)} UTC">${relative}</time>`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
