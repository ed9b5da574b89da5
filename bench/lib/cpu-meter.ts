import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the machine's CPU time goes while a load runs: the CPU time of each
 * group of processes, and of the whole machine, read from Linux's /proc
 * before and after. On two cores shared by the load, the server, PostgreSQL
 * and Redis, a ratio of throughputs says little without it.
 */

/** Finds a group's processes; asked at the start and at the end, since PostgreSQL's backends come and go. */
export type Pids = () => readonly number[];

export interface CpuReading {
  elapsedMs: number;
  /** CPU time (user and system) each group spent, ms. A process that exited in between is not counted. */
  byGroup: Record<string, number>;
  /** CPU time the whole machine spent: every process and the kernel's own work. */
  machineMs: number;
  /** What the machine could have spent: elapsed time × cores. */
  capacityMs: number;
}

// Linux reports process times in USER_HZ ticks, which the kernel ABI fixes at 100 a second.
const MS_PER_TICK = 10;

export function meterCpu(groups: Record<string, Pids>): { stop(): CpuReading } {
  const startedAt = performance.now();
  const machineBefore = machineTicks();
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) before.set(pid, processTicks(pid) ?? 0);
  return {
    stop() {
      const byGroup: Record<string, number> = {};
      for (const [group, pids] of Object.entries(groups)) {
        let ticks = 0;
        for (const pid of new Set(pids())) ticks += Math.max(0, (processTicks(pid) ?? 0) - (before.get(pid) ?? 0));
        byGroup[group] = ticks * MS_PER_TICK;
      }
      const machineAfter = machineTicks();
      return {
        elapsedMs: performance.now() - startedAt,
        byGroup,
        machineMs: (machineAfter.busy - machineBefore.busy) * MS_PER_TICK,
        capacityMs: (machineAfter.total - machineBefore.total) * MS_PER_TICK,
      };
    },
  };
}

/** The processes whose command name (`/proc/PID/comm`) is `name`: "postgres", "redis-server". */
export function processesNamed(name: string): Pids {
  return () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => readOrUndefined(`/proc/${pid}/comm`)?.trim() === name);
}

/** Fixed processes, such as a child the benchmark started; those without a pid are left out. */
export function processes(...pids: (number | undefined)[]): Pids {
  return () => pids.filter((pid): pid is number => pid !== undefined);
}

/** A process and every process under it, such as a cluster's primary and its workers. */
export function processTree(root: number | undefined): Pids {
  return () => {
    if (root === undefined) return [];
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readOrUndefined(`/proc/${entry}/stat`);
      if (stat === undefined) continue;
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // ppid, field 4
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    }
    const tree = [root];
    for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
    return tree;
  };
}

function processTicks(pid: number): number | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime and stime, fields 14 and 15
}

function machineTicks(): { busy: number; total: number } {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal; guest time is already inside user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.slice(0, 8).map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process has exited
  }
}

/** CPU time per request or task: each group's, what the groups do not account for as "other", and their sum. */
export interface CpuPerUnit {
  parts: Record<string, number>;
  totalMs: number;
  /** The machine's busy time over its capacity. */
  busyShare: number;
}

export function cpuPerUnit(reading: CpuReading, units: number): CpuPerUnit {
  const parts: Record<string, number> = {};
  let named = 0;
  for (const [group, ms] of Object.entries(reading.byGroup)) {
    parts[group] = ms / units;
    named += ms;
  }
  const other = Math.max(0, reading.machineMs - named);
  parts.other = other / units;
  return { parts, totalMs: (named + other) / units, busyShare: reading.machineMs / reading.capacityMs };
}

/** Two readings as one, for a load measured in rounds between others'. */
export function addReadings(a: CpuReading, b: CpuReading): CpuReading {
  const byGroup: Record<string, number> = { ...a.byGroup };
  for (const [group, ms] of Object.entries(b.byGroup)) byGroup[group] = (byGroup[group] ?? 0) + ms;
  return {
    elapsedMs: a.elapsedMs + b.elapsedMs,
    byGroup,
    machineMs: a.machineMs + b.machineMs,
    capacityMs: a.capacityMs + b.capacityMs,
  };
}
