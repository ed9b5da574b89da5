import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuProfile, flameGraph } from '../../bench/report/flame-graph.js';
import { barChart, groupedBarChart, lineChart, stackedBarChart } from '../../bench/report/svg-charts.js';

/**
 * No XML parser ships with Node, so this checks what a browser would choke
 * on: unbalanced tags, raw markup characters in text, bare ampersands.
 */
function assertWellFormed(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*viewBox="0 0 \d+(\.\d+)? \d+(\.\d+)?"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const bad of ['NaN', 'undefined', 'Infinity', 'null']) assert.ok(!svg.includes(bad), `contains ${bad}`);
  assert.doesNotMatch(svg, /&(?!(amp|lt|gt|quot|apos);)/, 'bare ampersand');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g;
  let last = 0;
  for (const m of svg.matchAll(tag)) {
    assert.ok(m[2], `stray ${m[0]} at ${m.index}: ${svg.slice(m.index - 40, m.index + 40)}`);
    assert.doesNotMatch(svg.slice(last, m.index), /[<>]/);
    last = m.index + m[0].length;
    if (m[4]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `unbalanced </${m[2]}>`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
}

const barWidths = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('barChart', () => {
  const svg = barChart(
    [
      { label: 'in-process', value: 1234.5, note: 'p99 12.34 ms' },
      { label: 'BullMQ', value: 617 },
    ],
    { title: 'Throughput', unit: 'req/s', target: { value: 1000, label: 'goal 1,000 req/s' } },
  );

  it('is a well-formed standalone document', () => {
    assertWellFormed(svg);
    assert.match(svg, /<rect width="720" height="\d+" fill="#fff"\/>/);
  });

  it('prints labels, compact values with the unit and notes, and the target', () => {
    const all = texts(svg);
    for (const s of ['Throughput', 'in-process', 'BullMQ', '1,235 req/s (p99 12.34 ms)', '617 req/s', 'goal 1,000 req/s'])
      assert.ok(all.includes(s), s);
    assert.match(svg, /stroke-dasharray/);
  });

  it('draws a larger value as a longer bar', () => {
    const [a, b] = barWidths(svg);
    assert.ok(a !== undefined && b !== undefined && a > b && b > 0, `${a} vs ${b}`);
  });

  it('escapes markup in every text', () => {
    const out = barChart([{ label: `<a & "b">`, value: 1, note: "it's" }], { title: 'A&B <x>', unit: '"u"' });
    assertWellFormed(out);
    assert.ok(out.includes('&lt;a &amp; &quot;b&quot;&gt;'));
    assert.ok(out.includes('it&apos;s'));
    assert.ok(out.includes('A&amp;B &lt;x&gt;'));
    assert.ok(!out.includes('<a'));
  });

  it('copes with no data, zeros and non-finite values', () => {
    assertWellFormed(barChart([], { title: 'Empty', unit: 'ms' }));
    assert.ok(texts(barChart([], { title: 'Empty', unit: 'ms' })).includes('No data'));
    const zeros = barChart(
      [
        { label: 'a', value: 0 },
        { label: 'b', value: Number.NaN },
      ],
      { title: 'Zero', unit: 'ms' },
    );
    assertWellFormed(zeros);
    assert.deepEqual(barWidths(zeros), [0, 0]);
  });
});

describe('groupedBarChart', () => {
  const series = [
    { name: 'SQLite', values: [0.1234, 12.34, 1500] },
    { name: 'PostgreSQL', values: [0.5, 8, 900] },
  ];
  const categories = ['p50', 'p95', 'p99'];

  it('draws a bar, a value label and a legend entry per series and category', () => {
    const svg = groupedBarChart(series, { title: 'Latency', unit: 'ms', categories });
    assertWellFormed(svg);
    assert.equal(barWidths(svg).length, 6);
    const all = texts(svg);
    for (const s of ['SQLite', 'PostgreSQL', 'p50', 'p95', 'p99', '0.123', '12.3', '1,500', '900', 'ms']) assert.ok(all.includes(s), s);
  });

  it('uses decade ticks on a log scale and skips values it cannot draw', () => {
    const svg = groupedBarChart([{ name: 'a', values: [0.5, 0, -3, 2000] }], {
      title: 'Log',
      unit: 'ms',
      categories: ['w', 'x', 'y', 'z'],
      log: true,
    });
    assertWellFormed(svg);
    assert.equal(barWidths(svg).length, 2);
    const all = texts(svg);
    for (const tick of ['0.1', '1', '10', '100', '1,000', '10,000']) assert.ok(all.includes(tick), tick);
  });

  it('picks 4 to 6 round ticks on a linear scale', () => {
    for (const max of [1, 7, 20, 21, 99, 101, 1234, 0.03]) {
      const svg = groupedBarChart([{ name: 'a', values: [max] }], { title: 't', unit: 'u', categories: ['c'] });
      const ticks = [...svg.matchAll(/text-anchor="end" fill="#555">([^<]*)</g)].length;
      assert.ok(ticks >= 4 && ticks <= 6, `${max}: ${ticks} ticks`);
    }
  });

  it('copes with no series, no categories, all zeros and no positive values on log', () => {
    for (const svg of [
      groupedBarChart([], { title: 'Empty', unit: 'ms', categories: [] }),
      groupedBarChart([{ name: 'a', values: [] }], { title: 'Empty', unit: 'ms', categories: ['x'] }),
      groupedBarChart([{ name: 'a', values: [0, 0] }], { title: 'Zero', unit: 'ms', categories: ['x', 'y'] }),
      groupedBarChart([{ name: 'a', values: [0, -1] }], { title: 'Log', unit: 'ms', categories: ['x', 'y'], log: true }),
    ]) {
      assertWellFormed(svg);
    }
  });
});

describe('lineChart', () => {
  it('draws one polyline with markers per series and labels the axes', () => {
    const svg = lineChart(
      [
        { name: 'in-process', points: [50, 90, 99, 99.9].map((x, i) => ({ x, y: 2 ** i })) },
        { name: 'BullMQ <redis>', points: [{ x: 50, y: 3 }] },
      ],
      { title: 'Latency percentiles', xLabel: 'percentile', yUnit: 'ms', yFromZero: true },
    );
    assertWellFormed(svg);
    assert.equal(svg.match(/<polyline/g)?.length, 2);
    assert.equal(svg.match(/<circle/g)?.length, 5);
    const all = texts(svg);
    for (const s of ['in-process', 'BullMQ &lt;redis&gt;', 'percentile', 'ms', '0', '8', '40', '100']) assert.ok(all.includes(s), s);
  });

  it('copes with no series, no points, one point and non-finite points', () => {
    for (const svg of [
      lineChart([], { title: 'Empty', xLabel: 'x', yUnit: 'y' }),
      lineChart([{ name: 'a', points: [] }], { title: 'Empty', xLabel: 'x', yUnit: 'y' }),
      lineChart([{ name: 'a', points: [{ x: 1, y: 0 }] }], { title: 'One', xLabel: 'x', yUnit: 'y' }),
      lineChart(
        [
          {
            name: 'a',
            points: [
              { x: Number.NaN, y: 1 },
              { x: 2, y: Number.POSITIVE_INFINITY },
            ],
          },
        ],
        { title: 'Bad', xLabel: 'x', yUnit: 'y' },
      ),
    ]) {
      assertWellFormed(svg);
    }
  });
});

describe('stackedBarChart', () => {
  const parts = ['API', 'PostgreSQL', 'other <kernel>'];
  const svg = stackedBarChart(
    [
      { label: 'Bookly & PostgreSQL', values: [1, 2, 0.5], note: '95% busy' },
      { label: 'bare', values: [0.5, 0, 0.25] },
    ],
    { title: 'CPU per request', unit: 'ms', parts },
  );

  it('is well-formed, with a legend entry per part and a segment per part and row', () => {
    assertWellFormed(svg);
    assert.equal(barWidths(svg).length, 6);
    for (const part of ['API', 'PostgreSQL', 'other &lt;kernel&gt;']) assert.ok(svg.includes(`>${part}</text>`), part);
  });

  it('draws each segment in proportion and prints the total with the unit and note', () => {
    const [api, pg, other, bareApi, barePg] = barWidths(svg) as number[];
    assert.ok(Math.abs((pg as number) - 2 * (api as number)) < 0.2);
    assert.ok(Math.abs((api as number) - 2 * (other as number)) < 0.2);
    assert.ok(Math.abs((bareApi as number) - (api as number) / 2) < 0.2);
    assert.equal(barePg, 0);
    assert.ok(texts(svg).includes('3.5 ms (95% busy)'));
    assert.ok(texts(svg).includes('0.75 ms'));
  });

  it('copes with no rows and non-finite values', () => {
    assertWellFormed(stackedBarChart([], { title: 'Empty', unit: 'ms', parts }));
    assertWellFormed(stackedBarChart([{ label: 'x', values: [Number.NaN, 1] }], { title: 'Not finite', unit: 'ms', parts }));
  });
});

describe('flame graph', () => {
  // root → main → (query 30 ms, render 10 ms); 40 ms idle; 20 ms of start-up in `boot`.
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
      { id: 2, callFrame: frame('main', 'file:///app/src/tasks/main.ts'), children: [3, 4] },
      { id: 3, callFrame: frame('query', 'file:///app/node_modules/pg/lib/client.js') },
      { id: 4, callFrame: frame('render<&>', 'node:internal/render') },
      { id: 5, callFrame: frame('(idle)') },
      { id: 6, callFrame: frame('boot', 'file:///app/src/cli.ts') },
    ],
    samples: [6, 6, 3, 3, 3, 4, 5, 5, 5, 5],
    timeDeltas: Array(10).fill(10_000),
  };

  it('draws CPU time as width, leaves out idle time and the start-up, and says so', () => {
    const svg = flameGraph(profile, { title: 'worker', skipMicros: 20_000, width: 1000 });
    assertWellFormed(svg);
    const width = (name: string) => Number(new RegExp(`<title>${name}[^<]*</title><rect [^>]*width="([\\d.]+)"`).exec(svg)?.[1]);
    assert.equal(width('all'), 1000);
    assert.equal(width('main'), 1000);
    assert.equal(width('query'), 750);
    assert.equal(width('render&lt;&amp;&gt;'), 250);
    assert.ok(!svg.includes('>boot<') && !svg.includes('<title>boot'), 'start-up left out');
    assert.match(svg, /40 ms of CPU sampled; the process was idle 50% of the time/);
    assert.match(svg, /<title>query \(pg\/client\.js:1\): 30 ms, 75%<\/title>/);
  });
});
