import type { SmtpPeer } from '../../test/support/smtp-peer.js';
import type { Progress } from './progress.js';

export type Size = 'smoke' | 'quick' | 'full';

/** One figure set beside its baseline from the same run, and the target the issue sets for the ratio. */
export interface Comparison {
  what: string;
  value: number;
  baseline: number;
  unit: string;
  /** `value / baseline`. */
  ratio: number;
  target: { ratio: number; better: 'above' | 'below' } | undefined;
  /** Undefined when there is no target. */
  met: boolean | undefined;
}

export interface Chart {
  /** File name stem, unique within the run. */
  name: string;
  caption: string;
  svg: string;
}

export interface ScenarioResult {
  /** The measured figures, for the JSON. */
  figures: Record<string, unknown>;
  comparisons: Comparison[];
  /** Absolute targets (a p99 under a bound) with their verdicts. */
  checks: { what: string; value: number; unit: string; limit: number; met: boolean }[];
  charts: Chart[];
  /** Markdown table rows or sentences for the report. */
  table: string[];
  notes: string[];
}

export interface BenchContext {
  size: Size;
  progress: Progress;
  smtp: SmtpPeer;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}

export function compare(what: string, value: number, baseline: number, unit: string, target?: Comparison['target']): Comparison {
  const ratio = value / baseline;
  const met = target === undefined ? undefined : target.better === 'above' ? ratio >= target.ratio : ratio <= target.ratio;
  return { what, value, baseline, unit, ratio, target, met };
}

export function emptyResult(): ScenarioResult {
  return { figures: {}, comparisons: [], checks: [], charts: [], table: [], notes: [] };
}
