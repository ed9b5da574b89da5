/**
 * Charts for the Markdown benchmark report, as standalone SVG documents.
 * GitHub shows an SVG through an <img>, which runs no scripts and loads no
 * stylesheets, so everything is inline and nothing is fetched.
 */

export interface Bar {
  label: string;
  value: number;
  note?: string;
}
export interface Series {
  name: string;
  values: readonly number[];
}
export interface LinePoint {
  x: number;
  y: number;
}
export interface Line {
  name: string;
  points: readonly LinePoint[];
}

// Okabe-Ito, with its yellow last: it is the one colour that is hard to see on white.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const MUTED = '#555';
const GRID = '#e3e3e3';
const PLOT_H = 240;

const colour = (i: number) => PALETTE[i % PALETTE.length] as string;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const esc = (s: string) => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
// Rounded so the files stay small and diffable; non-finite becomes 0 so "NaN" can never reach an attribute.
export const n = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);
// No font metrics without a browser, so widths are estimated generously (0.6 em a character).
const textW = (s: string, size = 12) => s.length * size * 0.6;
export const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s);
const finite = (v: number) => (Number.isFinite(v) ? v : 0);
const extent = (vs: readonly number[], empty: number): [number, number] =>
  vs.length ? [Math.min(...vs), Math.max(...vs)] : [empty, empty];

/** Three significant digits at most, but never an exponent and never fewer than the integer digits. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1) return v.toLocaleString('en-US', { maximumSignificantDigits: 3 });
  return v.toLocaleString('en-US', { maximumFractionDigits: a >= 100 ? 0 : a >= 10 ? 1 : 2 });
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
}

const caption = (x: number, y: number, s: string, attrs = '') =>
  text(x, y, s, `text-anchor="middle" fill="${MUTED}"${attrs ? ` ${attrs}` : ''}`);
const noData = (x: number, y: number) => caption(x, y, 'No data', 'dy="0.35em"');

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${attrs}/>`;
}

function svg(width: number, height: number, title: string, body: readonly string[]): string {
  const [w, h] = [n(width), n(height)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}" font-family="${FONT}" font-size="12" fill="#222">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    text(16, 26, title, 'font-size="16" font-weight="600"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Steps of 1, 2, 2.5 or 5 times a power of ten over about four intervals: 4 to 6 round-numbered ticks. */
function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) {
    // A flat series still needs a span; widen away from zero so a zero baseline stays put.
    const pad = Math.abs(hi) / 2 || 1;
    if (lo !== 0) lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  // The epsilon keeps float noise (0.3 / 0.1 = 2.999…) from adding an empty interval.
  for (let i = Math.floor(lo / step + 1e-9); i <= Math.ceil(hi / step - 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Whole decades, thinned to at most six; with 2 and 5 between them when a single decade would give only two ticks. */
function logTicks(min: number, max: number): number[] {
  const lo = Math.ceil(Math.log10(min)) - 1; // strictly below the smallest value, so its bar is never zero-high
  const top = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const every = Math.ceil((top - lo) / 5);
  const hi = lo + Math.ceil((top - lo) / every) * every;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += every) {
    for (const m of hi - lo === 1 && e < hi ? [1, 2, 5] : [1]) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return ticks;
}

type Scale = (v: number) => number;
function scale(ticks: readonly number[], log: boolean, from: number, to: number): Scale {
  const f = log ? Math.log10 : (v: number) => v;
  const [d0, d1] = [f(ticks[0] ?? 0), f(ticks.at(-1) ?? 1)];
  return (v) => from + ((f(v) - d0) / (d1 - d0 || 1)) * (to - from);
}

/** Legend items flow left to right and wrap; returns the height used. */
function legend(out: string[], items: readonly { name: string }[], x0: number, maxX: number): number {
  const y0 = 48;
  let [x, y] = [x0, y0];
  items.forEach(({ name }, i) => {
    const w = 14 + textW(name) + 18;
    if (x > x0 && x + w > maxX) [x, y] = [x0, y + 18];
    out.push(`<rect x="${n(x)}" y="${n(y - 5)}" width="10" height="10" fill="${colour(i)}"/>`, text(x + 14, y, name, 'dy="0.35em"'));
    x += w;
  });
  return items.length ? y - y0 + 22 : 0;
}

/** Gridlines and tick labels; the axis title runs upright in the left margin, where nothing can collide with it. */
function yAxis(ticks: readonly number[], y: Scale, left: number, right: number, title: string, out: string[]): void {
  for (const t of ticks) {
    out.push(
      line(left, y(t), right, y(t), `stroke="${GRID}"`),
      text(left - 6, y(t), fmt(t), `dy="0.35em" text-anchor="end" fill="${MUTED}"`),
    );
  }
  const mid = (y(ticks[0] ?? 0) + y(ticks.at(-1) ?? 0)) / 2;
  out.push(`<text transform="translate(24 ${n(mid)}) rotate(-90)" text-anchor="middle" fill="${MUTED}">${esc(title)}</text>`);
}

const tickLabelW = (ticks: readonly number[]) => Math.max(...ticks.map((t) => textW(fmt(t))));
// The value labels sit on a white halo so a gridline or target line crossing them stays legible.
const HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"';

export function barChart(
  data: readonly Bar[],
  options: { title: string; unit: string; target?: { value: number; label: string }; width?: number },
): string {
  const { unit, target } = options;
  const width = options.width ?? 720;
  const [rowH, barH] = [26, 16];
  const labelChars = Math.floor((width * 0.35) / textW('x'));
  const label = (d: Bar) => clip(d.label, labelChars);
  const valueText = (d: Bar) => [fmt(d.value), unit, d.note ? `(${d.note})` : ''].filter(Boolean).join(' ');
  const x0 = 16 + Math.max(0, ...data.map((d) => textW(label(d)))) + 10;
  const valueW = Math.max(0, ...data.map((d) => textW(valueText(d)))) + 14;
  const plotW = Math.max(width - x0 - valueW - 16, width * 0.25);
  const max = Math.max(0, finite(target?.value ?? 0), ...data.map((d) => finite(d.value)));
  const x = (v: number) => x0 + (Math.max(0, finite(v)) / (max || 1)) * plotW;
  const top = 44 + (target ? 20 : 0);
  const bottom = top + Math.max(1, data.length) * rowH;
  const out: string[] = [];
  data.forEach((d, i) => {
    const y = top + i * rowH;
    out.push(
      `<rect class="bar" x="${n(x0)}" y="${n(y + (rowH - barH) / 2)}" width="${n(x(d.value) - x0)}" height="${barH}" fill="${colour(0)}"><title>${esc(`${d.label}: ${valueText(d)}`)}</title></rect>`,
      text(x0 - 8, y + rowH / 2, label(d), 'dy="0.35em" text-anchor="end"'),
      text(x(d.value) + 6, y + rowH / 2, valueText(d), `dy="0.35em" ${HALO}`),
    );
  });
  if (data.length === 0) out.push(noData(x0 + plotW / 2, top + rowH / 2));
  out.push(line(x0, top, x0, bottom, 'stroke="#888"'));
  if (target) {
    const tx = x(target.value);
    const half = textW(target.label) / 2;
    out.push(
      line(tx, top - 6, tx, bottom, `stroke="${colour(3)}" stroke-width="1.5" stroke-dasharray="5 4"`),
      text(Math.min(Math.max(tx, x0 + half), width - 8 - half), top - 10, target.label, `text-anchor="middle" fill="${colour(3)}"`),
    );
  }
  return svg(width, bottom + 16, options.title, out);
}

export function groupedBarChart(
  series: readonly Series[],
  options: { title: string; unit: string; categories: readonly string[]; log?: boolean; width?: number },
): string {
  const { categories, unit } = options;
  const log = options.log ?? false;
  const width = options.width ?? 720;
  const shown = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && (!log || v > 0);
  const values = series.flatMap((s) => s.values.slice(0, categories.length).filter(shown));
  const ticks = log ? logTicks(...extent(values, 10)) : niceTicks(...extent([0, ...values], 0));
  const out: string[] = [];
  const left = 32 + tickLabelW(ticks) + 10;
  const right = width - 16;
  const legendH = legend(out, series, left, right);
  const groupW = (right - left) / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  // Value labels turn upright when wider than their bar, and the plot makes room above for the tallest.
  const valueLabelW = Math.max(0, ...values.map((v) => textW(fmt(v), 10)));
  const upright = valueLabelW > barW + 2;
  const plotTop = 44 + legendH + (upright ? valueLabelW + 8 : 16);
  const plotBottom = plotTop + PLOT_H;
  const y = scale(ticks, log, plotBottom, plotTop);
  const base = y(log ? (ticks[0] as number) : 0);
  yAxis(ticks, y, left, right, unit, out);
  const catChars = 24; // slanted labels reach left; longer ones would leave the first group's off the canvas
  const slanted = Math.max(0, ...categories.map((c) => textW(clip(c, catChars)))) > groupW - 6;
  categories.forEach((category, c) => {
    const cx = left + groupW * (c + 0.5);
    series.forEach((s, i) => {
      const v = s.values[c];
      if (!shown(v)) return;
      const bx = left + groupW * c + groupW * 0.1 + barW * i;
      const [y0, y1] = [Math.min(y(v), base), Math.max(y(v), base)];
      const lx = bx + barW / 2;
      const ly = v < 0 ? y1 + 4 : y0 - 4;
      out.push(
        `<rect class="bar" x="${n(bx + 1)}" y="${n(y0)}" width="${n(Math.max(1, barW - 2))}" height="${n(y1 - y0)}" fill="${colour(i)}"><title>${esc(`${s.name}, ${category}: ${fmt(v)} ${unit}`)}</title></rect>`,
        upright
          ? `<text transform="translate(${n(lx + 3.5)} ${n(ly)}) rotate(-90)" font-size="10" text-anchor="${v < 0 ? 'end' : 'start'}" ${HALO}>${esc(fmt(v))}</text>`
          : text(lx, v < 0 ? ly + 8 : ly, fmt(v), `font-size="10" text-anchor="middle" ${HALO}`),
      );
    });
    const attrs = slanted ? `transform="rotate(-35 ${n(cx)} ${n(plotBottom + 14)})" text-anchor="end"` : 'text-anchor="middle"';
    out.push(text(cx, plotBottom + 14 + (slanted ? 0 : 4), clip(category, catChars), attrs));
  });
  if (values.length === 0) out.push(noData((left + right) / 2, (plotTop + plotBottom) / 2));
  out.push(line(left, base, right, base, 'stroke="#888"'));
  const catH = slanted ? Math.max(...categories.map((c) => textW(clip(c, catChars)))) * 0.5 + 24 : 28;
  return svg(width, plotBottom + catH + 12, options.title, out);
}

export function lineChart(
  series: readonly Line[],
  options: { title: string; xLabel: string; yUnit: string; width?: number; yFromZero?: boolean },
): string {
  const width = options.width ?? 720;
  const ok = (p: LinePoint) => Number.isFinite(p.x) && Number.isFinite(p.y);
  const lines = series.map((s) => ({ name: s.name, points: s.points.filter(ok).sort((a, b) => a.x - b.x) }));
  const all = lines.flatMap((l) => l.points);
  const [xs, ys] = [all.map((p) => p.x), all.map((p) => p.y)];
  const xTicks = niceTicks(...extent(xs, 0));
  const yTicks = niceTicks(...extent(options.yFromZero ? [0, ...ys] : ys, 0));
  const out: string[] = [];
  const left = 32 + tickLabelW(yTicks) + 10;
  const right = width - 16 - textW(fmt(xTicks.at(-1) ?? 0)) / 2;
  const plotTop = 56 + legend(out, lines, left, right);
  const plotBottom = plotTop + PLOT_H;
  const x = scale(xTicks, false, left, right);
  const y = scale(yTicks, false, plotBottom, plotTop);
  yAxis(yTicks, y, left, right, options.yUnit, out);
  for (const t of xTicks) {
    out.push(line(x(t), plotBottom, x(t), plotBottom + 4, 'stroke="#888"'), caption(x(t), plotBottom + 18, fmt(t)));
  }
  out.push(line(left, plotBottom, right, plotBottom, 'stroke="#888"'), caption((left + right) / 2, plotBottom + 38, options.xLabel));
  lines.forEach((l, i) => {
    const pts = l.points.map((p) => `${n(x(p.x))},${n(y(p.y))}`);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colour(i)}" stroke-width="2" stroke-linejoin="round"/>`);
    for (const p of l.points) {
      out.push(
        `<circle cx="${n(x(p.x))}" cy="${n(y(p.y))}" r="3" fill="${colour(i)}" stroke="#fff"><title>${esc(`${l.name}: ${fmt(p.x)}, ${fmt(p.y)} ${options.yUnit}`)}</title></circle>`,
      );
    }
  });
  if (all.length === 0) out.push(noData((left + right) / 2, (plotTop + plotBottom) / 2));
  return svg(width, plotBottom + 54, options.title, out);
}

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
): string {
  const { unit, parts } = options;
  const width = options.width ?? 720;
  const [rowH, barH] = [26, 16];
  const out: string[] = [];
  const labelChars = Math.floor((width * 0.35) / textW('x'));
  const x0 = 16 + Math.max(0, ...data.map((d) => textW(clip(d.label, labelChars)))) + 10;
  const total = (d: StackedBar) => d.values.reduce((sum, v) => sum + Math.max(0, finite(v)), 0);
  const valueText = (d: StackedBar) => [fmt(total(d)), unit, d.note ? `(${d.note})` : ''].filter(Boolean).join(' ');
  const valueW = Math.max(0, ...data.map((d) => textW(valueText(d)))) + 14;
  const plotW = Math.max(width - x0 - valueW - 16, width * 0.25);
  const max = Math.max(0, ...data.map(total));
  const w = (v: number) => (Math.max(0, finite(v)) / (max || 1)) * plotW;
  const top =
    44 +
    legend(
      out,
      parts.map((name) => ({ name })),
      x0,
      width - 16,
    ) +
    4;
  const bottom = top + Math.max(1, data.length) * rowH;
  data.forEach((d, i) => {
    const y = top + i * rowH;
    let x = x0;
    d.values.forEach((v, p) => {
      const part = parts[p] ?? '';
      out.push(
        `<rect class="bar" x="${n(x)}" y="${n(y + (rowH - barH) / 2)}" width="${n(w(v))}" height="${barH}" fill="${colour(p)}"><title>${esc(`${d.label}, ${part}: ${fmt(v)} ${unit}`)}</title></rect>`,
      );
      x += w(v);
    });
    out.push(
      text(x0 - 8, y + rowH / 2, clip(d.label, labelChars), 'dy="0.35em" text-anchor="end"'),
      text(x + 6, y + rowH / 2, valueText(d), `dy="0.35em" ${HALO}`),
    );
  });
  if (data.length === 0) out.push(noData(x0 + plotW / 2, top + rowH / 2));
  out.push(line(x0, top, x0, bottom, 'stroke="#888"'));
  return svg(width, bottom + 16, options.title, out);
}
