import type { TopLevelSpec } from 'vega-lite';
import { clip, type Encoding, fmt, haloed, type Layer, legend, noData, renderSvg, textWidth, WIDTH } from './render.js';

export interface StackedBar {
  label: string;
  /** One value per part, in the order of `parts`. */
  values: readonly number[];
  note?: string;
}

/** Horizontal bars split into parts (where a total comes from), the total printed at the end of each. */
export function stackedBarChart(
  data: readonly StackedBar[],
  options: { title: string; unit: string; parts: readonly string[]; width?: number },
): Promise<string> {
  const { unit, parts } = options;
  const width = options.width ?? WIDTH;
  const labelChars = Math.floor((width * 0.35) / textWidth('x'));
  const positive = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Math.max(0, v) : 0);
  const bars = data.map((d) => {
    const total = d.values.reduce((sum, v) => sum + positive(v), 0);
    return { label: clip(d.label, labelChars), total, text: [fmt(total), unit, d.note ? `(${d.note})` : ''].filter(Boolean).join(' ') };
  });
  const segments = data.flatMap((d, i) =>
    parts.map((part, p) => ({
      label: bars[i]?.label,
      part,
      order: p,
      value: positive(d.values[p]),
      text: `${d.label}, ${part}: ${fmt(positive(d.values[p]))} ${unit}`,
    })),
  );
  const labelW = Math.max(0, ...bars.map((b) => textWidth(b.label))) + 8;
  const valueW = Math.max(0, ...bars.map((b) => textWidth(b.text))) + 6;
  const y: Encoding['y'] = { field: 'label', type: 'nominal', sort: null, axis: { title: null } };
  const layers: Layer[] = [
    {
      data: { values: segments },
      mark: { type: 'bar', height: 16 },
      encoding: {
        y,
        x: { field: 'value', type: 'quantitative', axis: null, stack: 'zero' },
        color: { field: 'part', type: 'nominal', scale: { domain: [...parts] }, legend: legend(parts, width - labelW) },
        order: { field: 'order', type: 'quantitative' },
        description: { field: 'text' },
      },
    },
    ...haloed(
      { type: 'text', align: 'left', dx: 6 },
      {
        data: { values: bars },
        encoding: { y, x: { field: 'total', type: 'quantitative' }, text: { field: 'text' } },
      },
    ),
  ];
  if (bars.length === 0) layers.push(noData);
  const spec: TopLevelSpec = {
    title: options.title,
    width: Math.max(width - 32 - labelW - valueW, width * 0.25),
    height: { step: 26 },
    layer: layers,
  };
  return renderSvg(spec);
}
