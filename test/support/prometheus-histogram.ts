/** A histogram read off a `/metrics` page: its cumulative buckets by upper bound, its count and sum. */
export interface ScrapedHistogram {
  readonly buckets: readonly { le: number; count: number }[];
  readonly count: number;
  readonly sum: number;
}

/** Reads the unlabelled histogram `name` from Prometheus' text format; undefined when the page has none. */
export function readHistogram(text: string, name: string): ScrapedHistogram | undefined {
  const buckets: { le: number; count: number }[] = [];
  let count: number | undefined;
  let sum = 0;
  for (const line of text.split('\n')) {
    const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (bucket) buckets.push({ le: bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1]), count: Number(bucket[2]) });
    else if (line.startsWith(`${name}_count `)) count = Number(line.slice(name.length + 7));
    else if (line.startsWith(`${name}_sum `)) sum = Number(line.slice(name.length + 5));
  }
  if (count === undefined) return undefined;
  return { buckets: buckets.sort((a, b) => a.le - b.le), count, sum };
}

/**
 * The `q` quantile as PromQL's `histogram_quantile` estimates it: linear
 * within the bucket it falls in; the highest finite bound when it falls in
 * `+Inf`; NaN for an empty histogram.
 */
export function histogramQuantile(histogram: ScrapedHistogram, q: number): number {
  if (histogram.count === 0) return Number.NaN;
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1);
    }
    lower = le;
    below = count;
  }
  return lower;
}
