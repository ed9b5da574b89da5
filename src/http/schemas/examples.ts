/**
 * The examples the OpenAPI document shows: fixed, so every render of the document is the same,
 * and real-looking. Request bodies among them are valid inputs, since Swagger UI's "Try it out"
 * sends them as they are (test/http/routes/every-endpoint.test.ts sends each one).
 */
const adaUid = '3f8e2b1c-7d4a-4e9b-a6c5-0b1d2e3f4a5b';
const bookUid = '9b2d7f4e-1a3c-4b8d-9e6f-5c4b3a2d1e0f';
const taskUid = 'c7a1e5d3-2b4f-4a6c-8e9d-1f0a2b3c4d5e';
const mailingUid = 'e4d3c2b1-a0f9-4e8d-b7c6-5a4b3c2d1e0f';

export const exampleIds = { user: adaUid, book: bookUid, task: taskUid, mailing: mailingUid } as const;

export const exampleSignup = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  username: 'ada',
  email: 'ada@example.com',
  password: 'correct horse battery staple',
};

export const exampleLogin = { email: 'ada@example.com', password: 'correct horse battery staple' };

export const exampleUser = {
  uid: adaUid,
  username: 'ada',
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: 'Lovelace',
  role: 'user',
  is_verified: false,
  created_at: '2026-11-30T09:15:00.000Z',
  updated_at: '2026-11-30T09:15:00.000Z',
} as const;

export const exampleVerifiedUser = { ...exampleUser, is_verified: true, updated_at: '2026-11-30T09:21:00.000Z' } as const;

export const exampleBookInput = {
  title: 'The Left Hand of Darkness',
  author: 'Ursula K. Le Guin',
  publisher: 'Ace Books',
  published_date: '1969-03-01',
  page_count: 286,
  language: 'English',
};

export const exampleBook = {
  uid: bookUid,
  ...exampleBookInput,
  user_uid: adaUid,
  created_at: '2026-11-30T10:02:00.000Z',
  updated_at: '2026-11-30T10:02:00.000Z',
};

export const exampleReviewInput = {
  rating: 5,
  review_text: 'A winter world and an envoy who learns to trust: quiet, strange and unforgettable.',
};

export const exampleReview = {
  uid: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d',
  ...exampleReviewInput,
  user_uid: adaUid,
  book_uid: bookUid,
  created_at: '2026-11-30T10:30:00.000Z',
  updated_at: '2026-11-30T10:30:00.000Z',
};

export const exampleTag = { uid: '1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a', name: 'Science fiction', created_at: '2026-11-30T10:05:00.000Z' };

export const exampleBookDetail = { ...exampleBook, reviews: [exampleReview], tags: [exampleTag] };

export const exampleAccessToken =
  'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjp7InVpZCI6IjNmOGUyYjFjIn0sInJlZnJlc2giOmZhbHNlfQ.q0Jm1s2Yv8V4R9c3ZkL7tHn5xWp2aQe6dUf8gBi0rTo';
export const exampleRefreshToken =
  'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjp7InVpZCI6IjNmOGUyYjFjIn0sInJlZnJlc2giOnRydWV9.Xk3p9Lw2Qz7Rb5Ny1Mc8Vd4Tf6Hg0Js2Ka9Pe3Uo5Wi';

export const exampleSendMail = {
  addresses: ['ada@example.com', 'grace@example.com'],
  subject: 'New books this week',
  html: '<p>This week: <a href="https://bookly.example/books">The Left Hand of Darkness</a>.</p>',
};

export const exampleTask = {
  id: taskUid,
  name: 'mail.bulk',
  lane: 'bulk',
  state: 'completed',
  attempts_made: 1,
  max_attempts: 5,
  created_at: '2026-11-30T11:00:00.000Z',
  run_at: '2026-11-30T11:00:00.000Z',
  started_at: '2026-11-30T11:00:00.120Z',
  finished_at: '2026-11-30T11:00:01.480Z',
  result: { recipients: 2 },
  error: null,
};

export const exampleQueue = {
  lane: 'bulk',
  paused: false,
  counts: { pending: 3, active: 1, delayed: 0, completed: 120, failed: 2, cancelled: 0 },
  oldest_waiting_seconds: 1.5,
  per_minute: [{ minute: '2026-11-30T11:00:00.000Z', completed: 12, failed: 0 }],
};

export const exampleWorker = {
  id: 'bookly-1/4242/8c7b6a5f',
  hostname: 'bookly-1',
  pid: 4242,
  lanes: ['default', 'bulk'],
  concurrency: 10,
  started_at: '2026-11-30T08:00:00.000Z',
  last_seen_at: '2026-11-30T11:00:05.000Z',
  state: 'online',
  running: 1,
  completed: 120,
  failed: 2,
};

export const exampleSchedule = {
  name: 'maintenance.prune',
  cron: '0 * * * *',
  task: 'maintenance.prune',
  next_run_at: '2026-11-30T12:00:00.000Z',
  last_run_at: '2026-11-30T11:00:00.000Z',
  last_task_id: '0e1d2c3b-4a5f-4e6d-8c7b-9a0f1e2d3c4b',
};

export const exampleMailMessage = {
  id: 'f1e2d3c4-b5a6-4f7e-8d9c-0b1a2f3e4d5c',
  kind: 'bulk',
  recipient: 'grace@example.com',
  subject: 'New books this week',
  state: 'sent',
  attempts: 1,
  smtp_response: '250 2.0.0 Ok: queued as 4F2A81C3',
  reason: null,
  message_id: '<f1e2d3c4-b5a6-4f7e-8d9c-0b1a2f3e4d5c@bookly.example>',
  task_id: taskUid,
  mailing_id: mailingUid,
  created_at: '2026-11-30T11:00:00.300Z',
  sent_at: '2026-11-30T11:00:01.200Z',
};

export const exampleMailing = {
  id: mailingUid,
  subject: 'New books this week',
  created_at: '2026-11-30T11:00:00.000Z',
  recipients: 2,
  counts: { queued: 0, sent: 2, failed: 0, suppressed: 0 },
};

export const exampleSuppression = { email: 'grace@example.com', reason: 'unsubscribed', created_at: '2026-11-30T12:10:00.000Z' };
