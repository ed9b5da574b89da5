import type { FastifyReply } from 'fastify';

/** Sends a page. Route schemas describe the JSON answers; a page for a browser is sent as it is. */
export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(html);
}
