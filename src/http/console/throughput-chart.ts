import type { LaneStats } from '../../tasks/task-reads.js';
import { type Html, html } from './html.js';

const width = 600;
const height = 90;
const barWidth = width / 60;

/**
 * A lane's last hour as an inline SVG: one bar a minute, completed below and
 * failed stacked on top, each with a tooltip. Drawn on the server, so the
 * chart needs no script and no library, and its colours follow the page's
 * light or dark scheme through CSS classes.
 */
export function throughputChart(stats: LaneStats): Html {
  const minutes = stats.perMinute;
  const peak = Math.max(1, ...minutes.map((minute) => minute.completed + minute.failed));
  const scale = (n: number) => (n / peak) * height;
  const completed = minutes.reduce((sum, minute) => sum + minute.completed, 0);
  const failed = minutes.reduce((sum, minute) => sum + minute.failed, 0);
  const bars = minutes.map((minute, i) => {
    const x = i * barWidth + 1;
    const ok = scale(minute.completed);
    const bad = scale(minute.failed);
    const label = `${minute.minute.toISOString().slice(11, 16)} UTC: ${minute.completed} completed, ${minute.failed} failed`;
    return html`<g><title>${label}</title><rect class="hit" x="${x - 1}" y="0" width="${barWidth}" height="${height}"/>${
      ok > 0 && html`<rect class="ok" x="${x}" y="${height - ok}" width="${barWidth - 2}" height="${ok}"/>`
    }${bad > 0 && html`<rect class="bad" x="${x}" y="${height - ok - bad}" width="${barWidth - 2}" height="${bad}"/>`}</g>`;
  });
  const summary = `${stats.lane}, last hour: ${completed} completed, ${failed} failed, at most ${peak} a minute`;
  return html`<figure class="chart">
<svg viewBox="0 -12 ${width} ${height + 28}" role="img" aria-label="${summary}">
<line class="axis" x1="0" y1="${height}" x2="${width}" y2="${height}"/>
<line class="grid" x1="0" y1="0" x2="${width}" y2="0"/>
<text class="label" x="0" y="-3">${peak} / min</text>
${bars}
<text class="label" x="0" y="${height + 14}">60 min ago</text>
<text class="label" x="${width}" y="${height + 14}" text-anchor="end">now</text>
</svg>
<figcaption>Last hour: <b>${completed}</b> completed, <b>${failed}</b> failed</figcaption>
</figure>`;
}
