import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Content-Security-Policy of the operator pages: everything from this
 * host, nothing from any other (no fonts, scripts or images, no connections),
 * and no framing. Stricter than the app's default, which lets styles come
 * from any https host; the pages' inline styles are allowed, their scripts
 * are files. A reference to another host that slips into a page is then
 * refused by the browser, not fetched.
 */
const policy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function ownHostOnly(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('content-security-policy', policy);
}
