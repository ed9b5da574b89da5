import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChart } from '../../bench/report/charts/bar-chart.js';
import { groupedBarChart } from '../../bench/report/charts/grouped-bar-chart.js';
import { lineChart } from '../../bench/report/charts/line-chart.js';
import { stackedBarChart } from '../../bench/report/charts/stacked-bar-chart.js';
import { assertWellFormed } from '../support/well-formed-svg.js';

/** Each bar's path, `M x,y h w v h …`, as its width and height. */
const bars = (svg: string) =>
  [...svg.matchAll(/<path [^>]*aria-roledescription="bar" d="M[-\d.]+,[-\d.]+h([-\d.]+)v([-\d.]+)h/g)].map((m) => ({
    width: Number(m[1]),
    height: Number(m[2]),
  }));
const texts = (svg: string) => new Set([...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
/** The texts of one kind of guide: role-legend-label, role-axis-label, role-axis-title, role-title-text. */
const guide = (svg: string, role: string) =>
  [...svg.matchAll(new RegExp(`<g class="mark-text ${role}"[^>]*>(.*?)</g>`, 'g'))].flatMap((m) =>
    [...(m[1] as string).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
  );
const count = (svg: string, role: string) => svg.split(`aria-roledescription="${role}"`).length - 1;

describe('barChart', async () => {
  const data = [
    { label: 'in-process', value: 1234.5, note: 'p99 12.34 ms' },
    { label: 'BullMQ', value: 617 },
  ];
  const options = { title: 'Throughput', unit: 'req/s', target: { value: 1000, label: 'goal 1,000 req/s' } };
  const svg = await barChart(data, options);

  it('is a well-formed standalone document on white, the same for the same input', async () => {
    assertWellFormed(svg);
    assert.match(svg, /^<svg [^>]*><rect width="\d+" height="\d+" fill="#fff"\/>/);
    assert.equal(await barChart(data, options), svg);
  });

  it('prints the title, the labels, the values with their unit and note, and the target', () => {
    assert.deepEqual(guide(svg, 'role-title-text'), ['Throughput']);
    assert.deepEqual(guide(svg, 'role-axis-label'), ['in-process', 'BullMQ']);
    for (const s of ['1,235 req/s (p99 12.34 ms)', '617 req/s', 'goal 1,000 req/s']) assert.ok(texts(svg).has(s), s);
    assert.equal(count(svg, 'rule mark'), 1);
    assert.match(svg, /aria-roledescription="rule mark"[^>]*stroke-dasharray="5,4"/);
  });

  it('draws a larger value as a longer bar, in proportion', () => {
    const [a, b] = bars(svg).map((bar) => bar.width) as [number, number];
    assert.ok(Math.abs(a / b - 1234.5 / 617) < 0.01, `${a} vs ${b}`);
  });

  it('escapes markup in every text', async () => {
    const out = await barChart([{ label: `<a & "b">`, value: 1, note: "it's" }], { title: 'A&B <x>', unit: '"u"' });
    assertWellFormed(out);
    assert.ok(texts(out).has('&lt;a &amp; "b"&gt;') || texts(out).has('&lt;a &amp; &quot;b&quot;&gt;'));
    assert.ok(texts(out).has('A&amp;B &lt;x&gt;'));
    assert.ok(!out.includes('<a '));
  });

  it('says when there is no data, and draws zeros and non-finite values as empty bars', async () => {
    const empty = await barChart([], { title: 'Empty', unit: 'ms' });
    assertWellFormed(empty);
    assert.ok(texts(empty).has('No data'));
    const zeros = await barChart(
      [
        { label: 'a', value: 0 },
        { label: 'b', value: Number.NaN },
      ],
      { title: 'Zero', unit: 'ms' },
    );
    assertWellFormed(zeros);
    assert.deepEqual(
      bars(zeros).map((bar) => bar.width),
      [0, 0],
    );
    assert.ok(texts(zeros).has('0 ms'));
  });
});

describe('groupedBarChart', () => {
  const series = [
    { name: 'SQLite', values: [0.1234, 12.34, 1500] },
    { name: 'PostgreSQL', values: [0.5, 8, 900] },
  ];
  const categories = ['p50', 'p95', 'p99'];

  it('draws a bar and a value label per series and category, a legend entry per series, and the unit', async () => {
    const svg = await groupedBarChart(series, { title: 'Latency', unit: 'ms', categories });
    assertWellFormed(svg);
    assert.equal(bars(svg).length, 6);
    assert.deepEqual(guide(svg, 'role-legend-label'), ['SQLite', 'PostgreSQL']);
    assert.deepEqual(guide(svg, 'role-axis-label').slice(0, 3), categories);
    assert.deepEqual(guide(svg, 'role-axis-title'), ['ms']);
    for (const s of ['0.123', '12.3', '1,500', '900']) assert.ok(texts(svg).has(s), s);
    const heights = bars(svg).map((bar) => bar.height);
    assert.ok(Math.abs((heights[2] as number) / (heights[5] as number) - 1500 / 900) < 0.01, 'linear heights');
  });

  it('uses decade ticks on a log scale and leaves out what it cannot draw', async () => {
    const svg = await groupedBarChart([{ name: 'a', values: [0.5, 0, -3, 2000] }], {
      title: 'Log',
      unit: 'ms',
      categories: ['w', 'x', 'y', 'z'],
      log: true,
    });
    assertWellFormed(svg);
    assert.equal(bars(svg).length, 2);
    assert.deepEqual(guide(svg, 'role-axis-label'), ['w', 'x', 'y', 'z', '0.1', '1', '10', '100', '1,000', '10,000']);
    const [small, large] = bars(svg).map((bar) => bar.height) as [number, number];
    assert.ok(small > 0 && large > small, `${small} vs ${large}`);
  });

  it('copes with no series, no categories, all zeros and no positive values on log', async () => {
    for (const svg of await Promise.all([
      groupedBarChart([], { title: 'Empty', unit: 'ms', categories: [] }),
      groupedBarChart([{ name: 'a', values: [] }], { title: 'Empty', unit: 'ms', categories: ['x'] }),
      groupedBarChart([{ name: 'a', values: [0, 0] }], { title: 'Zero', unit: 'ms', categories: ['x', 'y'] }),
      groupedBarChart([{ name: 'a', values: [0, -1] }], { title: 'Log', unit: 'ms', categories: ['x', 'y'], log: true }),
    ])) {
      assertWellFormed(svg);
    }
  });
});

describe('lineChart', () => {
  it('draws one line with a marker per point for each series, a legend, and labels both axes', async () => {
    const svg = await lineChart(
      [
        { name: 'in-process', points: [50, 90, 99, 99.9].map((x, i) => ({ x, y: 2 ** i })) },
        { name: 'BullMQ <redis>', points: [{ x: 50, y: 3 }] },
      ],
      { title: 'Latency percentiles', xLabel: 'percentile', yUnit: 'ms', yFromZero: true },
    );
    assertWellFormed(svg);
    assert.equal(count(svg, 'line mark'), 2);
    assert.equal(count(svg, 'point'), 5);
    assert.deepEqual(guide(svg, 'role-legend-label'), ['in-process', 'BullMQ &lt;redis&gt;']);
    assert.deepEqual(guide(svg, 'role-axis-title').sort(), ['ms', 'percentile']);
    const labels = guide(svg, 'role-axis-label');
    for (const tick of ['0', '8', '50', '100']) assert.ok(labels.includes(tick), tick);
  });

  it('copes with no series, no points, one point and non-finite points', async () => {
    const bad = [
      { x: Number.NaN, y: 1 },
      { x: 2, y: Number.POSITIVE_INFINITY },
    ];
    for (const svg of await Promise.all([
      lineChart([], { title: 'Empty', xLabel: 'x', yUnit: 'y' }),
      lineChart([{ name: 'a', points: [] }], { title: 'Empty', xLabel: 'x', yUnit: 'y' }),
      lineChart([{ name: 'a', points: [{ x: 1, y: 0 }] }], { title: 'One', xLabel: 'x', yUnit: 'y' }),
      lineChart([{ name: 'a', points: bad }], { title: 'Bad', xLabel: 'x', yUnit: 'y' }),
    ])) {
      assertWellFormed(svg);
    }
  });
});

describe('stackedBarChart', async () => {
  const parts = ['API', 'PostgreSQL', 'other <kernel>'];
  const svg = await stackedBarChart(
    [
      { label: 'Bookly & PostgreSQL', values: [1, 2, 0.5], note: '95% busy' },
      { label: 'bare', values: [0.5, 0, 0.25] },
    ],
    { title: 'CPU per request', unit: 'ms', parts },
  );

  it('is well-formed, with a legend entry per part and a segment per part and row', () => {
    assertWellFormed(svg);
    assert.equal(bars(svg).length, 6);
    assert.deepEqual(guide(svg, 'role-legend-label'), ['API', 'PostgreSQL', 'other &lt;kernel&gt;']);
    assert.deepEqual(guide(svg, 'role-axis-label'), ['Bookly &amp; PostgreSQL', 'bare']);
  });

  it('draws each segment in proportion and prints the total with the unit and note', () => {
    const [api, pg, other, bareApi, barePg] = bars(svg).map((bar) => bar.width) as number[];
    assert.ok(Math.abs((pg as number) - 2 * (api as number)) < 0.2);
    assert.ok(Math.abs((api as number) - 2 * (other as number)) < 0.2);
    assert.ok(Math.abs((bareApi as number) - (api as number) / 2) < 0.2);
    assert.equal(barePg, 0);
    assert.ok(texts(svg).has('3.5 ms (95% busy)'));
    assert.ok(texts(svg).has('0.75 ms'));
  });

  it('copes with no rows and non-finite values', async () => {
    const empty = await stackedBarChart([], { title: 'Empty', unit: 'ms', parts });
    assertWellFormed(empty);
    assert.ok(texts(empty).has('No data'));
    assertWellFormed(await stackedBarChart([{ label: 'x', values: [Number.NaN, 1] }], { title: 'Not finite', unit: 'ms', parts }));
  });
});
