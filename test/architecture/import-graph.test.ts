import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src', import.meta.url));

/** Every module under src/ and the modules it imports (type-only imports included: they are a dependency all the same). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        const targets = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((match) =>
          relative(src, resolve(dirname(path), (match[1] as string).replace(/\.js$/, '.ts'))),
        );
        graph.set(relative(src, path), targets);
      }
    }
  };
  walk(src);
  return graph;
}

/** One circle of imports, if there is any: the modules in order, the first repeated at the end. */
function findCircle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const circle = visit(node);
    if (circle) return circle;
  }
  return undefined;
}

describe('the import graph of src/', () => {
  it('has no circle', () => {
    const graph = importGraph();
    assert.ok(graph.size > 50, `read ${graph.size} modules`);
    assert.equal(findCircle(graph)?.join(' → '), undefined);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const graph = new Map([
      ['deps.ts', ['services/a.ts']],
      ['services/a.ts', ['tasks/define.ts']],
      ['tasks/define.ts', ['deps.ts']],
    ]);
    assert.deepEqual(findCircle(graph), ['deps.ts', 'services/a.ts', 'tasks/define.ts', 'deps.ts']);
  });

  it('keeps the task engine free of the services and of deps.ts', () => {
    for (const [module, imports] of importGraph()) {
      if (!module.startsWith('tasks/')) continue;
      for (const target of imports) assert.ok(!target.startsWith('services/') && target !== 'deps.ts', `${module} imports ${target}`);
    }
  });
});
