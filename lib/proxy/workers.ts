import { LiteLLMConfigError } from '../errors';
import { formatCpu, MiB } from '../quantity';

/**
 * How many Uvicorn worker processes each proxy pod runs.
 *
 * LiteLLM's `--num_workers` defaults to 1 in `proxy_cli.py`, and inside a
 * container `$(nproc)` reports the node's cores, not the pod's CPU
 * (litellm#26620), so the count is fixed here at synth time from the CPU the
 * pod requests.
 */
export abstract class WorkerSizing {
  /**
   * One worker per whole CPU requested (at least one): the production guide's
   * "workers = vCPU of the pod". Fewer, larger pods. The default.
   */
  public static perCpu(): WorkerSizing {
    return new PerCpu();
  }

  /**
   * Exactly one worker; scale with pods (replicas / autoscaler). The guide's
   * newer advice: the kubelet, the HPA and the PDB then see every process.
   */
  public static onePerPod(): WorkerSizing {
    return new Fixed(1, 'onePerPod');
  }

  /** A fixed count, which must not exceed the whole CPUs requested (minimum 1). */
  public static fixed(workers: number): WorkerSizing {
    return new Fixed(workers, 'fixed');
  }

  /** The worker count for a pod requesting `cpuMillis` millicores. */
  public abstract workersFor(cpuMillis: number, prop: string): number;
  /** A short description for docs and errors. */
  public abstract readonly description: string;
}

class PerCpu extends WorkerSizing {
  public readonly description = 'one worker per whole CPU requested';
  public workersFor(cpuMillis: number): number {
    return Math.max(1, Math.floor(cpuMillis / 1000));
  }
}

class Fixed extends WorkerSizing {
  constructor(private readonly workers: number, public readonly description: string) {
    super();
  }
  public workersFor(cpuMillis: number, prop: string): number {
    const w = this.workers;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) {
      throw new LiteLLMConfigError(prop, w, 'worker count must be an integer >= 1');
    }
    const max = Math.max(1, Math.floor(cpuMillis / 1000));
    if (w > max) {
      throw new LiteLLMConfigError(prop, w,
        `at most ${max} worker(s) for a CPU request of ${formatCpu(cpuMillis)}: a worker is one busy process, so give each a whole CPU (raise cpu, or lower workers)`);
    }
    return w;
  }
}

/**
 * Memory each pod requests: a base plus a slice per worker, because every
 * worker is a full copy of the proxy.
 *
 * Measured on litellm 1.108.14 (this machine, `ps -o rss`, config with one
 * model, 200 completions; scripts/measure-proxy-memory.sh): one
 * uvicorn worker 327 MB idle, 338 MB after; with `--num_workers 2
 * --run_gunicorn` the gunicorn master holds 324 MB (it preloads the app and
 * forks the workers, so part of it is shared copy-on-write and RSS overstates
 * the cgroup's count) and each worker 301-308 MB idle, 315-319 MB after. The
 * base covers a single worker's process or the master; each worker gets ~1.6x
 * its measured size as headroom for the growth under sustained load reported
 * in litellm#12685 / #27954 (recycle workers with maxRequestsBeforeRestart if
 * it keeps growing). The limit is twice the request.
 */
export const MEMORY_BASE_BYTES = 256 * MiB;
export const MEMORY_PER_WORKER_BYTES = 512 * MiB;

export function memoryRequestBytes(workers: number): number {
  return MEMORY_BASE_BYTES + workers * MEMORY_PER_WORKER_BYTES;
}
