import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, paths } from './schema.js';

/** A client of the whole API: `client.GET('/api/v1/books/{book_uid}', { params: { path: { book_uid } } })`, each path, body and answer typed. */
export type BooklyClient = Client<paths>;

export interface BooklyClientOptions extends ClientOptions {
  /** Where the server is, without `/api/v1` (the paths carry it): `http://localhost:8000`. */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer …` on every request that sets no `Authorization` of its own
   * (a call to `/api/v1/auth/refresh_token` sets the refresh token). A function is asked on each
   * request, so a client made before login can send the token login gives it.
   */
  accessToken?: string | (() => string | undefined);
}

export function createBooklyClient({ accessToken, ...options }: BooklyClientOptions): BooklyClient {
  const client = createClient<paths>(options);
  if (accessToken !== undefined) client.use(bearer(accessToken));
  return client;
}

function bearer(accessToken: string | (() => string | undefined)): Middleware {
  return {
    onRequest({ request }) {
      const token = typeof accessToken === 'function' ? accessToken() : accessToken;
      if (token !== undefined && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
}

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
type Operation = { [P in keyof paths]: { [M in Method]: paths[P][M] }[Method] }[keyof paths];
type JsonBody<Response> = Response extends { content: { 'application/json': infer Body } } ? Body : never;
type ErrorBodies<Op> = Op extends { responses: infer Responses }
  ? {
      [Status in keyof Responses]: `${Status & (string | number)}` extends `4${string}` | `5${string}`
        ? JsonBody<Responses[Status]>
        : never;
    }[keyof Responses]
  : never;

/**
 * The body of an error answer (every 4xx and 5xx): `message` for a person, `error_code` for code,
 * `resolution` saying what to do, `details` naming each field of a validation error. This is the
 * union over every operation; a call's own `error` is narrowed to the answers of that operation.
 */
export type ErrorBody = ErrorBodies<Operation>;

/** The error body one operation can answer: `ErrorBodyOf<'/api/v1/auth/login', 'post'>`. */
export type ErrorBodyOf<Path extends keyof paths, M extends Method> = ErrorBodies<paths[Path][M]>;

/** Every `error_code` the API answers with. */
export type ErrorCode = ErrorBody['error_code'];
