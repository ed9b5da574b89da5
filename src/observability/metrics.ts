import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type TaskOutcome = 'completed' | 'retry' | 'failed' | 'cancelled';

/** A reading of the task table (and the worker registry) taken when `/metrics` is scraped. */
export interface QueueSnapshot {
  depths: readonly { lane: string; state: string; count: number }[];
  /** Every lane, with the seconds its longest-waiting due task has waited (0 when none waits). */
  lanes: readonly { lane: string; oldestWaitingSeconds: number; workers: number; paused: boolean }[];
  /** Redis mode: tasks committed while Redis could not take them, waiting in the database. */
  waitingForRedis?: number;
}

/**
 * The process's Prometheus metrics. One instance per app, not the global
 * registry, so that tests can build several apps in one process.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly taskCount = new Counter({
    name: 'bookly_tasks_total',
    help: 'Task attempts by name and outcome (retry: the attempt failed and another is scheduled)',
    labelNames: ['name', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly taskDuration = new Histogram({
    name: 'bookly_task_duration_seconds',
    help: 'Task attempt durations by name and outcome',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly emails = new Counter({
    name: 'bookly_emails_total',
    help: 'Emails handed to the mail transport, by outcome (sent, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly sentRecorded = new Histogram({
    name: 'bookly_mail_sent_record_seconds',
    help: "From the SMTP server's 250 for a message to the mail ledger's record of it: the part of the window in which a crash sends it twice that is Bookly's (the rest is the server's own time between the message's last byte and its 250)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(queueSnapshot?: () => Promise<QueueSnapshot>) {
    collectDefaultMetrics({ register: this.registry });
    if (!queueSnapshot) return;
    // Both gauges read one snapshot per scrape; the first to collect takes it.
    let pending: Promise<QueueSnapshot> | undefined;
    const snapshot = () => {
      pending ??= queueSnapshot().finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    new Gauge({
      name: 'bookly_queue_depth',
      help: 'Tasks by lane and state',
      labelNames: ['lane', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { lane, state, count } of (await snapshot()).depths) this.set({ lane, state }, count);
      },
    });
    new Gauge({
      name: 'bookly_queue_waiting_for_redis',
      help: 'Redis mode: tasks committed while Redis could not take them, waiting in the database for the relay',
      registers: [this.registry],
      async collect() {
        this.set((await snapshot()).waitingForRedis ?? 0);
      },
    });
    const perLane = (name: string, help: string, value: (lane: QueueSnapshot['lanes'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['lane'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const lane of (await snapshot()).lanes) this.set({ lane: lane.lane }, value(lane));
        },
      });
    perLane(
      'bookly_queue_workers',
      'Online processes that run the lane, by their heartbeats (alive workers with a growing oldest-waiting age are stuck)',
      (lane) => lane.workers,
    );
    perLane(
      'bookly_queue_oldest_waiting_seconds',
      "Age of the lane's oldest task that is due and not yet running",
      (lane) => lane.oldestWaitingSeconds,
    );
    perLane('bookly_queue_paused', '1 while an operator has paused the lane', (lane) => (lane.paused ? 1 : 0));
  }

  observeTask(name: string, outcome: TaskOutcome, seconds: number): void {
    this.taskCount.inc({ name, outcome });
    this.taskDuration.observe({ name, outcome }, seconds);
  }

  observeSentRecorded(seconds: number): void {
    this.sentRecorded.observe(seconds);
  }

  observeEmail(outcome: 'sent' | 'failed'): void {
    this.emails.inc({ outcome });
  }
}
