/**
 * CPU time and resident memory of process groups, from /proc: the proxy's
 * own CPU (master and every worker), so the load generator's share never
 * counts against it.
 */
import * as fs from 'fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const HZ = 100;
const PAGE_KB = 4;

export interface ProcSample {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** utime + stime, ms. */
  readonly cpuMs: number;
  readonly rssKb: number;
  readonly comm: string;
}

/** Fields of /proc/<pid>/stat after the command (which may contain spaces and parentheses). */
export function parseStat(text: string): { comm: string; ppid: number; pgrp: number; cpuMs: number; rssKb: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] = state (field 3); utime = field 14, stime = 15, rss = 24 (pages).
  return { comm, ppid: Number(f[1]), pgrp: Number(f[2]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / HZ, rssKb: Number(f[21]) * PAGE_KB };
}

/** Every live process whose process group is one of `groups`. */
export function sampleGroups(groups: readonly number[]): ProcSample[] {
  const want = new Set(groups);
  const out: ProcSample[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const s = parseStat(text);
    if (want.has(s.pgrp)) out.push({ pid: Number(name), ...s });
  }
  return out;
}

/** Total CPU ms of the groups' processes. */
export function cpuMsOf(samples: readonly ProcSample[]): number {
  return samples.reduce((s, p) => s + p.cpuMs, 0);
}

/**
 * CPU used between two samples of the same groups. A process that exited in
 * between is lost (its time goes to its parent's cutime only when reaped), so
 * the load test checks that the pid set did not change.
 */
export function cpuDeltaMs(before: readonly ProcSample[], after: readonly ProcSample[]): { ms: number; samePids: boolean } {
  const b = new Map(before.map(p => [p.pid, p.cpuMs]));
  let ms = 0;
  for (const p of after) ms += p.cpuMs - (b.get(p.pid) ?? 0);
  const samePids = before.length === after.length && after.every(p => b.has(p.pid));
  return { ms, samePids };
}

/** Each process's share of the CPU the groups used between two samples, largest first (how evenly the workers carried the load). */
export function cpuShares(before: readonly ProcSample[], after: readonly ProcSample[]): number[] {
  const b = new Map(before.map(p => [p.pid, p.cpuMs]));
  const deltas = after.map(p => p.cpuMs - (b.get(p.pid) ?? 0));
  const total = deltas.reduce((x, y) => x + y, 0);
  return total > 0 ? deltas.map(d => d / total).sort((x, y) => y - x) : [];
}

/**
 * Time the groups' threads spent runnable but waiting for a CPU, ms (the second field of
 * /proc/<pid>/task/<tid>/schedstat): how much other work on the same core held them back.
 */
export function runQueueWaitMs(pids: readonly number[]): number {
  let ns = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        // thread gone
      }
    }
  }
  return ns / 1e6;
}

/** The machine's CPU pressure: share of the last 10 s in which some runnable task waited for a CPU (/proc/pressure/cpu). */
export function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Busy ms of each CPU since boot (user + nice + system + irq + softirq + steal), from /proc/stat. */
export function cpuBusyMs(): number[] {
  const ticks = 1000 / HZ;
  return fs.readFileSync('/proc/stat', 'utf8').split('\n').filter(l => /^cpu\d+ /.test(l)).map(l => {
    const f = l.split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * ticks;
  });
}

export interface ProcessMemory {
  readonly pid: number;
  /** Resident set, MB. */
  readonly rssMb: number;
  /** Proportional set (shared pages split between the processes sharing them), MB: what adds up to the pod's memory. */
  readonly pssMb: number;
  /** The process serves requests (false: a supervisor such as gunicorn's master or granian's main process). */
  readonly worker: boolean;
}

/**
 * Memory of every process of the groups, from /proc/<pid>/smaps_rollup. A process with children
 * is a supervisor; a small one (under 100 MB: e.g. multiprocessing's resource tracker) is a helper.
 */
export function memoryOf(groups: readonly number[]): ProcessMemory[] {
  const procs = sampleGroups(groups);
  const parents = new Set(procs.map(p => p.ppid));
  return procs.map(p => {
    let pssKb = p.rssKb;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
      if (m) pssKb = Number(m[1]);
    } catch {
      // gone, or no smaps_rollup: RSS stands in
    }
    return { pid: p.pid, rssMb: p.rssKb / 1024, pssMb: pssKb / 1024, worker: !parents.has(p.pid) && p.rssKb > 100 * 1024 };
  });
}
