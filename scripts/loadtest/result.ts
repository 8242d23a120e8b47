/** The shape of a load-test run's results (run-<date>.json). */
import { ProcessMemory } from './procstat';
import { Target } from './stats';

export type WorkloadKind = 'chat' | 'stream';

export interface StepRecord {
  readonly kind: WorkloadKind;
  readonly offeredRps: number;
  readonly achievedRps: number;
  /** Counted arrivals (after the step's warm-up). */
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  /** Latency added to the provider's own (whole response), ms. */
  readonly p50AddedMs: number;
  readonly p99AddedMs: number;
  /** Time to first byte, p99, ms. */
  readonly p99TtfbMs: number;
  /** Mean requests in flight (the generator's view). */
  readonly meanInFlight: number;
  readonly peakInFlight: number;
  readonly aborted: boolean;
  /** Proxy CPU (all its processes) over the whole step / requests sent in the step. */
  readonly proxyCpuMsPerReq: number;
  /** Proxy CPU over the step's wall time, as a share of the budget (1 = all its CPUs). */
  readonly proxyCpuShare: number;
  /** Each proxy process's share of the proxy's CPU in the step, largest first (1 worker: [1]; a gunicorn master idles near 0). */
  readonly processCpuShares: readonly number[];
  /** nginx CPU per request (NaN without the edge). */
  readonly edgeCpuMsPerReq: number;
  /** Generator, provider and redis-server CPU per request. */
  readonly rigCpuMsPerReq: number;
  /** Share of the step the proxy's threads waited for a CPU held by something else (other processes on the machine, or each other). */
  readonly proxyRunQueueWaitShare: number;
  /** Share of the proxy's CPU used by anything else (its busy time in /proc/stat less the proxy's own): other work on the machine. */
  readonly foreignCpuShare: number;
  /** /proc/pressure/cpu some avg10 at the end of the step (percent). */
  readonly cpuPressure?: number;
  readonly sendLagP99Ms: number;
  /** No proxy process appeared or exited during the step (its CPU is then complete). */
  readonly pidsStable: boolean;
  readonly pass: boolean;
  readonly why?: string;
}

export interface CapacityResult {
  readonly kind: WorkloadKind;
  readonly target: Target;
  /** The highest offered rate that met the target. */
  readonly best?: StepRecord;
  /** The lowest rate that missed it. */
  readonly failedAt?: number;
  readonly steps: readonly StepRecord[];
}

export interface ConfigResult {
  readonly id: string;
  readonly label: string;
  readonly question: string;
  /** CPUs of the budget (1: CPU 1 alone; 2: both, shared with the rig). */
  readonly budget: number;
  readonly pods: number;
  readonly workersPerPod: number;
  readonly server: string;
  /** The pod's args (as in the Deployment). */
  readonly args: string;
  /** Slowest pod's start to its startup probe, s (measured while another configuration ran: indicative only). */
  readonly startSeconds: number;
  /** Every process before any request. */
  readonly memoryReady: readonly ProcessMemory[];
  /** After both workloads. */
  readonly memoryAfter: readonly ProcessMemory[];
  /** CPU of the idle pods, ms per second. */
  readonly backgroundCpuMsPerSec: number;
  readonly chat: CapacityResult;
  readonly stream: CapacityResult;
  /** litellm_in_flight_requests is on every pod's /metrics/ (undefined: metrics off). */
  readonly inFlightMetric?: boolean;
  /** Its series per pod (1: the workers are summed by LiteLLM, multiprocess_mode livesum). */
  readonly inFlightSeriesPerPod?: number;
  /** Pods that died during the measurement (replaced, and the step repeated). */
  readonly crashes: number;
}

/** A two-CPU configuration under a fixed load: how its processes share the work. */
export interface BalanceResult {
  readonly id: string;
  readonly label: string;
  readonly question: string;
  readonly pods: number;
  readonly workersPerPod: number;
  readonly server: string;
  readonly args: string;
  readonly steps: readonly StepRecord[];
  readonly crashes: number;
}

export interface CrashRecord {
  readonly config: string;
  readonly pod: string;
  /** The step it died in. */
  readonly during: string;
  readonly exit?: { readonly code: number | null; readonly signal: string | null };
  /** The end of its log (with PYTHONFAULTHANDLER: the Python traceback of every thread). */
  readonly logTail: string;
}

export interface EdgeBaseline {
  readonly rows: ReadonlyArray<{ readonly kind: WorkloadKind; readonly rate: number; readonly direct: StepRecord; readonly viaEdge: StepRecord }>;
}

export interface ScalingSample {
  /** s since the ramp started. */
  readonly t: number;
  readonly offeredRps: number;
  /** The generator's own count of requests in flight, per worker (ground truth). */
  readonly generatorInFlightPerWorker: number;
  /** The PromQL query's value. */
  readonly queryValue: number;
}

export interface ScalingEvidence {
  readonly config: string;
  /** What the table shows: the ScaledObject's query divided by the pods (in flight per worker). */
  readonly query: string;
  /** The synthesized ScaledObject's own query (KEDA divides it by the pods: AverageValue). */
  readonly kedaQuery?: string;
  /** The ScaledObject's threshold: in-flight requests per worker it keeps. */
  readonly threshold?: number;
  readonly selector: string;
  readonly workersPerPod: number;
  readonly pods: number;
  readonly scrapeIntervalSeconds: number;
  readonly levels: readonly number[];
  readonly stepSeconds: number;
  readonly series: readonly ScalingSample[];
}

export interface RunResult {
  readonly litellm: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: { readonly cpus: number; readonly model: string; readonly memoryGb: number; readonly kernel: string; readonly node: string };
  readonly command: string;
  readonly budget: string;
  readonly priority: number;
  readonly provider: { readonly chatMs: number; readonly streamChunks: number; readonly streamIntervalMs: number };
  readonly targets: Record<WorkloadKind, Target>;
  readonly edge: EdgeBaseline;
  readonly configs: readonly ConfigResult[];
  /** Two-CPU configurations under fixed loads. */
  readonly balance?: readonly BalanceResult[];
  readonly skipped: readonly string[];
  readonly crashes: readonly CrashRecord[];
  readonly scaling?: ScalingEvidence;
}
