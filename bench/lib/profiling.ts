import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerProcess } from '../../test/support/server-process.js';
import { type CpuProfile, flameGraph } from '../report/flame-graph.js';
import type { Chart } from './scenario.js';

/** Where the processes the bench starts write their CPU profiles; none unless `npm run bench -- --profile`. */
let target: string | undefined;
let started = 0;

export function profileInto(dir: string | undefined): void {
  target = dir;
}

export function profiling(): boolean {
  return target !== undefined;
}

/**
 * Starts a process, under `node --cpu-prof` while profiling. Its start-up
 * (loading and compiling modules) is left out of its flame graph later.
 */
export async function startProfiled(label: string, start: (nodeArgs: string[]) => Promise<ServerProcess>): Promise<ServerProcess> {
  if (target === undefined) return start([]);
  const dir = join(target, `${String(++started).padStart(2, '0')}-${label}`);
  mkdirSync(dir, { recursive: true });
  const began = performance.now();
  const process = await start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  writeFileSync(join(dir, 'start-up.json'), JSON.stringify({ micros: Math.round((performance.now() - began) * 1000) }));
  return process;
}

/** A flame graph of each profiled process's main thread, for the report. The processes must have exited. */
export function flameGraphs(dir: string, scenario: string): Chart[] {
  const charts: Chart[] = [];
  for (const name of readdirSync(dir).sort()) {
    // Node names a profile CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile; thread 0 is the main one.
    const file = readdirSync(join(dir, name)).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (!file) continue;
    const profile = JSON.parse(readFileSync(join(dir, name, file), 'utf8')) as CpuProfile;
    const { micros } = JSON.parse(readFileSync(join(dir, name, 'start-up.json'), 'utf8')) as { micros: number };
    const label = name.replace(/^\d+-/, '');
    charts.push({
      name: `${scenario}-flame-${name}`,
      caption: `Where the ${label} process spent its CPU during ${scenario} (flame graph, start-up left out)`,
      svg: flameGraph(profile, { title: `${scenario}: ${label}`, skipMicros: micros }),
    });
  }
  return charts;
}
