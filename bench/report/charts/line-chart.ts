import type { TopLevelSpec } from 'vega-lite';
import { fmt, type Layer, legend, noData, renderSvg, WIDTH } from './render.js';

export interface LinePoint {
  x: number;
  y: number;
}
export interface Line {
  name: string;
  points: readonly LinePoint[];
}

/** A line with a marker at each point, per series, on linear axes. */
export function lineChart(
  series: readonly Line[],
  options: { title: string; xLabel: string; yUnit: string; width?: number; yFromZero?: boolean },
): Promise<string> {
  const width = options.width ?? WIDTH;
  const names = series.map((s) => s.name);
  const rows = series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .map((p) => ({ series: s.name, x: p.x, y: p.y, text: `${s.name}: ${fmt(p.x)}, ${fmt(p.y)} ${options.yUnit}` })),
  );
  // With nothing to draw a scale has no domain, and Vega's layout goes to infinity: empty axes from 0 to 1.
  const empty = rows.length === 0 ? { domain: [0, 1] } : {};
  const layers: Layer[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 2, strokeJoin: 'round', point: { size: 36, filled: true, stroke: '#fff', strokeWidth: 1 } },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: options.xLabel,
          scale: { zero: false, nice: true, ...empty },
          axis: { grid: false, format: ',~r', tickCount: 6 },
        },
        y: {
          field: 'y',
          type: 'quantitative',
          title: options.yUnit,
          scale: { zero: options.yFromZero ?? false, nice: true, ...empty },
          axis: { format: ',~r', tickCount: 5 },
        },
        color: { field: 'series', type: 'nominal', scale: { domain: names }, legend: legend(names, width) },
        order: { field: 'x', type: 'quantitative' },
        description: { field: 'text' },
      },
    },
  ];
  if (rows.length === 0) layers.push(noData);
  const spec: TopLevelSpec = { title: options.title, width: width - 100, height: 240, layer: layers };
  return renderSvg(spec);
}
