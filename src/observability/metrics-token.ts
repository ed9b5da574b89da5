import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';

/** The `WWW-Authenticate` a refused scrape gets. */
export const metricsChallenge = 'Bearer realm="metrics"';

/**
 * Who may read `/metrics` (the API's and a worker's): with `METRICS_TOKEN`
 * set, a request carrying `Authorization: Bearer <token>`; without it, anyone.
 * Throws the contract's 401 `invalid_token` otherwise.
 */
export function metricsTokenCheck(token: string | undefined): (authorization: string | undefined) => void {
  if (token === undefined) return () => {};
  // Digests under a key of this process are compared, not the strings: equal lengths for
  // timingSafeEqual whatever the guess, so the time a refusal takes says nothing of the token.
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expected = digest(token);
  return (authorization) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return;
    throw new UnauthorizedError(
      'invalid_token',
      given === undefined ? 'The metrics need a bearer token' : 'This bearer token does not open the metrics',
      'Send Authorization: Bearer METRICS_TOKEN',
    );
  };
}
