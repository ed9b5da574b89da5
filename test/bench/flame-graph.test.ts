import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuProfile, flameGraph } from '../../bench/report/flame-graph.js';
import { assertWellFormed } from '../support/well-formed-svg.js';

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
