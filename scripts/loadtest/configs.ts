/**
 * The sweep: configurations of the proxy compared on the same CPU budget.
 *
 * What the library renders is the starting point of each (`variant`: the
 * `LiteLLMStack` props it is synthesized with); a configuration the library
 * cannot render yet (another server, a worker count that differs from the CPU
 * rule) is an edit of the rendered args, named here and nowhere else.
 */
import { LogLevel } from '../../lib';
import { StackVariant } from './stack';

/** The ASGI servers the pinned release's CLI can run (proxy_cli.py). */
export enum Server {
  /** Whatever the library renders (uvicorn for one worker, gunicorn for more). */
  AS_RENDERED = 'as-rendered',
  /** `litellm` without a server flag: uvicorn (its own multi-process supervisor for several workers). */
  UVICORN = 'uvicorn',
  /** `--run_gunicorn`: gunicorn master + uvicorn workers, app preloaded and forked. */
  GUNICORN = 'gunicorn',
  /** `--run_granian`: Granian (Rust HTTP server, its own worker processes). */
  GRANIAN = 'granian',
  /** `--run_hypercorn`: Hypercorn on the asyncio event loop; always one process (the CLI ignores --num_workers). */
  HYPERCORN = 'hypercorn',
}

export interface SweepConfig {
  /** Short key, used in file names and on the command line (--configs). */
  readonly id: string;
  /** What the table and chart call it. */
  readonly label: string;
  /** What it tests. */
  readonly question: string;
  /** Proxy pods behind the edge. */
  readonly pods: number;
  /** How the stack is synthesized. */
  readonly variant: StackVariant;
  readonly server: Server;
  /** `--num_workers` instead of what the library derives from `variant.cpu`. */
  readonly workers?: number;
  /** In the default (quick) sweep; the rest only with --full. */
  readonly quick: boolean;
  /**
   * The CPU budget. 1: every proxy process pinned to CPU 1, the rig on CPU 0 at a higher priority;
   * the configuration's capacity is searched. 2: the proxy on both CPUs, sharing CPU 0 with the rig
   * at the same priority (a higher-priority rig makes the scheduler crowd the proxy onto CPU 1: it
   * balances by weight); a machine of two CPUs cannot give the proxy two clean CPUs and load it too,
   * so these are not searched: a fixed load shows how the processes share it (balance probe).
   */
  readonly budget: 1 | 2;
}

const PRODUCTION: StackVariant = { cpu: '1', metrics: true, logLevel: LogLevel.ERROR };

export const SWEEP: readonly SweepConfig[] = [
  {
    id: 'uvicorn-1w', label: '1 pod × 1 worker (uvicorn)', pods: 1, variant: PRODUCTION, server: Server.AS_RENDERED, quick: true, budget: 1,
    question: 'the library with cpu "1": one uvicorn worker per pod, the baseline of every ratio',
  },
  {
    id: 'gunicorn-2w', label: '1 pod × 2 workers (gunicorn)', pods: 1, variant: { ...PRODUCTION, cpu: '2' }, server: Server.AS_RENDERED, quick: true, budget: 1,
    question: 'the library with cpu "2" (today\'s production preset): two workers under gunicorn, here on one CPU (= 4 workers on 2 CPUs)',
  },
  {
    id: 'uvicorn-1w-x2', label: '2 pods × 1 worker (uvicorn) behind the edge', pods: 2, variant: PRODUCTION, server: Server.AS_RENDERED, quick: true, budget: 1,
    question: 'two processes per CPU as separate pods, balanced by nginx instead of the kernel',
  },
  {
    id: 'gunicorn-1w', label: '1 pod × 1 worker (gunicorn)', pods: 1, variant: PRODUCTION, server: Server.GUNICORN, quick: true, budget: 1,
    question: 'what gunicorn itself costs per request (its master, its per-request access log)',
  },
  {
    id: 'granian-1w', label: '1 pod × 1 worker (granian)', pods: 1, variant: PRODUCTION, server: Server.GRANIAN, quick: true, budget: 1,
    question: 'a Rust HTTP server in front of the same app',
  },
  {
    id: 'hypercorn-1w', label: '1 pod × 1 worker (hypercorn, asyncio loop)', pods: 1, variant: PRODUCTION, server: Server.HYPERCORN, quick: false, budget: 1,
    question: 'hypercorn, which runs the stock asyncio event loop (uvicorn, gunicorn and granian run uvloop)',
  },
  {
    id: 'uvicorn-1w-nometrics', label: '1 pod × 1 worker (uvicorn), metrics off', pods: 1, variant: { ...PRODUCTION, metrics: false }, server: Server.AS_RENDERED, quick: true, budget: 1,
    question: 'what the prometheus callbacks (metrics: prometheus and prometheus_system) cost per request',
  },
  {
    id: 'gunicorn-2w-2cpu', label: '1 pod × 2 workers (gunicorn), 2 CPUs', pods: 1, variant: { ...PRODUCTION, cpu: '2' }, server: Server.AS_RENDERED, quick: true, budget: 2,
    question: 'today\'s production pod as rendered (cpu "2": 2 workers under gunicorn) on both CPUs: do both workers get the load?',
  },
  {
    id: 'uvicorn-1w-x2-2cpu', label: '2 pods × 1 worker (uvicorn) behind the edge, 2 CPUs', pods: 2, variant: PRODUCTION, server: Server.AS_RENDERED, quick: true, budget: 2,
    question: 'the same two CPUs as two one-worker pods (cpu "1" each), balanced by nginx per request',
  },
  {
    id: 'uvicorn-1w-gc', label: '1 pod × 1 worker (uvicorn), PYTHON_GC_THRESHOLD=10000,50,100', pods: 1, server: Server.AS_RENDERED, quick: false, budget: 1,
    variant: { ...PRODUCTION, env: { PYTHON_GC_THRESHOLD: '10000,50,100' } },
    question: 'fewer garbage collections (LiteLLM reads PYTHON_GC_THRESHOLD at start-up; a full collection of its heap pauses a worker for ~0.5 s)',
  },
  {
    id: 'uvicorn-2w', label: '1 pod × 2 workers (uvicorn supervisor)', pods: 1, variant: { ...PRODUCTION, cpu: '2' }, server: Server.UVICORN, quick: false, budget: 1,
    question: 'two workers without gunicorn (uvicorn\'s own supervisor; the library avoids it for its drain)',
  },
  {
    id: 'granian-2w', label: '1 pod × 2 workers (granian)', pods: 1, variant: { ...PRODUCTION, cpu: '2' }, server: Server.GRANIAN, quick: false, budget: 1,
    question: 'two granian workers on one CPU',
  },
  {
    id: 'uvicorn-1w-info', label: '1 pod × 1 worker (uvicorn), LITELLM_LOG=INFO', pods: 1, variant: { ...PRODUCTION, logLevel: LogLevel.INFO }, server: Server.AS_RENDERED, quick: true, budget: 1,
    question: 'what INFO logging costs per request (the library\'s default is ERROR)',
  },
];

const SERVER_FLAGS = ['--run_gunicorn', '--run_granian', '--run_hypercorn'];

/** The rendered args with the configuration's server and worker count. */
export function editArgs(args: readonly string[], server: Server, workers?: number): string[] {
  let out = [...args];
  if (server !== Server.AS_RENDERED) {
    out = out.filter(a => !SERVER_FLAGS.includes(a));
    if (server !== Server.UVICORN) out.push(`--run_${server}`);
  }
  if (workers !== undefined) {
    const i = out.indexOf('--num_workers');
    if (i >= 0) out[i + 1] = String(workers);
    else out.push('--num_workers', String(workers));
  }
  return out;
}

/** Worker processes serving requests in one pod started with `args` (a gunicorn master serves none). */
export function workersOf(args: readonly string[]): number {
  if (args.includes('--run_hypercorn')) return 1;
  const i = args.indexOf('--num_workers');
  return i >= 0 ? Number(args[i + 1]) : 1;
}

/** The server `args` run. */
export function serverOf(args: readonly string[]): string {
  for (const f of SERVER_FLAGS) if (args.includes(f)) return f.slice('--run_'.length);
  return 'uvicorn';
}

/** The pod's args as the Deployment has them: local ports and paths put back. */
export function displayArgs(args: readonly string[]): string {
  const out = [...args];
  const port = out.indexOf('--port');
  if (port >= 0) out[port + 1] = '4000';
  const config = out.indexOf('--config');
  if (config >= 0) out[config + 1] = '/etc/litellm/config.yaml';
  const host = out.indexOf('--host');
  if (host >= 0) out.splice(host, 2);
  return out.join(' ');
}
