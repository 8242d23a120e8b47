/**
 * npm run loadtest [-- --full] [-- --configs id,id] [-- --out DIR] [-- --no-scaling] [-- --nice N]
 *
 * Capacity of the real pinned LiteLLM release, measured: every configuration
 * of the sweep (configs.ts) is started from the synthesized Deployment (its
 * args, env and config.yaml, Redis wiring on), behind nginx configured from the
 * synthesized Ingress, against a fake provider with a fixed latency, and driven
 * open-loop at rising rates until the latency target breaks, for two workloads
 * (non-streaming completions, streams). Then a real Prometheus scrapes two pods
 * during a load ramp: the evidence for scaling on in-flight requests.
 *
 * CPU budget: the proxy processes of a configuration are pinned to CPU 1; the
 * rig (this generator, the fake provider, nginx, redis-server, Prometheus) to
 * CPU 0. Every configuration gets the same one CPU. CPU per request is read
 * from the proxy processes' own times (/proc), so the rig's share never counts.
 *
 * Bounded: a deadline ends the sweep (quick: under 10 minutes), every step is
 * bounded in count, time and concurrency, all traffic goes to 127.0.0.1, and
 * every process started is killed on exit, error or Ctrl-C.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Harness } from '../../test/e2e/support/harness';
import { request, sleep } from '../../test/e2e/support/http';
import { ServiceMap } from '../../test/e2e/support/manifests';
import { killAll, Proc } from '../../test/e2e/support/processes';
import { PrometheusServer, startPrometheus } from '../../test/e2e/support/prometheus';
import { SWEEP, SweepConfig, displayArgs, editArgs, serverOf, workersOf } from './configs';
import { StepResult, Workload, runStep } from './loadgen';
import { ProcSample, cpuBusyMs, cpuDeltaMs, cpuPressure, cpuShares, memoryOf, runQueueWaitMs, sampleGroups } from './procstat';
import { renderRunMarkdown, renderSweepSvg, renderScalingSvg } from './report';
import { BalanceResult, CapacityResult, ConfigResult, CrashRecord, EdgeBaseline, RunResult, ScalingEvidence, StepRecord, WorkloadKind } from './result';
import { Edge, Pod, pin, prioritize, startEdge, startPod, startProvider } from './rig';
import { LITELLM_VERSION } from '../../lib/proxy/image';
import { EDGE_HOST, MODELS, NAMESPACE, PACE, PROVIDER_MODELS, synthesize } from './stack';
import { SearchOptions, Target, median, missesTarget, searchCapacity } from './stats';

// --- options ---------------------------------------------------------------------------------

interface Options {
  readonly full: boolean;
  readonly configs: readonly SweepConfig[];
  readonly out: string;
  readonly scaling: boolean;
  /** Priority (autogroup nice) of the rig; the proxy's is 5 below (the rig must never be what it waits for). */
  readonly nice: number;
  readonly deadlineMs: number;
}

function parseOptions(argv: readonly string[]): Options {
  const has = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const full = has('--full');
  const ids = value('--configs')?.split(',');
  const configs = ids ? ids.map(id => {
    const c = SWEEP.find(x => x.id === id);
    if (!c) throw new Error(`unknown configuration ${id}; known: ${SWEEP.map(x => x.id).join(', ')}`);
    return c;
  }) : SWEEP.filter(c => full || c.quick);
  return {
    full,
    configs,
    out: path.resolve(value('--out') ?? path.join(__dirname, '..', '..', '.e2e', 'loadtest')),
    scaling: !has('--no-scaling'),
    nice: Number(value('--nice') ?? -20),
    // The quick sweep must end within 10 minutes, start-up and report included.
    deadlineMs: Number(value('--deadline-seconds') ?? (full ? 20 * 60 : 9.5 * 60)) * 1000,
  };
}

// --- constants of the measurement ------------------------------------------------------------

/** CPUs: the proxy's budget (one CPU, or both shared with the rig), and the rig's. */
const BUDGET_CPUS: Record<1 | 2, string> = { 1: '1', 2: '0,1' };
const RIG_CPUS = '0';
/** On its own CPU the proxy runs 5 nice levels below the rig (the rig must never be what it waits for). */
const PROXY_NICE_OFFSET = 5;
/** An idle pod parked on the rig's CPU between its steps: the lowest priority. */
const PARKED_NICE = 19;

/**
 * The latency targets. A request costs LiteLLM ~20 ms of CPU on this machine and adds ~25-35 ms
 * (p99) at idle, so a 50 ms target is crossed at ~60 % CPU by ordinary queueing, where the result
 * depends on how arrivals happen to bunch; 100 ms sits at the knee (~85-90 % CPU), reproducibly.
 * A stream of 50 chunks costs ~80 ms of CPU and adds ~50-80 ms at idle.
 */
export const TARGETS: Record<WorkloadKind, Target> = {
  chat: { p99AddedMs: 100, maxErrorRate: 0.001 },
  stream: { p99AddedMs: 150, maxErrorRate: 0.001 },
};

const WORKLOADS: Record<WorkloadKind, Workload> = {
  chat: { kind: 'chat', model: MODELS.chat, providerMs: PACE.chatMs },
  stream: { kind: 'stream', model: MODELS.stream, providerMs: (PACE.streamChunks - 1) * PACE.streamIntervalMs, chunks: PACE.streamChunks },
};

/** Step lengths (ms) and the part of each not counted (the queue of the previous step drains, connections open). */
const STEP = {
  chat: { durationMs: 3500, warmupMs: 750 },
  stream: { durationMs: 3500, warmupMs: 750 },
} as const;
/**
 * Rate search (stats.ts searchCapacity): start at the rate the warm-up's CPU per request predicts
 * for 70 % of the budget, step up by the measured utilisation towards 95 % (×1.08 to ×1.4), after
 * the first miss one geometric midpoint. A miss is probed again once before it counts (see
 * capacity()). Past the deadline a search stops where it is.
 */
const SEARCH: SearchOptions = { minFactor: 1.08, maxFactor: 1.4, aimUtilisation: 0.95, refinements: 1, maxSteps: 7 };
/** The second warm-up's CPU per request still carries the idle overhead of a low rate: aim the start at 80 % by it. */
const START_UTILISATION = 0.8;
/** What runs after the searches (finishing, balance probes, scaling evidence, report), ms. */
const AFTER_SEARCHES_MS = 100_000;

// --- the run ---------------------------------------------------------------------------------

class Rig {
  public readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  public provider!: { port: number; proc: Proc };
  public harness!: Harness;
  public redisPort = 0;
  public readonly crashes: CrashRecord[] = [];
  /** Capacity per CPU found so far, by workload: where the next configuration's search starts. */
  public readonly found: Record<WorkloadKind, number[]> = { chat: [], stream: [] };
  public readonly turns = new Turns();
  private readonly started = performance.now();

  constructor(public readonly opts: Options) {}

  public elapsedMs(): number {
    return performance.now() - this.started;
  }

  public log(msg: string): void {
    process.stdout.write(`[${(this.elapsedMs() / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
  }

  public rigPids(): number[] {
    return [this.provider.proc.pid, this.harness.redis!.proc.pid];
  }

  /** A ServiceMap for another variant's manifests: its Redis Service answers on the shared redis-server. */
  public services(objects: any[]): ServiceMap {
    const s = new ServiceMap(NAMESPACE);
    s.registerExternal(objects, 'litellm-redis', this.redisPort);
    return s;
  }
}

/** A configuration's pods behind their edge: parked on the rig's CPU between its steps, able to replace a pod that died. */
class Stage {
  public pods: Pod[] = [];
  public edge!: Edge;
  public readonly objects: any[];
  private readonly services: ServiceMap;
  private restarts = 0;
  /** The budget's CPUs and the proxy's priority while measured. */
  public readonly cpus: string;
  private readonly nice: number;

  constructor(private readonly rig: Rig, public readonly config: SweepConfig, public readonly tag: string) {
    this.objects = synthesize(config.variant);
    this.services = rig.services(this.objects);
    this.cpus = BUDGET_CPUS[config.budget];
    this.nice = rig.opts.nice + (config.budget === 1 ? PROXY_NICE_OFFSET : 0);
  }

  /**
   * Starts the pods and the edge, then parks them: on every CPU while nothing is measured yet, or
   * (`parked`) already on the rig's CPU at the lowest priority, while other configurations are measured.
   */
  public async start(parked = false): Promise<void> {
    this.pods = await Promise.all(Array.from({ length: this.config.pods }, (_, i) => parked ? this.startPod(i, RIG_CPUS, PARKED_NICE) : this.startPod(i, '0,1', 0)));
    await this.startEdge();
    this.park();
  }

  private startPod(i: number, cpus: string, nice: number): Promise<Pod> {
    return startPod({
      objects: this.objects, root: path.join(this.rig.harness.root, this.tag), name: `pod-${i}${this.restarts ? `-r${this.restarts}` : ''}`,
      secrets: this.rig.harness.secrets, services: this.services, providerPort: this.rig.provider.port,
      editArgs: a => editArgs(a, this.config.server, this.config.workers), cpus, onSpawn: proc => { prioritize(proc.pid, nice); },
    });
  }

  private place(cpus: string, nice: number): void {
    for (const p of sampleGroups(this.groups())) {
      try {
        pin(p.pid, cpus);
      } catch {
        // exited meanwhile
      }
    }
    for (const pod of this.pods) prioritize(pod.proc.pid, nice);
  }

  /** To the budget's CPUs at the proxy's priority, for a step. */
  public activate(): void {
    this.place(this.cpus, this.nice);
  }

  /** Between its steps: on the rig's CPU at the lowest priority (an idle pod's timers then take only idle time). */
  public park(): void {
    this.place(RIG_CPUS, PARKED_NICE);
  }

  private async startEdge(): Promise<void> {
    this.edge = await startEdge(this.objects.find(o => o.kind === 'Ingress'), this.pods.map(p => p.port), path.join(this.rig.harness.root, this.tag, `edge${this.restarts || ''}`));
    prioritize(this.edge.proc.pid, this.rig.opts.nice);
  }

  public groups(): number[] {
    return this.pods.map(p => p.proc.pid);
  }

  /**
   * Replaces every pod that exited (recording how it ended and the end of its log: with
   * PYTHONFAULTHANDLER a crash leaves every thread's Python traceback there) and restarts the
   * edge in front of the new ports. Returns whether anything had died.
   */
  public async heal(during: string): Promise<boolean> {
    const dead = this.pods.map((p, i) => ({ p, i })).filter(x => !x.p.proc.running);
    if (dead.length === 0) return false;
    this.restarts++;
    for (const { p } of dead) {
      this.rig.crashes.push({ config: this.config.id, pod: p.name, during, exit: p.proc.exit ? { code: p.proc.exit.code, signal: p.proc.exit.signal } : undefined, logTail: p.proc.tail(40) });
      this.rig.log(`  ${this.config.id}/${p.name} died (${JSON.stringify(p.proc.exit)}) during ${during}: restarting it`);
    }
    await this.edge.proc.stop(2000);
    for (const { i } of dead) this.pods[i] = await this.startPod(i, this.cpus, this.nice);
    await this.startEdge();
    return true;
  }

  public async stop(): Promise<void> {
    await Promise.all([...this.pods.map(p => p.proc.stop(5000)), this.edge?.proc.stop(2000)]);
  }
}

/**
 * Steps of different configurations take turns (first come, first served): searches that run
 * together are interleaved step by step, so a machine that drifts (a shared VM's CPU speed moves by
 * tens of percent over minutes) moves every configuration's numbers alike.
 */
class Turns {
  private tail: Promise<void> = Promise.resolve();

  public async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release: () => void = () => undefined;
    this.tail = new Promise(r => { release = r; });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** One load step with the CPU of every party measured around it. */
async function measuredStep(rig: Rig, stage: Stage | undefined, port: number, kind: WorkloadKind, rate: number, durationMs: number, warmupMs: number,
  edgePid?: number, workload: Workload = WORKLOADS[kind]): Promise<StepRecord> {
  const groups = stage?.groups() ?? [];
  const sample = (): { proxy: ProcSample[]; edge: ProcSample[]; rig: ProcSample[]; self: NodeJS.CpuUsage; runq: number; busy: number[]; wall: number } => {
    const proxy = sampleGroups(groups);
    return {
      proxy, edge: edgePid ? sampleGroups([edgePid]) : [], rig: sampleGroups(rig.rigPids()), self: process.cpuUsage(),
      runq: runQueueWaitMs(proxy.map(p => p.pid)), busy: cpuBusyMs(), wall: performance.now(),
    };
  };
  const before = sample();
  const expectedInFlight = rate * (workload.providerMs + 200) / 1000;
  const r: StepResult = await runStep({
    port, host: EDGE_HOST, apiKey: rig.harness.masterKey, workload, ratePerSec: rate, durationMs, warmupMs,
    timeoutMs: 30_000, abortInFlight: Math.max(40, 3 * expectedInFlight), agent: rig.agent,
  });
  const after = sample();
  const total = Math.round((rate * durationMs) / 1000);
  const proxy = cpuDeltaMs(before.proxy, after.proxy);
  const wall = after.wall - before.wall;
  const rec: StepRecord = {
    kind, offeredRps: rate, achievedRps: r.achievedRps, sent: r.sent, ok: r.ok, errors: r.errors, errorKinds: r.errorKinds,
    p50AddedMs: r.added.p50, p99AddedMs: r.added.p99, p99TtfbMs: r.ttfb.p99, meanInFlight: r.meanInFlight, peakInFlight: r.peakInFlight,
    aborted: r.aborted,
    proxyCpuMsPerReq: proxy.ms / total,
    proxyCpuShare: proxy.ms / wall / (stage?.config.budget ?? 1),
    processCpuShares: cpuShares(before.proxy, after.proxy).map(x => Math.round(x * 1000) / 1000),
    edgeCpuMsPerReq: edgePid ? cpuDeltaMs(before.edge, after.edge).ms / total : NaN,
    rigCpuMsPerReq: (cpuDeltaMs(before.rig, after.rig).ms + (after.self.user + after.self.system - before.self.user - before.self.system) / 1000) / total,
    proxyRunQueueWaitShare: (after.runq - before.runq) / wall,
    // On CPU 1: with a two-CPU budget the proxy and the rig share both, and CPU 0 carries the rig.
    foreignCpuShare: Math.max(0, (after.busy[1] - before.busy[1] - (stage?.config.budget === 2 ? NaN : proxy.ms)) / wall),
    cpuPressure: cpuPressure(),
    sendLagP99Ms: r.sendLagP99,
    pidsStable: proxy.samePids,
    pass: false,
  };
  const miss = r.aborted ? `aborted at ${r.peakInFlight} in flight` : missesTarget(rec, TARGETS[kind]);
  return { ...rec, pass: miss === undefined, why: miss };
}

/** Background CPU of idle pods, ms per second. */
async function idleCpu(groups: number[], ms: number): Promise<number> {
  const a = sampleGroups(groups);
  const t = performance.now();
  await sleep(ms);
  return cpuDeltaMs(a, sampleGroups(groups)).ms / ((performance.now() - t) / 1000);
}

/** A step, repeated after replacing any pod that died during it (such a step measured a crash, not the configuration). */
async function healthyStep(rig: Rig, stage: Stage, kind: WorkloadKind, rate: number, durationMs: number, warmupMs: number): Promise<StepRecord> {
  for (let attempt = 0; ; attempt++) {
    const s = await measuredStep(rig, stage, stage.edge.port, kind, rate, durationMs, warmupMs, stage.edge.proc.pid);
    const died = await stage.heal(`${kind} at ${rate.toFixed(1)}/s`);
    if (!died || attempt >= 1) return died ? { ...s, pass: false, why: 'a pod died' } : s;
  }
}

async function capacity(rig: Rig, stage: Stage, kind: WorkloadKind, startRate: number): Promise<CapacityResult> {
  const steps: StepRecord[] = [];
  const { durationMs, warmupMs } = STEP[kind];
  // Past the deadline (less what the balance probes and the scaling evidence need) the search stops where it is.
  const stop = (): boolean => rig.elapsedMs() > rig.opts.deadlineMs - AFTER_SEARCHES_MS;
  const search = await searchCapacity(startRate, { ...SEARCH, stop }, rate => rig.turns.run(async () => {
    stage.activate();
    await sleep(200);
    const s = await healthyStep(rig, stage, kind, rate, durationMs, warmupMs);
    stage.park();
    steps.push(s);
    rig.log(`  ${stage.config.id.padEnd(22)} ${kind.padEnd(6)} ${rate.toFixed(1).padStart(6)}/s: p50/p99 +${s.p50AddedMs.toFixed(0)}/${s.p99AddedMs.toFixed(0)} ms, ${s.errors} errors, proxy CPU ${(s.proxyCpuShare * 100).toFixed(0)} % (${s.proxyCpuMsPerReq.toFixed(1)} ms/req)${s.pass ? '' : `  MISS (${s.why})`}`);
    await sleep(s.pass ? 300 : 1000);
    // A miss counts once it repeats: one garbage collection of a worker's whole heap (~0.5 s, every few
    // hundred requests) inside a step of a few seconds breaks its p99 at any load. A step that had to be
    // cut short (too many requests in flight) is saturation, not a pause.
    return { pass: s.pass, utilisation: s.proxyCpuShare, transient: !s.aborted };
  }));
  const best = steps.filter(s => s.pass).sort((a, b) => b.offeredRps - a.offeredRps)[0];
  return { kind, target: TARGETS[kind], best, failedAt: search.failedAt, steps };
}

/** What a configuration's warm-up found: where its searches start. */
interface Warmed {
  readonly stage: Stage;
  readonly memoryReady: ConfigResult['memoryReady'];
  readonly backgroundCpuMsPerSec: number;
  readonly start: Record<WorkloadKind, number>;
}

/** Idle CPU and memory of the fresh pods, then a warm-up (the first requests import and connect) whose CPU per request predicts where the searches start. */
async function warmUp(rig: Rig, stage: Stage): Promise<Warmed> {
  stage.activate();
  const memoryReady = memoryOf(stage.groups());
  const backgroundCpuMsPerSec = await idleCpu(stage.groups(), 1000);
  const budget = stage.config.budget;
  // The first requests import, connect and fill caches (2-3 times the steady CPU per request): a first
  // pair of steps takes that, a second one measures where the searches start, so they do not spend
  // their steps (and the deadline) climbing from far below capacity.
  await healthyStep(rig, stage, 'chat', 15 * budget, 1500, 0);
  await healthyStep(rig, stage, 'stream', 4 * budget, 1500, 0);
  const warm = {
    chat: await healthyStep(rig, stage, 'chat', 20 * budget, 2000, 0),
    stream: await healthyStep(rig, stage, 'stream', 6 * budget, 2000, 0),
  };
  stage.park();
  // 70 % of the budget at the warm-up's CPU per request (which overstates it: first requests cost more).
  const start = (kind: WorkloadKind): number => {
    const net = Math.max(1, warm[kind].proxyCpuMsPerReq - backgroundCpuMsPerSec / warm[kind].offeredRps);
    return Math.max(2, START_UTILISATION * (1000 * budget - backgroundCpuMsPerSec) / net);
  };
  rig.log(`  ${stage.config.id.padEnd(22)} warm-up: ${warm.chat.proxyCpuMsPerReq.toFixed(1)} ms/req, ${warm.stream.proxyCpuMsPerReq.toFixed(1)} ms/stream, idle ${backgroundCpuMsPerSec.toFixed(0)} ms/s`);
  return { stage, memoryReady, backgroundCpuMsPerSec, start: { chat: start('chat'), stream: start('stream') } };
}

async function finishConfig(stage: Stage, w: Warmed, chat: CapacityResult, stream: CapacityResult, crashes: number): Promise<ConfigResult> {
  const c = stage.config;
  const memoryAfter = memoryOf(stage.groups());
  // The scaling signal must exist in every configuration that serves metrics.
  let inFlightMetric: boolean | undefined;
  let inFlightSeriesPerPod: number | undefined;
  if (c.variant.metrics) {
    stage.activate();
    const bodies = await Promise.all(stage.pods.map(p => request(p.port, 'GET', '/metrics/', { timeoutMs: 10000 }).then(r => r.body).catch(() => '')));
    stage.park();
    inFlightMetric = bodies.every(b => /^litellm_in_flight_requests(\{[^}]*\})? /m.test(b));
    inFlightSeriesPerPod = Math.max(...bodies.map(b => (b.match(/^litellm_in_flight_requests(\{[^}]*\})? /gm) ?? []).length));
  }
  const pod = stage.pods[0];
  return {
    id: c.id, label: c.label, question: c.question, budget: c.budget, pods: c.pods, workersPerPod: workersOf(pod.args), server: serverOf(pod.args),
    args: displayArgs(pod.args), startSeconds: Math.max(...stage.pods.map(p => p.startMs)) / 1000,
    memoryReady: w.memoryReady, memoryAfter, backgroundCpuMsPerSec: w.backgroundCpuMsPerSec, chat, stream, inFlightMetric, inFlightSeriesPerPod,
    crashes,
  };
}

/** Loads per CPU for the balance probe, relative to the capacity per CPU measured so far. */
const BALANCE_LOADS = [0.6, 0.9];

/**
 * A two-CPU configuration under fixed chat loads (no search: see SweepConfig.budget): the offered rate
 * is a share of what two CPUs would carry at the capacity per CPU measured so far; what matters is how
 * the processes split the work (processCpuShares) and the latency that follows.
 */
async function measureBalance(rig: Rig, stage: Stage): Promise<BalanceResult> {
  const c = stage.config;
  stage.activate();
  await healthyStep(rig, stage, 'chat', 15, 2000, 0);
  const perCpu = rig.found.chat.length ? median(rig.found.chat) : 40;
  const steps: StepRecord[] = [];
  for (const load of BALANCE_LOADS) {
    const s = await healthyStep(rig, stage, 'chat', load * perCpu * 2, 5000, 1000);
    steps.push(s);
    rig.log(`  chat ${s.offeredRps.toFixed(1).padStart(6)}/s: p50/p99 +${s.p50AddedMs.toFixed(0)}/${s.p99AddedMs.toFixed(0)} ms, proxy CPU ${(s.proxyCpuShare * 200).toFixed(0)} % of one CPU, shares ${s.processCpuShares.map(x => `${(x * 100).toFixed(0)} %`).join(' / ')}`);
    await sleep(1000);
  }
  stage.park();
  const pod = stage.pods[0];
  return {
    id: c.id, label: c.label, question: c.question, pods: c.pods, workersPerPod: workersOf(pod.args), server: serverOf(pod.args),
    args: displayArgs(pod.args), steps, crashes: rig.crashes.filter(x => x.config === c.id).length,
  };
}

async function edgeBaseline(rig: Rig, objects: any[]): Promise<EdgeBaseline> {
  const ingress = objects.find(o => o.kind === 'Ingress');
  const edge = await startEdge(ingress, [rig.provider.port], path.join(rig.harness.root, 'edge-baseline'));
  prioritize(edge.proc.pid, rig.opts.nice);
  const out: Array<EdgeBaseline['rows'][number]> = [];
  for (const [kind, rate] of [['chat', 50], ['stream', 15]] as Array<[WorkloadKind, number]>) {
    // Straight to the provider: the provider model name (no proxy maps the public one).
    const workload = { ...WORKLOADS[kind], model: kind === 'chat' ? PROVIDER_MODELS.chat : PROVIDER_MODELS.stream };
    const direct = await measuredStep(rig, undefined, rig.provider.port, kind, rate, 2500, 500, undefined, workload);
    const viaEdge = await measuredStep(rig, undefined, edge.port, kind, rate, 2500, 500, edge.proc.pid, workload);
    out.push({ kind, rate, direct, viaEdge });
    rig.log(`edge, ${kind} at ${rate}/s to the fake provider: p50/p99 added direct ${direct.p50AddedMs.toFixed(1)}/${direct.p99AddedMs.toFixed(1)} ms, through nginx ${viaEdge.p50AddedMs.toFixed(1)}/${viaEdge.p99AddedMs.toFixed(1)} ms; nginx ${viaEdge.edgeCpuMsPerReq.toFixed(2)} ms CPU/req`);
  }
  await edge.proc.stop(2000);
  return { rows: out };
}

async function scalingEvidence(rig: Rig, stage: Stage, capacityRps: number): Promise<ScalingEvidence> {
  const podNames = ['litellm-7c9d8f6b5d-x8k2p', 'litellm-7c9d8f6b5d-q4w9z', 'litellm-7c9d8f6b5d-m2n6r'];
  const pods = stage.pods;
  const workersPerPod = workersOf(pods[0].args);
  // The first /metrics/ of a process builds its collectors (about a second of CPU): not part of the ramp.
  await Promise.all(pods.map(p => request(p.port, 'GET', '/metrics/', { timeoutMs: 15000 }).catch(() => undefined)));
  const prom: PrometheusServer = await startPrometheus(path.join(rig.harness.root, 'prometheus'),
    pods.map((p, i) => ({ port: p.port, labels: { namespace: NAMESPACE, pod: podNames[i] } })), { groups: [] }, '/metrics/', 1);
  prioritize(prom.proc.pid, rig.opts.nice);
  // The query of the synthesized ScaledObject, as KEDA would run it: in-flight requests of all pods in
  // worker units (KEDA divides by the pods); shown per worker.
  const scaledObject = stage.objects.find(o => o.kind === 'ScaledObject');
  const kedaQuery: string = scaledObject?.spec.triggers.find((t: any) => t.type === 'prometheus')?.metadata.query;
  if (!kedaQuery) throw new Error('the scaling stage has no ScaledObject with a prometheus trigger');
  const threshold = Number(scaledObject.spec.triggers.find((t: any) => t.type === 'prometheus').metadata.threshold);
  const query = `(${kedaQuery}) / ${pods.length}`;
  const selector = `namespace="${NAMESPACE}"`;
  const levels = [0, 0.3, 0.6, 0.9, 0];
  const stepMs = 6000;
  const series: Array<ScalingEvidence['series'][number]> = [];
  const live = { inFlight: 0 };
  let offered = 0;
  let sampling = true;
  const t0 = performance.now();
  // The query's value every second while the ramp runs, next to the generator's own count.
  const sampler = (async () => {
    while (sampling) {
      const v = await prom.query(query).catch(() => []);
      series.push({ t: (performance.now() - t0) / 1000, offeredRps: offered, generatorInFlightPerWorker: live.inFlight / (pods.length * workersPerPod), queryValue: v.length ? Number(v[0].value[1]) : NaN });
      await sleep(1000);
    }
  })();
  await sleep(3000); // a few scrapes before the first level
  for (const [i, level] of levels.entries()) {
    offered = level * capacityRps;
    if (offered === 0) {
      await sleep(i === levels.length - 1 ? stepMs + 2000 : stepMs / 2);
      continue;
    }
    const r = await runStep({
      port: stage.edge.port, host: EDGE_HOST, apiKey: rig.harness.masterKey, workload: WORKLOADS.chat, ratePerSec: offered,
      durationMs: stepMs, warmupMs: 1000, timeoutMs: 30_000, abortInFlight: 400, agent: rig.agent, live,
    });
    rig.log(`  ramp ${offered.toFixed(0)}/s: ${r.meanInFlight.toFixed(1)} in flight (generator), p99 +${r.added.p99.toFixed(0)} ms`);
  }
  sampling = false;
  await sampler;
  await prom.proc.stop(3000);
  return { query, kedaQuery, threshold, selector, workersPerPod, pods: pods.length, scrapeIntervalSeconds: 1, levels: levels.map(l => l * capacityRps), stepSeconds: stepMs / 1000, series, config: stage.config.id };
}

async function main(opts: Options): Promise<void> {
  const rig = new Rig(opts);
  pin(process.pid, RIG_CPUS);
  const prioritized = prioritize(process.pid, opts.nice);
  rig.log(`capacity sweep: ${opts.configs.map(c => c.id).join(', ')}${opts.scaling ? ' + scaling evidence' : ''}; priority ${prioritized ? `rig ${opts.nice}, proxy ${opts.nice + PROXY_NICE_OFFSET}` : 'unchanged (not permitted)'}`);

  // Redis from the StatefulSet, shared by every configuration the way replicas share it; the fake provider.
  const base = synthesize(opts.configs[0]?.variant ?? SWEEP[0].variant);
  rig.harness = new Harness(base, { name: 'loadtest' });
  const redis = await rig.harness.startRedis();
  rig.redisPort = redis.port;
  prioritize(redis.proc.pid, opts.nice);
  rig.provider = await startProvider(rig.harness.root);
  prioritize(rig.provider.proc.pid, opts.nice);
  const edge = await edgeBaseline(rig, base);

  // Every configuration's pods at once; each is parked on the rig's CPU between its own steps.
  const stages = opts.configs.filter(c => c.budget === 1).map(c => new Stage(rig, c, c.id));
  const balanceStages = opts.configs.filter(c => c.budget === 2).map(c => new Stage(rig, c, c.id));
  const scalingConfig = SWEEP.find(c => c.id === 'uvicorn-1w-x2')!;
  const scalingStage = !opts.scaling ? undefined : stages.find(s => s.config.id === scalingConfig.id) ?? new Stage(rig, scalingConfig, 'scaling');
  const first = [...new Set([...stages, ...(scalingStage ? [scalingStage] : [])])];
  const all = [...first, ...balanceStages];
  rig.log(`starting ${first.reduce((n, s) => n + s.config.pods, 0)} pods of ${first.length} configurations`);
  const configs: ConfigResult[] = [];
  const balance: BalanceResult[] = [];
  let scaling: ScalingEvidence | undefined;
  try {
    await Promise.all(first.map(s => s.start()));
    rig.log(`ready (slowest pod ${(Math.max(...first.flatMap(s => s.pods.map(p => p.startMs))) / 1000).toFixed(0)} s)`);
    // The two-CPU configurations start while the others are measured: parked from the start, in idle time only.
    const later = Promise.all(balanceStages.map(s => s.start(true)));
    later.catch(() => undefined); // reported where awaited
    const warmed: Warmed[] = [];
    for (const s of stages) warmed.push(await warmUp(rig, s));
    // The searches, interleaved step by step: all chat searches together, then all stream searches.
    const crashesBefore = rig.crashes.length;
    const chat = await Promise.all(warmed.map(w => capacity(rig, w.stage, 'chat', w.start.chat)));
    const stream = await Promise.all(warmed.map(w => capacity(rig, w.stage, 'stream', w.start.stream)));
    for (const [i, w] of warmed.entries()) {
      configs.push(await finishConfig(w.stage, w, chat[i], stream[i], rig.crashes.slice(crashesBefore).filter(x => x.config === w.stage.config.id).length));
      if (chat[i].best) rig.found.chat.push(chat[i].best!.offeredRps / w.stage.config.budget);
    }
    await later;
    for (const s of balanceStages) {
      rig.log(`${s.config.label}: ${serverOf(s.pods[0].args)} on CPUs ${s.cpus}, fixed loads`);
      balance.push(await measureBalance(rig, s));
    }
    if (scalingStage) {
      // Up to one CPU's worth at the median capacity per CPU the sweep measured.
      const measured = rig.found.chat.length ? median(rig.found.chat) : 40;
      rig.log(`scaling evidence: ${scalingStage.pods.length} pods, Prometheus scraping every second`);
      scalingStage.activate();
      scaling = await scalingEvidence(rig, scalingStage, measured);
      scalingStage.park();
    }
  } finally {
    await Promise.all(all.map(s => s.stop()));
  }

  const result: RunResult = {
    litellm: LITELLM_VERSION,
    startedAt: new Date(Date.now() - rig.elapsedMs()).toISOString(),
    durationSeconds: rig.elapsedMs() / 1000,
    machine: machine(),
    command: `npm run loadtest${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    budget: `one CPU: the proxy processes of the configuration measured are pinned to CPU 1; the rig (load generator, fake provider, nginx, redis-server, Prometheus) and the other configurations' idle pods to CPU ${RIG_CPUS}. Steps of all configurations are interleaved. Two CPUs (fixed loads only): the proxy on both, sharing CPU ${RIG_CPUS} with the rig`,
    priority: prioritized ? opts.nice : 0,
    provider: { chatMs: PACE.chatMs, streamChunks: PACE.streamChunks, streamIntervalMs: PACE.streamIntervalMs },
    targets: TARGETS,
    edge,
    configs,
    balance,
    skipped: [],
    crashes: rig.crashes,
    scaling,
  };
  writeResults(rig, result);
}

function machine(): RunResult['machine'] {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version };
}

function writeResults(rig: Rig, result: RunResult): void {
  fs.mkdirSync(rig.opts.out, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const base = path.join(rig.opts.out, `run-${stamp}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(result, null, 1));
  fs.writeFileSync(`${base}.md`, renderRunMarkdown(result));
  fs.writeFileSync(`${base}.svg`, renderSweepSvg([result]));
  if (result.scaling) fs.writeFileSync(`${base}-scaling.svg`, renderScalingSvg(result.scaling));
  process.stdout.write(`\n${renderRunMarkdown(result)}\nwritten: ${base}.json, .md, .svg (${(result.durationSeconds / 60).toFixed(1)} min)\n`);
}

// --- process handling: own session, cleanup on every exit ---------------------------------------

if (require.main === module) {
  if (process.env.LOADTEST_SESSION !== '1') {
    // Run in a session of our own: its CPU priority (autogroup) is then the run's alone, not the shell's.
    const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit', detached: true, env: { ...process.env, LOADTEST_SESSION: '1' },
    });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
  } else {
    const opts = parseOptions(process.argv.slice(2));
    let stopping = false;
    const stop = async (why: string, code: number): Promise<never> => {
      if (!stopping) {
        stopping = true;
        process.stderr.write(`\nloadtest: ${why}; stopping every process it started\n`);
        await killAll();
      }
      process.exit(code);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(`got ${sig}`, 130));
    // A hard stop beyond the deadline, whatever happens.
    setTimeout(() => void stop('hard deadline reached', 2), opts.deadlineMs + 120_000).unref();
    main(opts).then(() => stop('done', 0), err => stop(`failed: ${err instanceof Error ? err.stack : String(err)}`, 1));
  }
}
