/**
 * Every `error_code` an endpoint of the OpenAPI document can answer with, and
 * a message it is sent with: the document lists, per endpoint and status, the
 * codes it gives, and shows the message as its example.
 */
export const errorCodes = {
  invalid_json: 'The body is not valid JSON',
  invalid_link: 'This link is invalid, has expired or has already been used',
  invalid_token: 'The token is invalid',
  token_revoked: 'This token has been revoked',
  access_token_required: 'This needs an access token, not a refresh token',
  refresh_token_required: 'This needs a refresh token, not an access token',
  invalid_email_or_password: 'Invalid email or password',
  account_not_verified: 'This account has not verified its email yet',
  insufficient_permissions: 'This needs an admin account',
  book_not_found: 'No book has this id',
  review_not_found: 'No review has this id',
  tag_not_found: 'No tag has this id',
  task_not_found: 'No task has this id',
  user_not_found: 'No user has this id',
  not_found: 'Nothing has this name or id',
  user_exists: 'An account with this email already exists',
  tag_exists: 'A tag named "Science fiction" exists already',
  task_not_retryable: 'The task is completed: only a failed or cancelled task can be retried',
  task_not_cancellable: 'The task is completed: only a pending, delayed or active task can be cancelled',
  payload_too_large: 'The body is larger than 1 MiB',
  unsupported_media_type: 'The body must be JSON',
  validation_error: 'The request is not valid',
  rate_limited: 'Too many requests; try again in 1 minute',
  service_unavailable: 'Not ready: database not answering',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/**
 * The answers any endpoint may give that no request of a client's choosing causes: a fault of
 * ours, a database that does not answer, a request that is not valid HTTP or ends early. The
 * document states them once, in its description, rather than under every endpoint; an endpoint
 * lists them only where they are its own answer (`/ready`'s 503).
 */
export const everyEndpointErrors = [
  { status: 500, code: 'server_error', when: 'a fault on our side; the log has it under the X-Request-Id the answer carries' },
  { status: 503, code: 'service_unavailable', when: 'the database is not answering, or the server is still starting' },
  { status: 400, code: 'bad_request', when: 'the request is not valid HTTP, or its body ends before its Content-Length' },
  { status: 400, code: 'validation_error', when: 'the path holds a malformed percent-escape (`details` names `path`)' },
  {
    status: 408,
    code: 'request_timeout',
    when: 'its headers or the whole request did not arrive in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
  },
  { status: 431, code: 'headers_too_large', when: 'the request line and headers are larger than the limit' },
] as const;

/** The sentences of the document's description that say so. */
export const everyEndpointErrorsText = [
  'Each endpoint lists, under each error status, exactly the `error_code`s it can answer with. Besides those, any endpoint may answer:',
  ...everyEndpointErrors.map(({ status, code, when }) => `- ${status} \`${code}\`: ${when}.`),
].join('\n');
