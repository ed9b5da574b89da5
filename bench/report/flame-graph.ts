/**
 * A flame graph (callers on top, callees below: an icicle) of a V8 CPU
 * profile, as written by `node --cpu-prof`, drawn as a standalone SVG like
 * the other charts. Width is CPU time; idle time is left out and reported.
 */

import { clip, esc, FONT, n as round } from './svg-text.js';

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  /** Microseconds between one sample and the one before it. */
  timeDeltas: number[];
}

export interface FlameGraphOptions {
  title: string;
  /** Leaves out the samples of the first microseconds (a process's start-up). */
  skipMicros?: number;
  width?: number;
}

interface Frame {
  name: string;
  where: string;
  kind: Kind;
  self: number;
  total: number;
  children: Frame[];
}

type Kind = 'project' | 'library' | 'node' | 'native';

const KIND_COLOURS: Record<Kind, readonly string[]> = {
  project: ['#0072B2', '#2b8cc4', '#56B4E9'],
  library: ['#E69F00', '#f0b432', '#D55E00', '#e5803f'],
  node: ['#009E73', '#33b18f'],
  native: ['#9a9a9a', '#b5b5b5'],
};
const KIND_NAMES: Record<Kind, string> = { project: 'Bookly', library: 'libraries', node: 'Node.js', native: 'V8 and native' };
const ROW = 16;
const TOP = 44;

export function flameGraph(profile: CpuProfile, options: FlameGraphOptions): string {
  const width = options.width ?? 1200;
  const { root, idle } = callTree(profile, options.skipMicros ?? 0);
  const busyMs = root.total / 1000;
  const scale = root.total > 0 ? width / root.total : 0;
  const rects: string[] = [];
  let depth = 0;
  const draw = (frame: Frame, x: number, level: number) => {
    const w = frame.total * scale;
    // Narrower than a pixel: invisible anyway, and thousands of them would only weigh the file down.
    if (w < 1) return;
    depth = Math.max(depth, level + 1);
    const y = TOP + level * ROW;
    const share = root.total > 0 ? (100 * frame.total) / root.total : 0;
    const tip = `${frame.name}${frame.where ? ` (${frame.where})` : ''}: ${round(frame.total / 1000)} ms, ${round(share)}%`;
    const fill = colourOf(frame);
    const label = w > 28 ? `<text x="${round(x + 3)}" y="${y + 12}">${esc(clip(frame.name, Math.floor((w - 6) / 6.5)))}</text>` : '';
    rects.push(
      `<g><title>${esc(tip)}</title><rect x="${round(x)}" y="${y}" width="${round(w)}" height="${ROW - 1}" fill="${fill}"/>${label}</g>`,
    );
    let childX = x;
    for (const child of [...frame.children].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, childX, level + 1);
      childX += child.total * scale;
    }
  };
  draw(root, 0, 0);
  const legendY = TOP + depth * ROW + 20;
  const legend = (Object.keys(KIND_NAMES) as Kind[])
    .map((kind, i) => {
      const x = i * 170;
      return `<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${KIND_COLOURS[kind][0]}"/><text x="${x + 18}" y="${legendY}">${KIND_NAMES[kind]}</text>`;
    })
    .join('');
  const idleShare = idle + root.total > 0 ? (100 * idle) / (idle + root.total) : 0;
  const subtitle = `${round(busyMs).toLocaleString('en-US')} ms of CPU sampled; the process was idle ${round(idleShare)}% of the time. Hover a frame for its time.`;
  const height = legendY + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="0" y="16" font-size="14" font-weight="600">${esc(options.title)}</text>`,
    `<text x="0" y="34" fill="#555">${esc(subtitle)}</text>`,
    ...rects,
    legend,
    '</svg>',
  ].join('\n');
}

/** The profile's call tree with CPU time (µs) per frame, idle time apart. */
function callTree(profile: CpuProfile, skipMicros: number): { root: Frame; idle: number } {
  const selfById = new Map<number, number>();
  let elapsed = 0;
  for (const [i, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (elapsed <= skipMicros) continue;
    selfById.set(id, (selfById.get(id) ?? 0) + delta);
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const rootNode = profile.nodes.find((node) => !childIds.has(node.id));
  let idle = 0;
  const build = (id: number): Frame | undefined => {
    const node = byId.get(id);
    if (!node) return undefined;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += selfById.get(id) ?? 0;
      return undefined;
    }
    const children = (node.children ?? []).map(build).filter((child): child is Frame => child !== undefined && child.total > 0);
    const self = selfById.get(id) ?? 0;
    const total = self + children.reduce((sum, child) => sum + child.total, 0);
    return { name: functionName || '(anonymous)', where: where(url, lineNumber), kind: kindOf(functionName, url), self, total, children };
  };
  const root = (rootNode && build(rootNode.id)) ?? { name: '(root)', where: '', kind: 'native', self: 0, total: 0, children: [] };
  return { root: { ...root, name: 'all' }, idle };
}

function kindOf(functionName: string, url: string): Kind {
  if (url.includes('/node_modules/')) return 'library';
  if (url.startsWith('node:')) return 'node';
  if (url.startsWith('file:') || url.startsWith('/')) return 'project';
  return functionName.startsWith('(') || url === '' ? 'native' : 'node';
}

/** `package/file:line` for a library, `src/…:line` for the project. */
function where(url: string, line: number): string {
  if (!url) return '';
  const library = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:.*\/)?([^/]+)$/.exec(url);
  if (library) return `${library[1]}/${library[2]}:${line + 1}`;
  const project = /\/((?:src|bench|test)\/.*)$/.exec(url);
  return `${project ? project[1] : url}:${line + 1}`;
}

/** A colour of the frame's kind, the same one for every frame of the same function. */
function colourOf(frame: Frame): string {
  const colours = KIND_COLOURS[frame.kind];
  let hash = 0;
  for (const char of frame.name) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return colours[Math.abs(hash) % colours.length] as string;
}
