/**
 * The load test's pure parts (scripts/loadtest): open-loop scheduling, statistics, the capacity
 * search, the sweep's argument edits, /proc parsing and the report. The load test itself is a
 * benchmark (npm run loadtest), not part of npm test.
 */
import { inFlightQuery } from '../lib/proxy/scaling-signal';
import { Server, displayArgs, editArgs, serverOf, workersOf } from '../scripts/loadtest/configs';
import { arrivalsDue, dueAt } from '../scripts/loadtest/loadgen';
import { parseStat } from '../scripts/loadtest/procstat';
import { paceOf } from '../scripts/loadtest/provider';
import { cpuBoundRps, loadedCpuMsPerReq, ratios, renderInFlightMetric, renderReproducibility, renderRunTable, renderSummaryTable, renderSweepSvg } from '../scripts/loadtest/report';
import { ConfigResult, RunResult, StepRecord } from '../scripts/loadtest/result';
import { missesTarget, percentile, relativeDifference, searchCapacity, summarize } from '../scripts/loadtest/stats';

describe('open-loop arrivals', () => {
  test('arrival i is due at i / rate, whatever happened before', () => {
    expect(dueAt(0, 50)).toBe(0);
    expect(dueAt(50, 50)).toBe(1000);
    expect(arrivalsDue(-1, 50, 100)).toBe(0);
    expect(arrivalsDue(0, 50, 100)).toBe(1);
    expect(arrivalsDue(19.9, 50, 100)).toBe(1);
    expect(arrivalsDue(20, 50, 100)).toBe(2);
    // A generator that wakes late sends the whole backlog at once, then is on time again.
    expect(arrivalsDue(1000, 50, 100)).toBe(51);
    expect(arrivalsDue(10_000, 50, 100)).toBe(100);
  });
});

describe('statistics', () => {
  test('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    const s = summarize([3, 1, NaN, 2]);
    expect(s).toMatchObject({ n: 3, p50: 2, max: 3, mean: 2 });
    expect(relativeDifference(90, 110)).toBeCloseTo(0.2);
  });

  test('a step misses the target on errors or its p99', () => {
    const t = { p99AddedMs: 100, maxErrorRate: 0.001 };
    expect(missesTarget({ sent: 1000, errors: 1, p99AddedMs: 100 }, t)).toBeUndefined();
    expect(missesTarget({ sent: 1000, errors: 2, p99AddedMs: 10 }, t)).toMatch(/errors/);
    expect(missesTarget({ sent: 1000, errors: 0, p99AddedMs: 101 }, t)).toMatch(/p99/);
    expect(missesTarget({ sent: 1000, errors: 0, p99AddedMs: NaN }, t)).toMatch(/p99/);
    expect(missesTarget({ sent: 0, errors: 0, p99AddedMs: 1 }, t)).toBe('nothing sent');
  });
});

describe('capacity search', () => {
  const opts = { minFactor: 1.08, maxFactor: 1.4, aimUtilisation: 0.95, refinements: 1, maxSteps: 6 };
  /** A server that uses 1 % of its CPU per request/s and breaks above `limit`. */
  const server = (limit: number, visited: number[], pauses: number[] = []) => async (rate: number) => {
    visited.push(rate);
    const pause = pauses.length > 0 && Math.abs(pauses[0] - rate) < 1e-9 ? pauses.shift() !== undefined : false;
    return { pass: rate <= limit && !pause, utilisation: rate / 100, transient: pause };
  };

  test('steps up by the measured utilisation, then one midpoint after the first miss', async () => {
    const visited: number[] = [];
    const r = await searchCapacity(40, opts, server(80, visited));
    // 40 (u 0.4) -> x1.4 = 56 (u 0.56) -> x1.4 = 78.4 (u 0.78) -> x1.21 = 95 (miss) -> sqrt(78.4 * 95)
    expect(visited.map(v => Math.round(v * 10) / 10)).toEqual([40, 56, 78.4, 95, 86.3]);
    expect(r.best).toBeCloseTo(78.4);
    expect(r.failedAt).toBeCloseTo(86.3, 1);
    expect(r.steps).toBe(5);
  });

  test('walks down when the start already misses, and stays within maxSteps', async () => {
    const visited: number[] = [];
    const r = await searchCapacity(100, opts, server(30, visited));
    expect(visited[0]).toBe(100);
    expect(visited[1]).toBeCloseTo(100 / 1.4);
    expect(r.best).toBeLessThanOrEqual(30);
    expect(visited.length).toBeLessThanOrEqual(6);
  });

  test('a transient miss (a pause) is probed once more', async () => {
    const visited: number[] = [];
    const r = await searchCapacity(40, { ...opts, maxSteps: 8 }, server(80, visited, [56]));
    expect(visited.slice(0, 3)).toEqual([40, 56, 56]);
    expect(r.best).toBeGreaterThan(56);
  });
});

describe('the sweep\'s edits of the rendered args', () => {
  const rendered2 = ['--port', '4000', '--config', '/etc/litellm/config.yaml', '--num_workers', '2', '--run_gunicorn', '--host', '127.0.0.1'];
  const rendered1 = ['--port', '4000', '--config', '/etc/litellm/config.yaml', '--num_workers', '1', '--host', '127.0.0.1'];

  test('servers and worker counts', () => {
    expect(editArgs(rendered2, Server.AS_RENDERED)).toEqual(rendered2);
    expect(editArgs(rendered2, Server.UVICORN)).not.toContain('--run_gunicorn');
    expect(editArgs(rendered1, Server.GRANIAN)).toContain('--run_granian');
    expect(editArgs(rendered2, Server.HYPERCORN).filter(a => a.startsWith('--run_'))).toEqual(['--run_hypercorn']);
    expect(editArgs(rendered1, Server.GUNICORN, 4)).toEqual([...rendered1.slice(0, 5), '4', ...rendered1.slice(6), '--run_gunicorn']);
    expect(serverOf(rendered2)).toBe('gunicorn');
    expect(serverOf(rendered1)).toBe('uvicorn');
    expect(workersOf(rendered2)).toBe(2);
    expect(workersOf(editArgs(rendered2, Server.HYPERCORN))).toBe(1);
  });

  test('args shown as the Deployment has them', () => {
    expect(displayArgs(['--port', '39201', '--config', '/work/x/config.yaml', '--num_workers', '1', '--host', '127.0.0.1']))
      .toBe('--port 4000 --config /etc/litellm/config.yaml --num_workers 1');
  });

  test('the scaling query takes the scrape itself out and matches the rig\'s pod names', () => {
    const q = inFlightQuery('litellm', 'litellm', 2);
    expect(q).toMatch(/^clamp_min\(sum\(litellm_in_flight_requests\{.*\}\) - count\(litellm_in_flight_requests\{.*\}\), 0\) \/ 2$/);
    const pod = /pod=~"([^"]+)"/.exec(q)![1];
    for (const name of ['litellm-7c9d8f6b5d-x8k2p', 'litellm-7c9d8f6b5d-q4w9z']) expect(new RegExp(`^${pod}$`).test(name)).toBe(true);
    expect(new RegExp(`^${pod}$`).test('litellm-redis-0')).toBe(false);
  });
});

test('/proc/<pid>/stat with spaces and parentheses in the command', () => {
  const fields = ['S', '1', '4242', '4242', '0', '-1', '4194560', '100', '0', '0', '0', '250', '50', '0', '0', '20', '0', '3', '0', '1000', '123456789', '25600'];
  const s = parseStat(`4243 (litellm (w) 1) ${fields.join(' ')}`);
  expect(s).toMatchObject({ comm: 'litellm (w) 1', ppid: 1, pgrp: 4242, cpuMs: 3000, rssKb: 25600 * 4 });
});

test('the fake provider takes its pace from the model name, bounded', () => {
  expect(paceOf('lt-sleep-300')).toMatchObject({ sleepMs: 300 });
  expect(paceOf('openai/lt-chunks-50-ms-20')).toMatchObject({ chunks: 50, intervalMs: 20 });
  expect(paceOf('lt-sleep-99999999').sleepMs).toBe(60_000);
});

describe('report', () => {
  const step = (kind: 'chat' | 'stream', rate: number, pass: boolean, extra: Partial<StepRecord> = {}): StepRecord => ({
    kind, offeredRps: rate, achievedRps: rate, sent: 100, ok: 100, errors: 0, errorKinds: {}, p50AddedMs: 20, p99AddedMs: pass ? 40 : 400,
    p99TtfbMs: 30, meanInFlight: rate * (kind === 'chat' ? 0.33 : 1.05), peakInFlight: 20, aborted: false, proxyCpuMsPerReq: kind === 'chat' ? 20 : 80,
    proxyCpuShare: 0.8, processCpuShares: [1], edgeCpuMsPerReq: 0.3, rigCpuMsPerReq: 3, proxyRunQueueWaitShare: 0.05, foreignCpuShare: 0.02, cpuPressure: 40,
    sendLagP99Ms: 2, pidsStable: true, pass, ...extra,
  });
  const config = (id: string, chat: number, stream: number, budget = 1): ConfigResult => ({
    id, label: id, question: 'q', budget, pods: 1, workersPerPod: 1, server: 'uvicorn', args: '--num_workers 1', startSeconds: 10,
    memoryReady: [{ pid: 1, rssMb: 330, pssMb: 320, worker: true }], memoryAfter: [{ pid: 1, rssMb: 410, pssMb: 400, worker: true }],
    backgroundCpuMsPerSec: 0,
    chat: { kind: 'chat', target: { p99AddedMs: 100, maxErrorRate: 0.001 }, best: step('chat', chat, true), failedAt: chat * 1.1, steps: [step('chat', chat, true), step('chat', chat * 1.1, false, { errorKinds: { 'http 502': 2 } })] },
    stream: { kind: 'stream', target: { p99AddedMs: 150, maxErrorRate: 0.001 }, best: step('stream', stream, true), failedAt: stream * 1.1, steps: [step('stream', stream, true)] },
    inFlightMetric: true, crashes: 0,
  });
  const run = (configs: ConfigResult[]): RunResult => ({
    litellm: '1.108.14', startedAt: '2026-12-07T23:00:00.000Z', durationSeconds: 500,
    machine: { cpus: 2, model: 'Xeon', memoryGb: 24, kernel: '6.1', node: 'v20' }, command: 'npm run loadtest', budget: 'one CPU', priority: -20,
    provider: { chatMs: 300, streamChunks: 50, streamIntervalMs: 20 },
    targets: { chat: { p99AddedMs: 100, maxErrorRate: 0.001 }, stream: { p99AddedMs: 150, maxErrorRate: 0.001 } },
    edge: { rows: [] }, configs, skipped: [], crashes: [],
  });

  test('tables, ratios per CPU and their reproducibility', () => {
    const a = run([config('uvicorn-1w', 40, 10), config('gunicorn-2w-2cpu', 72, 18, 2)]);
    const b = run([config('uvicorn-1w', 44, 10), config('gunicorn-2w-2cpu', 80, 19, 2)]);
    const table = renderRunTable(a);
    expect(table).toContain('| uvicorn-1w | 1 | uvicorn 1×1 | **40.0** | 40 | 20.0 |');
    expect(table).toContain('**72.0** (36.0/CPU)');
    expect(table).toContain('2 http 502');
    expect(ratios(a).find(r => r.id === 'gunicorn-2w-2cpu')!.chat).toBeCloseTo(0.9);
    const repro = renderReproducibility(a, b);
    expect(repro).toContain('0.90 / 0.91 (1 %)');
    expect(repro).toMatch(/Largest difference between the two runs: \*\*\d+ %\*\*/);
  });

  test('CPU per request at load: the median of the steps at >= 60 % of the budget; the scaling metric line', () => {
    const c = config('uvicorn-1w', 40, 10);
    const steps = [
      { ...c.chat.steps[0], proxyCpuShare: 0.3, proxyCpuMsPerReq: 40 },
      { ...c.chat.steps[0], proxyCpuShare: 0.7, proxyCpuMsPerReq: 16 },
      { ...c.chat.steps[0], proxyCpuShare: 0.9, proxyCpuMsPerReq: 15 },
      { ...c.chat.steps[0], proxyCpuShare: 0.95, proxyCpuMsPerReq: 14 },
    ];
    const loaded: ConfigResult = { ...c, chat: { ...c.chat, steps } };
    expect(loadedCpuMsPerReq(loaded, 'chat')).toBe(15);
    expect(cpuBoundRps(loaded)).toBeCloseTo(1000 / 15);
    expect(loadedCpuMsPerReq({ ...c, chat: { ...c.chat, steps: [steps[0]] } }, 'chat')).toBeUndefined();
    expect(renderInFlightMetric(run([{ ...c, inFlightSeriesPerPod: 1 }]))).toBe('`litellm_in_flight_requests` was on /metrics/ of every pod of the 1 configurations with metrics on, 1 series per pod whatever its workers.');
    expect(renderInFlightMetric(run([{ ...c, inFlightMetric: false }]))).toMatch(/missing from \/metrics\/ of: uvicorn-1w/);
  });

  test('the README table: every run\'s figure per configuration, RSS per worker averaged', () => {
    const table = renderSummaryTable([run([config('uvicorn-1w', 40, 10)]), run([config('uvicorn-1w', 44, 11)])]);
    expect(table.split('\n')[0]).toContain('chat req/s at p99 added ≤ 100 ms (run 1 / run 2)');
    expect(table).toContain('| uvicorn-1w | 40.0 / 44.0 | 20.0 / 20.0 | 10.5 / 11.6 | 330 → 410 |');
  });

  test('the chart is one SVG with a bar per configuration and run', () => {
    const svg = renderSweepSvg([run([config('uvicorn-1w', 40, 10), config('x', 30, 8)])]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(2 * 3);
  });
});
