/**
 * Tables and charts of load-test runs (pure: results in, text out).
 *
 *   node --import tsx scripts/loadtest/report.ts RUN.json [RUN2.json] --out DIR
 *
 * writes DIR/README.md (the runs' tables, the reproducibility of the ratios,
 * the edge's overhead, the scaling evidence), DIR/sweep.svg and DIR/scaling.svg.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigResult, RunResult, ScalingEvidence, StepRecord } from './result';
import { median, relativeDifference } from './stats';

/** The configuration every ratio is taken against. */
export const BASELINE = 'uvicorn-1w';

const f0 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(0));
const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(1));
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(2));
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : `${(n * 100).toFixed(0)} %`);

/** Requests per second sustained within the target (per CPU: the budget is one CPU). */
export function chatCapacity(c: ConfigResult): number | undefined {
  return c.chat.best?.achievedRps;
}

/** Concurrent streams sustained within the target (mean in flight at the best rate). */
export function streamCapacity(c: ConfigResult): number | undefined {
  return c.stream.best?.meanInFlight;
}

/** Share of the budget a step must use to count as "at load" for the CPU cost per request. */
export const AT_LOAD = 0.6;

/**
 * CPU ms per request at load: the median over the configuration's steps (passed or not) in which the
 * proxy used at least AT_LOAD of its budget. Steady where the capacity search is coarse: it needs no
 * latency threshold, and the idle overhead (timers, the event loop) is spread thin.
 */
export function loadedCpuMsPerReq(c: ConfigResult, kind: 'chat' | 'stream'): number | undefined {
  const xs = c[kind].steps.filter(s => s.proxyCpuShare >= AT_LOAD && s.pidsStable !== false).map(s => s.proxyCpuMsPerReq).filter(Number.isFinite);
  return xs.length ? median(xs) : undefined;
}

/** Chat requests per second one CPU carries when CPU-bound: 1000 ÷ CPU ms per request at load. */
export function cpuBoundRps(c: ConfigResult): number | undefined {
  const ms = loadedCpuMsPerReq(c, 'chat');
  return ms === undefined ? undefined : 1000 / ms;
}

function workers(mem: ConfigResult['memoryReady']): ConfigResult['memoryReady'] {
  return mem.filter(m => m.worker);
}

/** "ready → after" RSS of the worker processes, MB (mean over workers). */
export function workerRss(c: ConfigResult): { ready: number; after: number } {
  const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
  return { ready: mean(workers(c.memoryReady).map(m => m.rssMb)), after: mean(workers(c.memoryAfter).map(m => m.rssMb)) };
}

/** Sum of PSS of every process of the configuration (all pods), MB: what the pods' memory cgroups would hold. */
export function totalPss(mem: ConfigResult['memoryReady']): number {
  return mem.reduce((s, m) => s + m.pssMb, 0);
}

function errorsIn(steps: readonly StepRecord[]): string {
  const kinds: Record<string, number> = {};
  for (const s of steps) for (const [k, n] of Object.entries(s.errorKinds)) kinds[k] = (kinds[k] ?? 0) + n;
  const e = Object.entries(kinds);
  return e.length ? e.map(([k, n]) => `${n} ${k}`).join(', ') : '0';
}

/** Other work on the proxy's CPU during the configuration's steps (median), and the machine's CPU pressure (highest). */
function contention(c: ConfigResult): string {
  const steps = [...c.chat.steps, ...c.stream.steps];
  const foreign = median(steps.map(s => s.foreignCpuShare ?? NaN).filter(Number.isFinite));
  const psi = Math.max(...steps.map(s => s.cpuPressure ?? 0));
  return `${pct(foreign)} / ${f0(psi)}`;
}

/** Capacity per CPU of the budget (a two-CPU budget also carries the rig: its CPUs are not all the proxy's). */
export function perCpu(v: number | undefined, c: ConfigResult): number | undefined {
  return v === undefined ? undefined : v / (c.budget ?? 1);
}

/** One run's table. */
export function renderRunTable(run: RunResult): string {
  const t = run.targets;
  const rows = run.configs.map(c => {
    const rss = workerRss(c);
    const cb = c.chat.best;
    const sb = c.stream.best;
    const per = (v: number | undefined): string => ((c.budget ?? 1) > 1 ? ` (${f1(perCpu(v, c))}/CPU)` : '');
    const shares = cb?.processCpuShares ?? [];
    const balance = c.pods * c.workersPerPod > 1 && shares.length > 1 ? `; busiest process ${pct(shares[0])} of the CPU` : '';
    return `| ${c.label} | ${c.budget ?? 1} | ${c.server} ${c.pods}×${c.workersPerPod}${balance} | **${f1(chatCapacity(c))}**${per(chatCapacity(c))} | ${f0(cb?.p99AddedMs)} | ${f1(loadedCpuMsPerReq(c, 'chat'))} | ${f0(cpuBoundRps(c))} | **${f1(streamCapacity(c))}**${per(streamCapacity(c))} | ${f0(sb?.p99AddedMs)} | ${f0(loadedCpuMsPerReq(c, 'stream'))} | ${f0(rss.ready)} → ${f0(rss.after)} | ${f0(totalPss(c.memoryReady))} → ${f0(totalPss(c.memoryAfter))} | ${errorsIn([...c.chat.steps, ...c.stream.steps].filter(s => !s.pass))}${c.crashes ? `; ${c.crashes} pod crash(es)` : ''} | ${f2(cb?.edgeCpuMsPerReq)} | ${contention(c)} |`;
  });
  return [
    `| Configuration | CPUs | server pods×workers | chat req/s at p99 ≤ ${t.chat.p99AddedMs} ms | its p99 added (ms) | proxy CPU ms/req at load | req/s per CPU if CPU-bound (1000 ÷ CPU ms) | concurrent streams at p99 ≤ ${t.stream.p99AddedMs} ms | its p99 added (ms) | proxy CPU ms/stream | RSS per worker, MB (ready → after) | PSS of all processes, MB (ready → after) | errors in steps past capacity | nginx CPU ms/req | other work on CPU 1 / machine CPU pressure |`,
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...rows,
  ].join('\n');
}

export interface Ratio {
  readonly id: string;
  readonly chat?: number;
  readonly stream?: number;
  readonly cpuPerReq?: number;
  /** Chat requests per CPU when CPU-bound, relative to the baseline. */
  readonly cpuBound?: number;
}

/** Each configuration against the baseline of the same run, per CPU. */
export function ratios(run: RunResult): Ratio[] {
  const base = run.configs.find(c => c.id === BASELINE);
  if (!base) return [];
  const div = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined || b === 0 ? undefined : a / b;
  return run.configs.map(c => ({
    id: c.id,
    chat: div(perCpu(chatCapacity(c), c) ?? NaN, chatCapacity(base)),
    stream: div(perCpu(streamCapacity(c), c) ?? NaN, streamCapacity(base)),
    cpuPerReq: div(loadedCpuMsPerReq(c, 'chat') ?? NaN, loadedCpuMsPerReq(base, 'chat')),
    cpuBound: div(cpuBoundRps(c) ?? NaN, cpuBoundRps(base)),
  }));
}

/** The largest relative difference of the ratios of two runs. */
export function worstDifference(a: RunResult, b: RunResult, keys: ReadonlyArray<'chat' | 'stream' | 'cpuPerReq' | 'cpuBound'> = ['chat', 'stream', 'cpuPerReq']): number {
  let worst = 0;
  const rb = ratios(b);
  for (const x of ratios(a)) {
    const y = rb.find(r => r.id === x.id);
    if (!y || x.id === BASELINE) continue;
    for (const k of keys) {
      const p = x[k];
      const q = y[k];
      if (p !== undefined && q !== undefined && Number.isFinite(p) && Number.isFinite(q)) worst = Math.max(worst, relativeDifference(p, q));
    }
  }
  return worst;
}

/** The ratios of two runs side by side, with their relative difference. */
export function renderReproducibility(a: RunResult, b: RunResult): string {
  const ra = ratios(a);
  const rb = ratios(b);
  const rows: string[] = [];
  for (const x of ra) {
    const y = rb.find(r => r.id === x.id);
    if (!y || x.id === BASELINE) continue;
    const cell = (p?: number, q?: number): string => {
      if (p === undefined || q === undefined || !Number.isFinite(p) || !Number.isFinite(q)) return '–';
      return `${f2(p)} / ${f2(q)} (${(relativeDifference(p, q) * 100).toFixed(0)} %)`;
    };
    const label = a.configs.find(c => c.id === x.id)?.label ?? x.id;
    rows.push(`| ${label} | ${cell(x.chat, y.chat)} | ${cell(x.stream, y.stream)} | ${cell(x.cpuPerReq, y.cpuPerReq)} | ${cell(x.cpuBound, y.cpuBound)} |`);
  }
  const worst = worstDifference(a, b);
  return [
    `| per CPU, relative to ${a.configs.find(c => c.id === BASELINE)?.label ?? BASELINE} | chat capacity at the target: run 1 / run 2 (difference) | concurrent streams at the target | proxy CPU per request at load | req/s per CPU if CPU-bound |`,
    '|---|---:|---:|---:|---:|',
    ...rows,
    '',
    `Largest difference between the two runs: **${(worst * 100).toFixed(0)} %** over every ratio; `
      + `${(worstDifference(a, b, ['cpuPerReq', 'cpuBound']) * 100).toFixed(0)} % for the CPU cost ratios, ${(worstDifference(a, b, ['chat']) * 100).toFixed(0)} % for chat capacity at the target, `
      + `${(worstDifference(a, b, ['stream']) * 100).toFixed(0)} % for concurrent streams at the target.`,
  ].join('\n');
}

/** The two-CPU configurations under fixed loads. */
export function renderBalance(run: RunResult): string {
  const rows: string[] = [];
  for (const b of run.balance ?? []) {
    for (const s of b.steps) {
      rows.push(`| ${b.label} | ${f1(s.offeredRps)} | ${f0(s.p50AddedMs)} / ${f0(s.p99AddedMs)} | ${f0(s.proxyCpuShare * 200)} % | ${s.processCpuShares.filter(x => x >= 0.01).map(x => pct(x)).join(' / ')} | ${s.errors} |`);
    }
  }
  if (rows.length === 0) return '';
  return [
    '| Two CPUs, fixed load | chat req/s offered | p50 / p99 added (ms) | proxy CPU (of one CPU) | each process\'s share of it | errors |',
    '|---|---:|---:|---:|---|---:|',
    ...rows,
  ].join('\n');
}

export function renderEdge(run: RunResult): string {
  const rows = run.edge.rows.map(r =>
    `| ${r.kind} at ${r.rate}/s | ${f1(r.direct.p50AddedMs)} / ${f1(r.direct.p99AddedMs)} | ${f1(r.viaEdge.p50AddedMs)} / ${f1(r.viaEdge.p99AddedMs)} | ${f1(r.viaEdge.p50AddedMs - r.direct.p50AddedMs)} / ${f1(r.viaEdge.p99AddedMs - r.direct.p99AddedMs)} | ${f2(r.viaEdge.edgeCpuMsPerReq)} |`);
  return [
    '| workload (fake provider only, no proxy) | added p50 / p99 direct (ms) | through nginx (ms) | nginx adds (ms) | nginx CPU ms/req |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

export function renderScaling(s: ScalingEvidence): string {
  const levels = s.levels.map(l => l.toFixed(0)).join(' → ');
  const rows: string[] = [];
  // One row per 2 s keeps the table readable.
  for (const p of s.series.filter((_, i) => i % 2 === 0)) {
    rows.push(`| ${p.t.toFixed(0)} | ${p.offeredRps.toFixed(0)} | ${f1(p.generatorInFlightPerWorker)} | ${f2(p.queryValue)} |`);
  }
  return [
    `Configuration \`${s.config}\`: ${s.pods} pods × ${s.workersPerPod} worker, scraped every ${s.scrapeIntervalSeconds} s by Prometheus; offered chat load ${levels} req/s, ${s.stepSeconds} s each.`,
    '',
    ...(s.kedaQuery ? [`The synthesized ScaledObject's query (threshold ${s.threshold} per worker; KEDA divides it by the pods), asked of that Prometheus and divided by the ${s.pods} pods here:`, ''] : []),
    '```promql',
    s.kedaQuery ?? s.query,
    '```',
    '',
    '| t (s) | offered req/s | in flight per worker (generator) | query value |',
    '|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/** Whether the scaling signal was on every pod's /metrics/ (configurations with metrics on). */
export function renderInFlightMetric(run: RunResult): string {
  const withMetrics = run.configs.filter(c => c.inFlightMetric !== undefined);
  if (withMetrics.length === 0) return '';
  const missing = withMetrics.filter(c => !c.inFlightMetric).map(c => c.id);
  const series = [...new Set(withMetrics.map(c => c.inFlightSeriesPerPod))].join(', ');
  return missing.length
    ? `\`litellm_in_flight_requests\` was missing from /metrics/ of: ${missing.join(', ')}.`
    : `\`litellm_in_flight_requests\` was on /metrics/ of every pod of the ${withMetrics.length} configurations with metrics on, ${series} series per pod whatever its workers.`;
}

export function renderRunMarkdown(run: RunResult): string {
  const skipped = run.skipped.length ? `\nSkipped (deadline): ${run.skipped.join(', ')}.\n` : '';
  const crashes = (run.crashes ?? []).length ? `\nPods that died (replaced, step repeated): ${(run.crashes ?? []).map(c => `${c.config}/${c.pod} during ${c.during} (${c.exit?.signal ?? `exit ${c.exit?.code}`})`).join('; ')}.\n` : '';
  return [
    `## Run of ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `LiteLLM ${run.litellm}; ${run.machine.cpus} × ${run.machine.model}, ${run.machine.memoryGb} GB, Linux ${run.machine.kernel}, Node ${run.machine.node}; \`${run.command}\`, ${(run.durationSeconds / 60).toFixed(1)} min.`,
    `Budget: ${run.budget}. Priority: ${run.priority ? `nice ${run.priority} (autogroup) for every process of the run` : 'default'}.`,
    `Provider: chat answers after ${run.provider.chatMs} ms; a stream is ${run.provider.streamChunks} chunks ${run.provider.streamIntervalMs} ms apart.`,
    '',
    renderRunTable(run),
    skipped,
    crashes,
    '',
    renderBalance(run),
    '',
    renderEdge(run),
    '',
    renderInFlightMetric(run),
    '',
    ...(run.scaling ? [renderScaling(run.scaling)] : []),
    '',
  ].join('\n');
}

// --- SVG ---------------------------------------------------------------------------------------

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#2b6cb0', '#90cdf4'];

/** Bars: chat req/s and concurrent streams per CPU for every configuration, one bar per run. */
export function renderSweepSvg(runs: readonly RunResult[], highlight: readonly string[] = []): string {
  const ids = runs[0].configs.map(c => c.id);
  const labelW = 330;
  const panelW = 270;
  const gap = 40;
  const barH = 11;
  const rowH = runs.length * barH + 14;
  const top = 70;
  const height = top + ids.length * rowH + 50;
  const width = labelW + 3 * panelW + 2 * gap + 20;
  const panels: Array<{ title: string; value: (c: ConfigResult) => number | undefined; unit: string }> = [
    { title: `Chat req/s per CPU at p99 added ≤ ${runs[0].targets.chat.p99AddedMs} ms`, value: c => perCpu(chatCapacity(c), c), unit: '' },
    { title: `Concurrent streams per CPU, p99 added ≤ ${runs[0].targets.stream.p99AddedMs} ms`, value: c => perCpu(streamCapacity(c), c), unit: '' },
    { title: 'Memory per worker after load (RSS, MB)', value: c => workerRss(c).after, unit: '' },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">LiteLLM ${esc(runs[0].litellm)}: what each configuration sustains per CPU</text>`,
    `<text x="10" y="42" fill="#555">${esc(`${runs[0].machine.cpus} vCPU ${runs[0].machine.model}; provider ${runs[0].provider.chatMs} ms / streams of ${runs[0].provider.streamChunks} chunks × ${runs[0].provider.streamIntervalMs} ms; ${runs.map((r, i) => `run ${i + 1}: ${r.startedAt.slice(0, 16).replace('T', ' ')}`).join(', ')}`)}</text>`,
  ];
  runs.forEach((r, i) => {
    out.push(`<rect x="${width - 190 + i * 90}" y="32" width="12" height="12" fill="${COLORS[i % 2]}"/><text x="${width - 174 + i * 90}" y="42">run ${i + 1}</text>`);
  });
  panels.forEach((p, pi) => {
    const x0 = labelW + pi * (panelW + gap);
    const max = Math.max(1, ...runs.flatMap(r => r.configs.map(c => p.value(c) ?? 0))) * 1.15;
    out.push(`<text x="${x0}" y="${top - 10}" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${top + ids.length * rowH}" stroke="#999"/>`);
    ids.forEach((id, ri) => {
      runs.forEach((r, k) => {
        const c = r.configs.find(x => x.id === id);
        const v = c ? p.value(c) : undefined;
        const y = top + ri * rowH + k * barH + 2;
        const w = v === undefined || !Number.isFinite(v) ? 0 : (v / max) * panelW;
        out.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[k % 2]}"/>`);
        out.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10" fill="#333">${v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(v < 10 ? 1 : 0)}</text>`);
      });
    });
  });
  ids.forEach((id, ri) => {
    const c = runs[0].configs.find(x => x.id === id)!;
    const y = top + ri * rowH + rowH / 2 + 2;
    const bold = highlight.includes(id) ? ' font-weight="bold"' : '';
    out.push(`<text x="10" y="${y}"${bold}>${esc(c.label)}</text>`);
    if (ri > 0) out.push(`<line x1="10" y1="${top + ri * rowH - 1}" x2="${width - 10}" y2="${top + ri * rowH - 1}" stroke="#eee"/>`);
  });
  out.push(`<text x="10" y="${height - 14}" fill="#555" font-size="11">${esc(`One CPU: proxy pinned to CPU 1, load generator and fake provider on CPU 0. Two CPUs: proxy on both, sharing CPU 0 with the rig. Open-loop arrivals through nginx (the synthesized Ingress), Redis on. ${runs[0].command}`)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** The query against the generator's own count over the ramp. */
export function renderScalingSvg(s: ScalingEvidence): string {
  const width = 900;
  const height = 360;
  const left = 60;
  const right = 70;
  const top = 50;
  const bottom = 50;
  const w = width - left - right;
  const h = height - top - bottom;
  const tMax = Math.max(1, ...s.series.map(p => p.t));
  const yMax = Math.max(1, ...s.series.map(p => Math.max(p.queryValue || 0, p.generatorInFlightPerWorker))) * 1.15;
  const rMax = Math.max(1, ...s.series.map(p => p.offeredRps)) * 1.15;
  const X = (t: number): number => left + (t / tMax) * w;
  const Y = (v: number): number => top + h - (v / yMax) * h;
  const R = (v: number): number => top + h - (v / rMax) * h;
  const line = (pts: Array<[number, number]>): string => pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const q = s.series.filter(p => Number.isFinite(p.queryValue));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">In-flight requests per worker, as Prometheus sees them, over a load ramp</text>`,
    `<text x="10" y="40" fill="#555">${esc(`${s.pods} pods × ${s.workersPerPod} worker, scraped every ${s.scrapeIntervalSeconds} s; grey: offered load (right axis)`)}</text>`,
    // offered load as a step area
    `<path d="${line([[X(0), R(0)], ...s.series.map(p => [X(p.t), R(p.offeredRps)] as [number, number]), [X(tMax), R(0)]])} Z" fill="#edf2f7" stroke="none"/>`,
    `<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#999"/>`,
    `<path d="${line(s.series.map(p => [X(p.t), Y(p.generatorInFlightPerWorker)]))}" fill="none" stroke="#dd6b20" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    `<path d="${line(q.map(p => [X(p.t), Y(p.queryValue)]))}" fill="none" stroke="#2b6cb0" stroke-width="2.5"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 1.15) * (i / 4);
    out.push(`<text x="${left - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="10">${v.toFixed(0)}</text>`);
    const r = (rMax / 1.15) * (i / 4);
    out.push(`<text x="${left + w + 6}" y="${R(r) + 4}" font-size="10" fill="#777">${r.toFixed(0)}/s</text>`);
  }
  for (let t = 0; t <= tMax; t += 10) out.push(`<text x="${X(t)}" y="${top + h + 16}" text-anchor="middle" font-size="10">${t}s</text>`);
  out.push(`<text x="${left}" y="${height - 12}" font-size="11"><tspan fill="#2b6cb0" font-weight="bold">━ PromQL (per worker)</tspan>   <tspan fill="#dd6b20">╌ generator's own count (per worker)</tspan></text>`);
  out.push('</svg>');
  return out.join('\n');
}

// --- the committed report: runs side by side -----------------------------------------------------

/** The README's compact table: each configuration's figures in every run ("a / b"), RSS per worker as their mean. */
export function renderSummaryTable(runs: readonly RunResult[]): string {
  const ids = runs[0]?.configs.map(c => c.id) ?? [];
  const each = (id: string, f: (c: ConfigResult) => number | undefined, fmt: (n: number | undefined) => string): string =>
    runs.map(r => fmt((() => { const c = r.configs.find(x => x.id === id); return c ? f(c) : undefined; })())).join(' / ');
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows = ids.map(id => {
    const cs = runs.map(r => r.configs.find(x => x.id === id)).filter((c): c is ConfigResult => c !== undefined);
    const rss = cs.map(workerRss);
    return `| ${cs[0].label} | ${each(id, chatCapacity, f1)} | ${each(id, c => loadedCpuMsPerReq(c, 'chat'), f1)} | ${each(id, streamCapacity, f1)} | `
      + `${f0(mean(rss.map(r => r.ready)))} → ${f0(mean(rss.map(r => r.after)))} |`;
  });
  const t = runs[0]?.targets;
  return [
    `| One CPU per configuration | chat req/s at p99 added ≤ ${t?.chat.p99AddedMs} ms (${runs.map((_, i) => `run ${i + 1}`).join(' / ')}) | proxy CPU ms per request at load | concurrent streams at p99 added ≤ ${t?.stream.p99AddedMs} ms | RSS per worker, MB (ready → after the run) |`,
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

export function renderReport(runs: readonly RunResult[]): string {
  const parts: string[] = [
    `# Capacity of LiteLLM ${runs[0]?.litellm ?? ''}, measured`,
    '',
    'Written by `npm run loadtest:report` from the runs of `npm run loadtest` (their JSON is in `runs/`); how it measures and what the',
    'defaults take from it: the README, "Capacity, measured". Latency targets: p99 added to the provider\'s own ≤ '
      + `${runs[0]?.targets.chat.p99AddedMs} ms for chat, ≤ ${runs[0]?.targets.stream.p99AddedMs} ms for streams. "At load": steps where the proxy used at least ${AT_LOAD * 100} % of its CPU.`,
    '',
    '![sweep](sweep.svg)',
    '',
    '![scaling signal](scaling.svg)',
    '',
  ];
  runs.forEach((r, i) => {
    parts.push(renderRunMarkdown(r).replace(/^## Run of/, `## Run ${i + 1}, started`));
  });
  if (runs.length >= 2) {
    parts.push('## Reproducibility of the ratios', '', renderReproducibility(runs[0], runs[1]), '');
  }
  return parts.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const o = args.indexOf('--out');
  const out = o >= 0 ? args[o + 1] : '.';
  const files = args.filter((a, i) => a.endsWith('.json') && i !== o + 1);
  const runs: RunResult[] = files.map(f => JSON.parse(fs.readFileSync(f, 'utf8')));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.md'), renderReport(runs));
  fs.writeFileSync(path.join(out, 'summary.md'), `${renderSummaryTable(runs)}\n`);
  fs.writeFileSync(path.join(out, 'sweep.svg'), renderSweepSvg(runs, [BASELINE]));
  // The latest evidence taken with the ScaledObject's own query, else any.
  const all = runs.map(r => r.scaling).filter((s): s is ScalingEvidence => s !== undefined);
  const scaling = [...all].reverse().find(s => s.kedaQuery !== undefined) ?? all[0];
  if (scaling) fs.writeFileSync(path.join(out, 'scaling.svg'), renderScalingSvg(scaling));
  process.stdout.write(`written ${path.join(out, 'results.md')}, summary.md, sweep.svg${scaling ? ', scaling.svg' : ''}\n`);
}
