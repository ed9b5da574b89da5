import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppError, NotFoundError } from '../errors.js';
import { toErrorBody } from '../http/plugins/errors.js';
import type { Metrics } from './metrics.js';
import { metricsChallenge, metricsTokenCheck } from './metrics-token.js';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** `METRICS_TOKEN`: the bearer token `/metrics` asks for, as the API's does; undefined leaves it open. */
  token: string | undefined;
}

/** A worker's own `/metrics` (task durations and outcomes happen there) and `/health`, for Prometheus and probes. */
export async function startMetricsServer(
  metrics: Metrics,
  options: MetricsServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const checkToken = metricsTokenCheck(options.token);
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      try {
        checkToken(request.headers.authorization);
      } catch (error) {
        return sendError(response, error as AppError, { 'www-authenticate': metricsChallenge });
      }
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      sendError(response, new NotFoundError('not_found', 'A worker answers /metrics and /health only'));
    }
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The contract's error body, as the API's error handler writes it. */
function sendError(response: ServerResponse, error: AppError, headers: Record<string, string> = {}): void {
  const { status, body } = toErrorBody(error);
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
