import Type, { type TStringOptions } from 'typebox';
import { wellFormedKeyword } from './well-formed.js';

/** A time, sent as an ISO 8601 UTC string; handlers may hand over `Date`s. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

export const Uuid = Type.String({ format: 'uuid' });

/** A field that holds `schema` or null. */
export const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Email = Type.String({ format: 'email', maxLength: 320 });

/**
 * Every string a client sends that is not a format of its own (an email, a
 * UUID): a 422 names the field that holds U+0000, a lone surrogate or a
 * leading U+FEFF (`well-formed.ts` says why each).
 */
export const WellFormedString = (options: TStringOptions = {}) => Type.String({ ...options, [wellFormedKeyword]: true });

/** Text that is not only white space. */
export const Text = (minLength: number, maxLength: number) => WellFormedString({ minLength, maxLength, pattern: '\\S' });

/** A day, `YYYY-MM-DD`, that exists, from 0001-01-01 (validation.ts gives `date` that meaning). */
export const CalendarDate = Type.String({ format: 'date', description: 'YYYY-MM-DD, a real day from 0001-01-01 on' });

export const Message = Type.Object({ message: Type.String() });

export const ErrorBody = Type.Object(
  {
    message: Type.String(),
    error_code: Type.String(),
    resolution: Type.Optional(Type.String()),
    details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'ErrorBody', description: 'Every 4xx and 5xx answer has this body' },
);

const errorDescriptions: Record<number, string> = {
  400: 'invalid_link, invalid_json',
  401: 'invalid_token, token_revoked, access_token_required, refresh_token_required, invalid_email_or_password',
  403: 'account_not_verified, insufficient_permissions',
  404: 'not found (the error_code names what)',
  409: 'user_exists, tag_exists, task_not_retryable, task_not_cancellable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error (details lists each problem)',
  429: 'rate_limited (see Retry-After)',
  500: 'server_error',
  503: 'service_unavailable',
};

/** Response schemas for the error statuses an endpoint can answer with, for validation of the reply and the OpenAPI document. */
export function errors<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(
    statuses.map((status) => [status, Type.Object(ErrorBody.properties, { description: errorDescriptions[status] ?? 'error' })]),
  ) as { [K in S[number]]: typeof ErrorBody };
}
