import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { HttpResult, LOCALHOST, canConnect, freePort, request, waitFor } from './http';
import {
  LocalContainer, SecretValues, ServiceMap, localRedisConf, planContainer, pointModelsAt, proxyArgs, workload,
} from './manifests';
import { Proc, ensureDir, logPath } from './processes';
import { NAMESPACE, SECRET_REFS } from './stack';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const VENV_BIN = path.join(REPO_ROOT, '.e2e', 'venv', 'bin');
/** Companion packages scripts/e2e-install.sh had to substitute (their pinned build is not on the registry). */
export const COMPANIONS = path.join(REPO_ROOT, '.e2e', 'companions.txt');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Container names the library uses (lib/proxy/litellm-proxy.ts, lib/redis/redis-instance.ts). */
const PROXY_CONTAINER = 'litellm';
const REDIS_CONTAINER = 'redis';

export interface ProxyInstance {
  readonly name: string;
  readonly port: number;
  readonly proc: Proc;
  readonly plan: LocalContainer;
  readonly args: readonly string[];
  /** ms from spawn to the startup probe answering 200. */
  readonly startMs: number;
}

export interface RedisServer {
  readonly port: number;
  readonly proc: Proc;
  readonly plan: LocalContainer;
}

/**
 * Test values for the Secrets the manifests reference. The Redis password
 * carries a quote, a backslash, a dollar and a space so the start script's
 * escaping runs for real.
 */
function testSecrets(): Record<string, string> {
  const nonce = randomBytes(6).toString('hex');
  return {
    [`${SECRET_REFS.masterKey.name}/${SECRET_REFS.masterKey.key}`]: `sk-e2e-${nonce}`,
    [`${SECRET_REFS.providerKey.name}/${SECRET_REFS.providerKey.key}`]: `fake-provider-key-${nonce}`,
    [`${SECRET_REFS.redisPassword.name}/${SECRET_REFS.redisPassword.key}`]: `e2e "redis" \\pass $HOME ${nonce}`,
  };
}

export interface HarnessOptions {
  /** Directory under .e2e/run for this stack's processes. @default 'stack' */
  readonly name?: string;
  /** The stack's namespace (Service DNS names are resolved in it). @default NAMESPACE */
  readonly namespace?: string;
  /** Secret values to use instead of fresh ones (stacks that share a server share its password). */
  readonly secretValues?: Record<string, string>;
}

/** Runs the synthesized stack as local processes. */
export class Harness {
  public readonly root: string;
  public readonly secretValues: Record<string, string>;
  public readonly services: ServiceMap;
  public fakePort = 0;
  public fake?: Proc;
  public redis?: RedisServer;
  public readonly proxies: ProxyInstance[] = [];

  constructor(public readonly objects: any[], options: HarnessOptions = {}) {
    this.root = path.join(REPO_ROOT, '.e2e', 'run', options.name ?? 'stack');
    this.secretValues = options.secretValues ?? testSecrets();
    this.services = new ServiceMap(options.namespace ?? NAMESPACE);
    fs.rmSync(this.root, { recursive: true, force: true });
    ensureDir(this.root);
  }

  /**
   * Uses another harness's redis-server and fake provider: this stack's Redis Service answers
   * on the other's port, the way stacks share one Redis.
   */
  public shareWith(other: Harness): void {
    if (!other.redis || !other.fake) throw new Error('start the other stack\'s fake provider and Redis first');
    const service = workloadService(this.objects, this.redisWorkload);
    this.services.registerExternal(this.objects, service, other.redis.port);
    this.redis = other.redis;
    this.fakePort = other.fakePort;
  }

  public readonly secrets: SecretValues = (name, key) => {
    const v = this.secretValues[`${name}/${key}`];
    if (v === undefined) throw new Error(`the manifests reference Secret ${name}/${key}, which the harness has no test value for`);
    return v;
  };

  public get masterKey(): string {
    return this.secrets(SECRET_REFS.masterKey.name, SECRET_REFS.masterKey.key);
  }

  public get proxyWorkload(): any {
    return workload(this.objects, 'Deployment', PROXY_CONTAINER);
  }

  public get redisWorkload(): any {
    return workload(this.objects, 'StatefulSet', REDIS_CONTAINER);
  }

  /** config.yaml exactly as synthesized (from the ConfigMap the proxy mounts). */
  public get proxyConfigYaml(): string {
    const w = this.proxyWorkload;
    const c = w.spec.template.spec.containers.find((x: any) => x.name === PROXY_CONTAINER);
    const mount = c.args[c.args.indexOf('--config') + 1] as string;
    const vol = c.volumeMounts.find((m: any) => mount.startsWith(m.mountPath + '/'));
    const cmName = w.spec.template.spec.volumes.find((v: any) => v.name === vol.name).configMap.name;
    const cm = this.objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === cmName);
    return cm.data[path.basename(mount)];
  }

  /** The fake OpenAI-compatible provider (test/e2e/fake_provider.py). */
  public async startFakeProvider(): Promise<void> {
    this.fakePort = await freePort();
    this.fake = new Proc('fake-provider', path.join(VENV_BIN, 'python'), [path.join(__dirname, '..', 'fake_provider.py'), String(this.fakePort)], {
      env: { PATH: SYSTEM_PATH, HOME: ensureDir(path.join(this.root, 'home')), PYTHONUNBUFFERED: '1' },
      cwd: this.root, logFile: logPath(this.root, 'fake-provider'),
    });
    await waitFor('the fake provider', async () => ((await request(this.fakePort, 'GET', '/health')).status === 200 ? true : undefined), 15000);
  }

  /**
   * redis-server, started by the StatefulSet's own command (the start script) with its redis.conf.
   * `extraConf`: lines appended to redis.conf for the test's own use (e.g. an observer user allowed
   * MONITOR, which the synthesized ACL denies the proxies).
   */
  public async startRedis(extraConf: readonly string[] = []): Promise<RedisServer> {
    const w = this.redisWorkload;
    const container = w.spec.template.spec.containers.find((c: any) => c.name === REDIS_CONTAINER);
    const ports = new Map<number, number>();
    for (const p of container.ports) ports.set(p.containerPort, await freePort());
    const localPort = ports.values().next().value as number;
    const plan = planContainer({
      objects: this.objects, workload: w, containerName: REDIS_CONTAINER, root: path.join(this.root, 'redis'), ports,
      secrets: this.secrets, services: this.services, fileTransforms: { 'redis.conf': conf => [localRedisConf(localPort)(conf).trimEnd(), ...extraConf, ''].join('\n') },
    });
    this.services.register(this.objects, w, container.ports, ports);
    const [cmd, ...args] = (container.command as string[]).map(a => plan.remap(a));
    const proc = new Proc('redis', cmd, [...args, ...(container.args ?? [])], {
      env: { PATH: SYSTEM_PATH, HOME: ensureDir(path.join(this.root, 'redis', 'home')), ...plan.env },
      cwd: path.join(this.root, 'redis'), logFile: logPath(this.root, 'redis'),
    });
    this.redis = { port: localPort, proc, plan };
    const readiness = plan.probes.find(p => p.kind === 'readiness');
    await waitFor('redis readiness', async () => {
      if (!proc.running) throw new Error(`redis exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
      return (await this.runExecProbe(plan, readiness!)) === 0 ? true : undefined;
    }, 15000);
    return this.redis;
  }

  /** Runs an exec probe as the kubelet would: the container's env, a bounded time. Returns the exit code. */
  public runExecProbe(plan: LocalContainer, probe: { exec?: string[] }): Promise<number> {
    const [cmd, ...args] = probe.exec!;
    return new Promise(resolve => {
      execFile(cmd, args, { env: { PATH: SYSTEM_PATH, ...plan.env }, timeout: 5000 }, err => {
        resolve(err ? (typeof err.code === 'number' ? err.code : 1) : 0);
      });
    });
  }

  /**
   * One proxy replica: `litellm` with the Deployment's args and env, the
   * ConfigMap's config.yaml (api_base -> the fake provider, optionally further edited).
   * `imageEnv`: what the image itself would provide (e.g. the Prisma engines' locations).
   * `editEnv`: changes to the container's env as synthesized (a variant of the manifest).
   */
  public async startProxy(name: string, editConfig: (yaml: string) => string = s => s, imageEnv: Record<string, string> = {},
    editEnv: (env: Record<string, string>) => Record<string, string> = e => e): Promise<ProxyInstance> {
    const w = this.proxyWorkload;
    const container = w.spec.template.spec.containers.find((c: any) => c.name === PROXY_CONTAINER);
    const ports = new Map<number, number>();
    for (const p of container.ports) ports.set(p.containerPort, await freePort());
    const provider = `http://${LOCALHOST}:${this.fakePort}`;
    const plan = planContainer({
      objects: this.objects, workload: w, containerName: PROXY_CONTAINER, root: path.join(this.root, name), ports,
      secrets: this.secrets, services: this.services,
      fileTransforms: { 'config.yaml': yaml => editConfig(pointModelsAt(yaml, provider)) },
    });
    const args = proxyArgs(plan);
    const started = performance.now();
    const proc = new Proc(name, path.join(VENV_BIN, 'litellm'), args, {
      // The image's own environment: HOME (/app in the image) -> a local directory.
      // TMPDIR: the container's /tmp is its own emptyDir; processes on one machine must not share /tmp
      // (LiteLLM keeps PROMETHEUS_MULTIPROC_DIR there with several workers, and wipes it at start-up).
      env: { PATH: `${VENV_BIN}:${SYSTEM_PATH}`, HOME: ensureDir(path.join(this.root, name, 'home')), PYTHONUNBUFFERED: '1', ...tmpdirOf(plan), ...imageEnv, ...editEnv({ ...plan.env }) },
      cwd: path.join(this.root, name), logFile: logPath(this.root, name),
    });
    const port = ports.get(Number(container.args[container.args.indexOf('--port') + 1]))!;
    const startup = plan.probes.find(p => p.kind === 'startup') ?? plan.probes.find(p => p.kind === 'readiness')!;
    const probe = w.spec.template.spec.containers[0].startupProbe;
    // The manifest allows failureThreshold x periodSeconds (300 s); locally two minutes is plenty.
    const bound = Math.min(120, probe ? probe.failureThreshold * probe.periodSeconds : 120) * 1000;
    await waitFor(`${name} startup probe ${startup.httpPath}`, async () => {
      if (!proc.running) throw new Error(`${name} exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
      const r = await request(startup.port!, 'GET', startup.httpPath!, { timeoutMs: 5000 }).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, bound, 250).catch(err => {
      throw new Error(`${String(err)}\n--- ${name} log ---\n${proc.tail()}`);
    });
    const instance = { name, port, proc, plan, args, startMs: performance.now() - started };
    this.proxies.push(instance);
    return instance;
  }

  /** A chat completion with the master key. */
  public chat(port: number, model: string, content: string, timeoutMs = 30000): Promise<HttpResult> {
    return request(port, 'POST', '/v1/chat/completions', {
      body: { model, messages: [{ role: 'user', content }] },
      headers: { authorization: `Bearer ${this.masterKey}` },
      timeoutMs,
    });
  }

  /** Requests the fake provider received, optionally only those whose last message is `content`. */
  public async providerCalls(content?: string): Promise<number> {
    const stats = JSON.parse((await request(this.fakePort, 'GET', '/stats')).body);
    return content === undefined ? stats.completions : stats.requests.filter((r: any) => r.last === content).length;
  }

  /** The provider model name behind a public model name, from the synthesized config.yaml. */
  public providerModel(publicName: string): string {
    const doc = parse(this.proxyConfigYaml);
    const entry = doc.model_list.find((m: any) => m.model_name === publicName);
    return String(entry.litellm_params.model).replace(/^openai\//, '');
  }

  /** Whether anything accepts connections on the Redis port. */
  public redisListening(): Promise<boolean> {
    return canConnect(this.redis!.port);
  }
}

/** The Service that selects a workload's pods. */
function workloadService(objects: any[], w: any): string {
  const labels: Record<string, string> = w.spec.template.metadata?.labels ?? {};
  const svc = objects.find(o => o.kind === 'Service' && Object.entries(o.spec.selector ?? {}).every(([k, v]) => labels[k] === v));
  if (!svc) throw new Error(`no Service selects ${w.metadata.name}`);
  return svc.metadata.name;
}

/** TMPDIR pointing at the local directory of the container's /tmp mount, if it has one. */
function tmpdirOf(plan: LocalContainer): Record<string, string> {
  const tmp = plan.mounts.find(m => m.mountPath === '/tmp');
  return tmp ? { TMPDIR: tmp.localDir } : {};
}
