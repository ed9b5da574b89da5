import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnreachable } from '../../db/errors.js';
import { AppError, type ErrorDetail, ServiceUnavailableError } from '../../errors.js';
import { wellFormedKeyword } from '../schemas/well-formed.js';

export interface ErrorBody {
  message: string;
  error_code: string;
  resolution?: string;
  details?: ErrorDetail[];
}

/**
 * One place turns every failure into the contract's error body. A 5xx
 * never shows its cause to the client; the log has it, under the request id.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (request.raw.destroyed && !request.raw.complete) {
      // The connection closed mid-body (a request timeout, or the client left): Node's "aborted" is
      // an ECONNRESET, which is not the database's, and there is no one left to answer.
      const { status, body } = toErrorBody(new AppError(400, 'bad_request', 'The request ended before it was complete'));
      request.log.info({ status, code: body.error_code }, body.message);
      return reply.status(status).send(body);
    }
    if (!(error instanceof AppError) && isDatabaseUnreachable(error)) {
      // Not the error itself: drizzle's message carries the statement and its parameters.
      request.log.warn({ code: (error as { code?: string }).code }, 'request failed: the database is unreachable');
      const { status, body } = toErrorBody(new ServiceUnavailableError('The database is not answering right now'));
      return reply.status(status).send(body);
    }
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, code: body.error_code }, body.message);
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    // The path is shortened: an answer never echoes a whole URL back (a link token, kilobytes of it).
    const path = request.url.split('?')[0] ?? '';
    const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
    return reply.status(404).send({
      message: `No route ${request.method} ${shown}`,
      error_code: 'not_found',
      resolution: 'Every path of the API is listed at /api/v1/docs',
    });
  });
});

const partNames: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** The status and contract body for any error a request can end with. */
export function toErrorBody(error: FastifyError | AppError): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const body: ErrorBody = { message: error.message, error_code: error.code };
    if (error.resolution) body.resolution = error.resolution;
    if (error.details) body.details = [...error.details];
    return { status: error.status, body };
  }
  if (error.validation) {
    const part = partNames[error.validationContext ?? 'body'] ?? 'body';
    return {
      status: 422,
      body: {
        message: 'The request is not valid',
        error_code: 'validation_error',
        resolution: 'Correct the fields listed in details and try again',
        details: describeValidation(part, error.validation),
      },
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return clientError(400, 'invalid_json', 'The body is not valid JSON', 'Send a JSON document');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return clientError(413, 'payload_too_large', 'The body is larger than 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return clientError(415, 'unsupported_media_type', 'The body must be JSON', 'Send Content-Type: application/json');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return clientError(status, 'bad_request', error.message);
  return { status: 500, body: { message: 'Something went wrong on our side', error_code: 'server_error', resolution: 'Try again later' } };
}

function clientError(status: number, code: string, message: string, resolution?: string) {
  const body: ErrorBody = { message, error_code: code };
  if (resolution) body.resolution = resolution;
  return { status, body };
}

type AjvIssue = NonNullable<FastifyError['validation']>[number];

/** Turns Ajv's findings into `{ field: "body.email", message }`, one per problem. */
function describeValidation(part: string, issues: AjvIssue[]): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    // An anyOf reports each branch that failed and then itself; the summary is enough.
    if (issue.schemaPath.includes('/anyOf/')) continue;
    const path = issue.instancePath.split('/').filter(Boolean);
    const params = issue.params as Record<string, unknown>;
    if (issue.keyword === 'required') path.push(String(params.missingProperty));
    const field = [part, ...path].join('.');
    const detail = { field, message: describeIssue(issue.keyword, params, issue.message) };
    const key = `${detail.field}:${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  return details;
}

function describeIssue(keyword: string, params: Record<string, unknown>, fallback: string | undefined): string {
  switch (keyword) {
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${article(String(params.type))}`;
    case 'format':
      return params.format === 'email' ? 'must be an email address' : `must be a valid ${params.format}`;
    case 'minLength':
      return `must be at least ${params.limit} character${params.limit === 1 ? '' : 's'} long`;
    case 'maxLength':
      return `must be at most ${params.limit} characters long`;
    case 'minimum':
      return `must be ${params.limit} or more`;
    case 'maximum':
      return `must be ${params.limit} or less`;
    case 'minItems':
      return `must hold at least ${params.limit} item${params.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must hold at most ${params.limit} items`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `must be ${String(params.allowedValue)}`;
    case 'anyOf':
      return 'is not any of the allowed forms';
    case wellFormedKeyword:
      return String(params.problem);
    default:
      return fallback ?? 'is not valid';
  }
}

function article(type: string): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}
