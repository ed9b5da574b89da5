/**
 * Renders a Vega-Lite spec to a standalone SVG document, without a browser.
 * GitHub shows an SVG through an <img>, which runs no scripts and loads no
 * stylesheets or fonts, so the document carries everything inline.
 */
import * as vega from 'vega';
import { type Config, compile, type TopLevelSpec } from 'vega-lite';
import { FONT } from '../svg-text.js';

export { clip } from '../svg-text.js';

// Okabe-Ito, with its yellow last: it is the one colour that is hard to see on white.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
export const TARGET = PALETTE[3] as string;
export const WIDTH = 720;
const INK = '#222';
const MUTED = '#555';

/** Vega's text measurer; its typings leave it out. */
const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number }, text: unknown) => number } }).textMetrics;
// Without a canvas Vega estimates a text at 0.8 em a character, which leaves wide gaps beside the
// labels it lays out by; 0.6 em is still generous for the sans-serif fonts a browser picks. Every
// label is clipped before it gets here (labelLimit 0), so this never needs to truncate.
metrics.width = (item, text) => Math.ceil(0.6 * String(text ?? '').length * (item.fontSize ?? 11));

/** Text widths as the layout sees them, for the few sizes a chart works out itself. */
export const textWidth = (s: string, size = 12) => Math.ceil(0.6 * s.length * size);

const config: Config = {
  font: FONT,
  background: '#fff',
  padding: 16,
  view: { stroke: null },
  range: { category: PALETTE },
  title: { anchor: 'start', fontSize: 16, fontWeight: 600, color: INK, offset: 14 },
  axis: {
    labelFontSize: 12,
    labelColor: MUTED,
    labelLimit: 0,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: MUTED,
    gridColor: '#e3e3e3',
    domainColor: '#888',
    tickColor: '#888',
  },
  // Flush labels would sit beside their ticks at the ends of an axis, off the values they name.
  axisQuantitative: { labelFlush: false },
  axisBand: { labelColor: INK, ticks: false, labelPadding: 8 },
  legend: {
    orient: 'top',
    direction: 'horizontal',
    title: null,
    symbolType: 'square',
    labelFontSize: 12,
    labelColor: INK,
    labelLimit: 0,
    columnPadding: 18,
  },
  text: { fontSize: 12, color: INK },
};

/** Compiles and renders; the same spec gives the same document, byte for byte. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vg } = compile({ ...spec, config } as TopLevelSpec);
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return `${roundGeometry(await view.toSVG())}\n`;
  } finally {
    view.finalize();
  }
}

// Vega writes coordinates with every float digit (5.000000000000005); a tenth of a pixel keeps the files small and diffable.
const roundGeometry = (svg: string) =>
  svg.replace(/ (d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g, (_, name: string, value: string) => {
    const rounded = value.replace(/-?\d+\.\d+/g, (num) => String(Math.round(Number(num) * 10) / 10));
    return ` ${name}="${rounded}"`;
  });

/** Three significant digits at most, but never an exponent and never fewer than the integer digits. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1) return v.toLocaleString('en-US', { maximumSignificantDigits: 3 });
  return v.toLocaleString('en-US', { maximumFractionDigits: a >= 100 ? 0 : a >= 10 ? 1 : 2 });
}

/**
 * A legend across the top that wraps: as many columns as its widest entry allows in the width
 * (Vega lays a horizontal legend out in one row however long).
 */
export function legend(names: readonly string[], width: number): { columns: number } | null {
  // An empty legend would give Vega infinite bounds, and the whole document with them.
  if (names.length === 0) return null;
  const entryW = names.map((name) => 15 + textWidth(name) + 18);
  const fits = (columns: number) =>
    Array.from({ length: columns }, (_, c) => Math.max(...entryW.filter((_, i) => i % columns === c))).reduce((a, b) => a + b, 0) <=
    width - 32;
  let columns = names.length;
  while (columns > 1 && !fits(columns)) columns--;
  return { columns };
}

/** One layer of a layered spec. */
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
type UnitLayer = Extract<Layer, { mark: unknown }>;
type MarkDef = Exclude<UnitLayer['mark'], string>;
/** A layer's encoding, to share channels between layers. */
export type Encoding = NonNullable<UnitLayer['encoding']>;

/** A text layer saying the chart has nothing to show, centred on the plot. */
export const noData: Layer = {
  data: { values: [{ text: 'No data' }] },
  mark: { type: 'text', color: MUTED, x: { expr: 'width / 2' }, y: { expr: 'height / 2' } },
  encoding: { text: { field: 'text' } },
};

/** A value label on a white halo, so a gridline or target line crossing it stays legible (two layers: Vega has no paint-order; screen readers get one). */
export function haloed(mark: MarkDef & { type: 'text' }, layer: Omit<UnitLayer, 'mark'>): Layer[] {
  return [
    { ...layer, mark: { ...mark, stroke: '#fff', strokeWidth: 3, strokeJoin: 'round', aria: false } },
    { ...layer, mark },
  ];
}
