import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRow } from '../../src/db/schema/index.js';
import { type ConsoleView, consolePage } from '../../src/http/console/console-page.js';

const now = new Date('2026-12-02T10:00:00Z');
const hostile = '<img src=x onerror="alert(1)">';

function failedTask(error: string): TaskRow {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    name: `mail.bulk-message${hostile}`,
    lane: 'bulk',
    payload: {},
    key: null,
    state: 'failed',
    priority: 0,
    attemptsMade: 5,
    maxAttempts: 5,
    runAt: now,
    relayedAt: null,
    lockedBy: null,
    lockedUntil: null,
    result: null,
    error,
    createdAt: now,
    startedAt: now,
    finishedAt: new Date(now.getTime() - 90_000),
  };
}

function view(error: string): ConsoleView {
  const perMinute = Array.from({ length: 60 }, (_, i) => ({
    minute: new Date(now.getTime() - (59 - i) * 60_000),
    completed: i,
    failed: i % 7 === 0 ? 2 : 0,
  }));
  return {
    mode: 'in-process',
    now,
    queues: [
      {
        lane: 'bulk',
        paused: true,
        counts: { pending: 3, delayed: 0, active: 0, completed: 1770, failed: 1, cancelled: 0 },
        oldestWaitingSeconds: 125,
        perMinute,
      },
    ],
    workers: [
      {
        id: 'w1',
        hostname: `host${hostile}`,
        pid: 42,
        lanes: ['default', 'bulk'],
        concurrency: 10,
        heartbeatMs: 10_000,
        running: 0,
        completed: 7,
        failed: 1,
        startedAt: now,
        lastSeenAt: new Date(now.getTime() - 45_000),
        state: 'lost',
      },
    ],
    schedules: [],
    active: { rows: [], total: 0 },
    failed: { rows: [failedTask(error)], total: 30 },
    cancelled: { rows: [], total: 0 },
    mailings: [
      {
        id: '00000000-0000-4000-8000-000000000002',
        subject: `News ${hostile}`,
        createdAt: now,
        recipients: 1000,
        counts: { queued: 250, sent: 700, failed: 30, suppressed: 20 },
      },
    ],
  };
}

describe('the task console page', () => {
  it('escapes what tasks and workers report, so an error message cannot become markup', () => {
    const page = consolePage(view(`SMTP said ${hostile}\n  at a stack line`));
    assert.doesNotMatch(page, /<img/);
    assert.match(page, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
  });

  it('shows a lane paused with its counts and the hour as 60 bars, and says how many failed tasks it leaves out', () => {
    const page = consolePage(view('Message failed: 550 Mailbox unavailable'));
    assert.match(page, /<span class="badge paused">Paused<\/span>/);
    assert.match(page, /action="\/admin\/tasks\/lanes\/bulk\/resume"/);
    assert.match(page, /Oldest waiting: 2 min/);
    assert.equal(page.match(/<g><title>/g)?.length, 60);
    assert.match(page, /Last hour: <b>1770<\/b> completed, <b>18<\/b> failed/);
    assert.match(page, /and 29 more/);
    assert.match(page, /<span class="badge lost">lost<\/span>/);
    assert.match(page, /No periodic task is defined/);
    assert.match(page, /aria-label="750 of 1000 done"/);
    assert.match(page, /<span class="sent" style="width:70\.00%">/);
    assert.match(
      page,
      /700 sent<\/span> <span class="failed">30 failed<\/span> <span class="suppressed">20 suppressed<\/span> <span class="queued">250 queued/,
    );
  });
});
