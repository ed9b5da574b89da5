import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../errors.js';

/**
 * Refuses a state-changing request that a page on another site made the
 * browser send. The console's credentials are basic auth, which a browser
 * attaches to any request for the host, so a form elsewhere could otherwise
 * retry or cancel tasks. Browsers say where a request comes from in
 * `Sec-Fetch-Site`, and older ones in `Origin`; a client that sends neither
 * is not a browser acting for another site (curl, a script) and is let
 * through. The rule is Go's `http.CrossOriginProtection`.
 */
export async function sameOriginOnly(request: FastifyRequest): Promise<void> {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
    throw crossSite();
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== request.headers.host) throw crossSite();
}

function crossSite(): ForbiddenError {
  return new ForbiddenError(
    'insufficient_permissions',
    'A page on another site cannot act in the task console',
    'Use the buttons of the task console itself',
  );
}
