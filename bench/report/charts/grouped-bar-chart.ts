import type { TopLevelSpec } from 'vega-lite';
import { clip, type Encoding, fmt, haloed, type Layer, legend, noData, renderSvg, textWidth, WIDTH } from './render.js';

export interface Series {
  name: string;
  values: readonly number[];
}

/** Decades from just below the smallest value to the first at or above the largest. */
function decades(values: readonly number[]): number[] {
  const lo = Math.ceil(Math.log10(Math.min(...values))) - 1;
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  return Array.from({ length: hi - lo + 1 }, (_, i) => Number((10 ** (lo + i)).toPrecision(12)));
}

/** Vertical bars, one per series within each category, each with its value above it; optionally on a log scale. */
export function groupedBarChart(
  series: readonly Series[],
  options: { title: string; unit: string; categories: readonly string[]; log?: boolean; width?: number },
): Promise<string> {
  const { unit } = options;
  const log = options.log ?? false;
  const width = options.width ?? WIDTH;
  const plotW = width - 100;
  // Slanted labels reach left; longer ones would leave the first group's off the canvas.
  const categories = options.categories.map((c) => clip(c, 24));
  const names = series.map((s) => s.name);
  const shown = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && (!log || v > 0);
  const rows = series.flatMap((s) =>
    categories.flatMap((category, c) => {
      const value = s.values[c];
      return shown(value) ? [{ category, series: s.name, value, text: fmt(value) }] : [];
    }),
  );
  const groupW = plotW / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  // A value label turns upright when it is wider than its bar, and a category label slants when wider than its group.
  const upright = Math.max(0, ...rows.map((r) => textWidth(r.text, 10))) > barW;
  const slanted = Math.max(0, ...categories.map((c) => textWidth(c))) > groupW - 6;
  const ticks = log && rows.length > 0 ? decades(rows.map((r) => r.value)) : undefined;
  // With nothing to draw a scale has no domain, and Vega's layout goes to infinity: an empty axis from 0 to 1.
  const empty = rows.length === 0 ? { domain: [0, 1] } : {};
  const bars: Encoding = {
    x: {
      field: 'category',
      type: 'nominal',
      scale: { domain: categories, paddingInner: 0.2 },
      axis: { title: null, labelAngle: slanted ? -35 : 0 },
    },
    // An offset scale with no series would have no band to lay out by.
    xOffset: { field: 'series', type: 'nominal', scale: { domain: names.length > 0 ? names : [''], paddingInner: 0.06 } },
    y: {
      field: 'value',
      type: 'quantitative',
      title: unit,
      stack: null,
      scale: ticks ? { type: 'log', domain: [ticks[0] as number, ticks.at(-1) as number] } : { zero: true, nice: true, ...empty },
      axis: ticks ? { format: ',~r', values: ticks } : { format: ',~r', tickCount: 5 },
    },
  };
  const layers: Layer[] = [
    {
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: { ...bars, color: { field: 'series', type: 'nominal', scale: { domain: names }, legend: legend(names, width) } },
    },
    ...haloed(
      upright
        ? { type: 'text', fontSize: 10, angle: -90, align: 'left', baseline: 'middle', dx: 4 }
        : { type: 'text', fontSize: 10, baseline: 'bottom', dy: -3 },
      { data: { values: rows }, encoding: { ...bars, text: { field: 'text' } } },
    ),
  ];
  if (rows.length === 0) layers.push(noData);
  const spec: TopLevelSpec = { title: options.title, width: plotW, height: 240, layer: layers };
  return renderSvg(spec);
}
