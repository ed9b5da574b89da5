import { type IncomingMessage, maxHeaderSize, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpLimits } from '../config/load-config.js';
import { AppError, ValidationError } from '../errors.js';
import { toErrorBody } from './plugins/errors.js';

/**
 * The router's `maxParamLength`. No parameter is longer than the request line that carries it
 * (Node's header limit counts the URL), so the router never refuses one for its length: the
 * route's schema decides, and a link token of any length is an invalid link.
 */
export const maxParamLength = maxHeaderSize;

/**
 * How the server treats connections: the limits of `HTTP_*` that keep slow,
 * idle or too many clients from holding its sockets, and the answers the
 * HTTP layer gives before any route runs (a timeout, oversized headers, a
 * request that is not HTTP, a malformed percent-escape), in the contract's
 * error shape like every other.
 */
export function connectionHandling(limits: HttpLimits) {
  // A request answered before its body was all in (the rate limit's 429) and whose body then stalls
  // times out later; a 408 then would be a second answer to one request, read as the answer to the next.
  const answeredEarly = new WeakMap<Socket, IncomingMessage>();

  return {
    /** The options `Fastify()` takes for these limits and answers. */
    serverOptions: {
      requestTimeout: limits.requestTimeoutMs,
      connectionTimeout: limits.connectionTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      http: {
        headersTimeout: limits.headersTimeoutMs,
        // Here too, not only above: Node checks the headers timeout against it as it makes the server.
        requestTimeout: limits.requestTimeoutMs,
        // Node enforces both timeouts in a sweep, every 30 s unless told: a slow body would outlive
        // its timeout by up to that much. The sweep visits only connections mid-request.
        connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      },
      clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
        if (error.code === 'ECONNRESET' || socket.destroyed) return;
        const early = answeredEarly.get(socket);
        // Node's own fallback checks the same internal field: nothing may follow an answer begun.
        const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
        const { status, body } = toErrorBody(describeClientError(error, limits));
        // Not the error: its raw packet holds the request's bytes, an Authorization header among them.
        this.log.info({ status, code: error.code }, body.message);
        if (socket.writable && !(early && !early.complete) && !inFlight?.headersSent) {
          const json = JSON.stringify(body);
          socket.write(
            `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
              `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
          );
        }
        socket.destroy();
      },
      frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
        const { status, body } = toErrorBody(describeFrameworkError(error));
        if (status >= 500) request.log.error({ code: error.code }, 'request failed before routing');
        else request.log.info({ status, code: body.error_code }, body.message);
        reply.status(status).send(body);
      },
    },

    /** Applies what `Fastify()` does not take: the connection cap, and what the answers above need to know. */
    install(app: FastifyInstance): void {
      app.server.maxConnections = limits.maxConnections;
      let refused = 0;
      let warnedAt = Number.NEGATIVE_INFINITY;
      app.server.on('drop', () => {
        refused += 1;
        // One line a minute at most: the cap is reached under a flood, and a line per socket would be another.
        if (Date.now() - warnedAt < 60_000) return;
        app.log.warn({ maxConnections: limits.maxConnections, refused }, 'HTTP_MAX_CONNECTIONS reached: refusing new connections');
        warnedAt = Date.now();
        refused = 0;
      });
      app.addHook('onResponse', async (request) => {
        if (!request.raw.complete) answeredEarly.set(request.raw.socket, request.raw);
      });
    },
  };
}

function describeClientError(error: ConnectionError, limits: HttpLimits): AppError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(
        408,
        'request_timeout',
        'The request did not arrive in time',
        `Send the headers within ${seconds(limits.headersTimeoutMs)} and the whole request within ${seconds(limits.requestTimeoutMs)}`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return new AppError(
        431,
        'headers_too_large',
        `The request line and headers are larger than ${maxHeaderSize / 1024} KiB`,
        'Send a shorter URL or fewer headers',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError(413, 'payload_too_large', 'The chunk extensions of the body are too large');
    default:
      return new AppError(400, 'bad_request', 'The request is not valid HTTP/1.1');
  }
}

function describeFrameworkError(error: FastifyError): AppError | FastifyError {
  switch (error.code) {
    // Fastify's own messages quote the whole URL: these do not.
    case 'FST_ERR_BAD_URL':
      return new AppError(400, 'validation_error', 'The path holds a malformed percent-escape', 'Write a literal % as %25', [
        { field: 'path', message: 'holds a malformed percent-escape' },
      ]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Out of reach while maxParamLength is the header limit; kept so that it never shows Fastify's shape.
      return new ValidationError([{ field: 'path', message: 'holds a parameter that is too long' }]);
    default:
      return error;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
