/**
 * The processes of the load test, started from the synthesized manifests with
 * the e2e suite's machinery (test/e2e/support): the proxy "pods" from the
 * Deployment's args, env and ConfigMap, redis-server from the StatefulSet's
 * start script, nginx from the Ingress's annotations. The rig's only changes
 * to a pod are the ones a cluster would make (ports, paths, Secrets, Service
 * names: see manifests.ts) plus the configuration's server knob, applied to the
 * args as a named edit, and CPU pinning.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../test/e2e/support/harness';
import { LOCALHOST, freePort, request, waitFor } from '../../test/e2e/support/http';
import { LocalContainer, ServiceMap, SecretValues, planContainer, pointModelsAt, proxyArgs, workload } from '../../test/e2e/support/manifests';
import { EdgeProxy, startEdge as startE2eEdge } from '../../test/e2e/support/nginx';
import { Proc, ensureDir, logPath } from '../../test/e2e/support/processes';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The load test's venv (scripts/loadtest/install.sh): the e2e venv's packages, hypercorn, the image's OpenTelemetry packages. */
export const VENV_BIN = path.join(REPO_ROOT, '.e2e', 'loadtest-venv', 'bin');

/** Pins every thread of `pid` (and what it starts later) to `cpus` (e.g. "0" or "0,1"). */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** The fake provider (scripts/loadtest/provider.ts), a Node process of its own. */
export async function startProvider(root: string): Promise<{ port: number; proc: Proc }> {
  const port = await freePort();
  const proc = new Proc('provider', process.execPath, ['--import', 'tsx', path.join(__dirname, 'provider.ts'), String(port)], {
    env: { PATH: SYSTEM_PATH, HOME: ensureDir(path.join(root, 'provider-home')) }, cwd: REPO_ROOT, logFile: logPath(root, 'provider'),
  });
  await waitFor('the fake provider', async () => {
    if (!proc.running) throw new Error(`provider exited: ${proc.tail()}`);
    return (await request(port, 'GET', '/health', { timeoutMs: 2000 })).status === 200 ? true : undefined;
  }, 20000);
  return { port, proc };
}

export interface Pod {
  readonly name: string;
  readonly port: number;
  readonly proc: Proc;
  readonly args: readonly string[];
  readonly plan: LocalContainer;
  /** ms from spawn to the startup probe answering 200. */
  readonly startMs: number;
}

export interface PodOptions {
  readonly objects: any[];
  readonly root: string;
  readonly name: string;
  readonly secrets: SecretValues;
  readonly services: ServiceMap;
  readonly providerPort: number;
  /** The configuration's edit of the Deployment's args (server, worker count), after the rig's own. */
  readonly editArgs: (args: string[]) => string[];
  /** CPUs the pod's processes may run on (taskset -c). */
  readonly cpus: string;
  /** Variables added to the container's env (a configuration's knob that is an environment variable). */
  readonly env?: Record<string, string>;
  /** Called once the process exists (e.g. to set its priority before it starts its workers). */
  readonly onSpawn?: (proc: Proc) => void;
}

/** One proxy pod: `litellm` with the Deployment's args and env and the ConfigMap's config.yaml, pinned to `cpus`. */
export async function startPod(o: PodOptions): Promise<Pod> {
  const w = workload(o.objects, 'Deployment', 'litellm');
  const container = w.spec.template.spec.containers.find((c: any) => c.name === 'litellm');
  const ports = new Map<number, number>();
  for (const p of container.ports) ports.set(p.containerPort, await freePort());
  const dir = path.join(o.root, o.name);
  const plan = planContainer({
    objects: o.objects, workload: w, containerName: 'litellm', root: dir, ports, secrets: o.secrets, services: o.services,
    fileTransforms: { 'config.yaml': yaml => pointModelsAt(yaml, `http://${LOCALHOST}:${o.providerPort}`) },
  });
  const args = o.editArgs(proxyArgs(plan));
  const tmp = plan.mounts.find(m => m.mountPath === '/tmp');
  const started = performance.now();
  // taskset execs litellm: the pid (and process group) is the proxy's own.
  const proc = new Proc(o.name, 'taskset', ['-c', o.cpus, path.join(VENV_BIN, 'litellm'), ...args], {
    env: {
      PATH: `${VENV_BIN}:${SYSTEM_PATH}`, HOME: ensureDir(path.join(dir, 'home')), PYTHONUNBUFFERED: '1',
      // A crash (SIGSEGV) writes every thread's Python traceback into the pod's log; nothing else changes.
      PYTHONFAULTHANDLER: '1',
      ...(tmp ? { TMPDIR: tmp.localDir } : {}), ...plan.env, ...o.env,
    },
    cwd: dir, logFile: logPath(dir, 'proxy'),
  });
  o.onSpawn?.(proc);
  const port = ports.get(Number(container.args[container.args.indexOf('--port') + 1]))!;
  const startup = plan.probes.find(p => p.kind === 'startup') ?? plan.probes.find(p => p.kind === 'readiness')!;
  await waitFor(`${o.name} startup probe`, async () => {
    if (!proc.running) throw new Error(`${o.name} exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
    const r = await request(startup.port!, 'GET', startup.httpPath!, { timeoutMs: 5000 }).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  }, 120000, 250).catch(err => { throw new Error(`${String(err)}\n--- ${o.name} log ---\n${proc.tail()}`); });
  return { name: o.name, port, proc, args, plan, startMs: performance.now() - started };
}

export type Edge = EdgeProxy;

/**
 * nginx as ingress-nginx renders the Ingress (test/e2e/support/nginx.ts), with the
 * controller's defaults that matter under load: worker_connections 16384,
 * keepalive_requests 10000 to clients and upstreams (ConfigMap defaults
 * max-worker-connections, keep-alive-requests, upstream-keepalive-requests).
 * One worker process: ingress-nginx runs one per core of its own pod.
 */
export async function startEdge(ingress: any, upstreamPorts: readonly number[], root: string): Promise<Edge> {
  return startE2eEdge(ingress, upstreamPorts, await freePort(), root, conf => conf
    .replace(/worker_connections \d+;/, 'worker_connections 16384;')
    .replace(/error_log (\S+) info;/, 'error_log $1 warn;')
    .replace(/(keepalive \d+;)/, '$1\n    keepalive_requests 10000;')
    .replace(/(http \{)/, '$1\n  keepalive_requests 10000;'));
}

/**
 * Raises a process's CPU priority: its autogroup's nice (with autogroup scheduling, on by default
 * on Linux desktops and many VMs, a process's own nice only counts within its session) and its own.
 * Returns false when not permitted (then the run is only more exposed to other work on the machine).
 */
export function prioritize(pid: number, nice: number): boolean {
  let ok = true;
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    ok = false;
  }
  try {
    require('os').setPriority(pid, nice);
  } catch {
    ok = false;
  }
  return ok;
}
