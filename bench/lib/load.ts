/**
 * A closed-loop load: `concurrency` clients, each sending its next request
 * as soon as its last one is answered, until `total` have been sent. Every
 * request's latency is kept, so the percentiles are exact.
 */
export async function closedLoop(options: {
  total: number;
  concurrency: number;
  send: (index: number) => Promise<number>;
  onProgress?: (done: number) => void;
}): Promise<{ latenciesMs: number[]; statuses: Map<number, number>; elapsedMs: number }> {
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < options.total) {
      const index = next++;
      const sent = performance.now();
      const status = await options.send(index);
      latenciesMs.push(performance.now() - sent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      options.onProgress?.(latenciesMs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.total) }, client));
  return { latenciesMs, statuses, elapsedMs: performance.now() - started };
}

/** POSTs JSON and returns the status, reading the body so that the connection can be reused. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}
