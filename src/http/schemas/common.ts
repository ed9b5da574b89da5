import Type, { type TStringOptions } from 'typebox';
import { type ErrorCode, errorCodes } from './error-codes.js';
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

/** A reply that is one sentence, shown in the document with `example`, a sentence the endpoint says. */
export const Message = (example: string) => Type.Object({ message: Type.String() }, { examples: [{ message: example }] });

const ErrorDetails = Type.Array(Type.Object({ field: Type.String(), message: Type.String() }));

/** Each status an endpoint answers with an error, and the `error_code`s it gives under it. */
export type ErrorCodesByStatus = Readonly<Partial<Record<number, readonly ErrorCode[]>>>;

/** Every status of the maps in `L`. */
type StatusesOf<L extends readonly ErrorCodesByStatus[]> = L[number] extends infer M
  ? M extends unknown
    ? keyof M & number
    : never
  : never;

type ErrorReply = Type.TObject<{
  message: Type.TString;
  error_code: Type.TUnsafe<string>;
  resolution: Type.TOptional<Type.TString>;
  details: Type.TOptional<typeof ErrorDetails>;
}>;

/**
 * The response schemas of an endpoint's errors: under each status the body's `error_code` is an
 * `enum` of exactly the codes given, so the OpenAPI document says what each endpoint can answer.
 * Several maps are merged (a route's own codes and those of, say, {@link bodyErrors}).
 */
export function errors<const L extends readonly ErrorCodesByStatus[]>(...maps: L): { [K in StatusesOf<L>]: ErrorReply } {
  const merged = new Map<number, ErrorCode[]>();
  for (const map of maps) {
    for (const [status, codes] of Object.entries(map)) {
      const list = merged.get(Number(status)) ?? [];
      for (const code of codes ?? []) if (!list.includes(code)) list.push(code);
      merged.set(Number(status), list);
    }
  }
  return Object.fromEntries([...merged].map(([status, codes]) => [status, errorReply(codes)])) as { [K in StatusesOf<L>]: ErrorReply };
}

/** What any request with a body can be refused with before its route looks at it (plugins/body-parsers.ts, errors.ts). */
export const bodyErrors = {
  400: ['invalid_json'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
} as const satisfies ErrorCodesByStatus;

/** A bearer access token that is missing, malformed, expired, revoked or a refresh token (plugins/auth.ts). */
export const signedIn = { 401: ['invalid_token', 'token_revoked', 'access_token_required'] } as const satisfies ErrorCodesByStatus;
/** The account must have verified its email. */
export const verifiedAccount = { 403: ['account_not_verified'] } as const satisfies ErrorCodesByStatus;
/** An admin's account only, or the owner's (services/actor.ts). */
export const permitted = { 403: ['insufficient_permissions'] } as const satisfies ErrorCodesByStatus;
/** A parameter, query or body that its schema refuses. */
export const invalidInput = { 422: ['validation_error'] } as const satisfies ErrorCodesByStatus;
/** The routes under AUTH_RATE_LIMIT (plugins/rate-limit.ts). */
export const rateLimited = { 429: ['rate_limited'] } as const satisfies ErrorCodesByStatus;

function errorReply(codes: readonly ErrorCode[]): ErrorReply {
  const [first] = codes;
  if (first === undefined) throw new Error('errors(): a status with no error codes');
  const lines = codes.map(
    (code) => `- \`${code}\`: ${errorCodes[code]}${code === 'validation_error' ? ' (`details` names each field and problem)' : ''}`,
  );
  const example = { message: errorCodes[first], error_code: first, ...resolutions[first] };
  return Type.Object(
    {
      message: Type.String(),
      error_code: Type.Unsafe<string>({ type: 'string', enum: [...codes] }),
      resolution: Type.Optional(Type.String()),
      details: Type.Optional(ErrorDetails),
    },
    { description: `error_code is one of:\n${lines.join('\n')}`, examples: [example] },
  );
}

/** The resolution the examples show, for the codes whose answer always carries the same one. */
const resolutions: Partial<Record<ErrorCode, { resolution: string }>> = {
  validation_error: { resolution: 'Correct the fields listed in details and try again' },
  rate_limited: { resolution: 'Wait for the time in the Retry-After header' },
  invalid_link: { resolution: 'Ask for a new link' },
};
