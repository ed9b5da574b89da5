import type { TopLevelSpec } from 'vega-lite';
import { clip, type Encoding, fmt, haloed, type Layer, noData, PALETTE, renderSvg, TARGET, textWidth, WIDTH } from './render.js';

export interface Bar {
  label: string;
  value: number;
  note?: string;
}

/** Horizontal bars, the value (with its unit and note) at the end of each, and an optional dashed target line. */
export function barChart(
  data: readonly Bar[],
  options: { title: string; unit: string; target?: { value: number; label: string }; width?: number },
): Promise<string> {
  const { unit, target } = options;
  const width = options.width ?? WIDTH;
  const labelChars = Math.floor((width * 0.35) / textWidth('x'));
  const rows = data.map((d) => {
    const value = Number.isFinite(d.value) ? Math.max(0, d.value) : 0;
    return { label: clip(d.label, labelChars), value, text: [fmt(value), unit, d.note ? `(${d.note})` : ''].filter(Boolean).join(' ') };
  });
  const labelW = Math.max(0, ...rows.map((r) => textWidth(r.label))) + 8;
  const valueW = Math.max(0, ...rows.map((r) => textWidth(r.text))) + 6;
  const bar: Encoding = {
    y: { field: 'label', type: 'nominal', sort: null, axis: { title: null } },
    x: { field: 'value', type: 'quantitative', axis: null, scale: { domainMin: 0 } },
  };
  const layers: Layer[] = [
    { data: { values: rows }, mark: { type: 'bar', color: PALETTE[0], height: 16 }, encoding: bar },
    ...haloed({ type: 'text', align: 'left', dx: 6 }, { data: { values: rows }, encoding: { ...bar, text: { field: 'text' } } }),
  ];
  if (target) {
    layers.push(
      {
        data: { values: [target] },
        mark: { type: 'rule', color: TARGET, strokeWidth: 1.5, strokeDash: [5, 4], y: -6, y2: { expr: 'height' } },
        encoding: { x: bar.x },
      },
      {
        data: { values: [target] },
        mark: { type: 'text', color: TARGET, y: -10, baseline: 'bottom' },
        encoding: { x: bar.x, text: { field: 'label' } },
      },
    );
  }
  if (rows.length === 0) layers.push(noData);
  const spec: TopLevelSpec = {
    title: options.title,
    width: Math.max(width - 32 - labelW - valueW, width * 0.25),
    height: { step: 26 },
    layer: layers,
  };
  return renderSvg(spec);
}
