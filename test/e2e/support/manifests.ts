import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { LOCALHOST } from './http';
import { ensureDir } from './processes';

/**
 * Turns synthesized manifests into local processes. Only what a cluster
 * would supply is substituted:
 * - a Service name (short or FQDN) in an env value -> 127.0.0.1, its port ->
 *   the local port of the workload behind it;
 * - secretKeyRef -> a test value;
 * - container ports -> free local ports;
 * - volume mounts -> directories under the run's root (ConfigMap volumes get
 *   the ConfigMap's files), and every path under a mount in args, env, the
 *   start script and the mounted files is rewritten to match.
 * Anything else the manifests use that has no local meaning (fieldRef, a
 * Secret volume, ...) is an error, so a library change cannot slip past.
 */

export type SecretValues = (name: string, key: string) => string;

export interface Mount {
  readonly mountPath: string;
  readonly localDir: string;
}

export interface Probe {
  readonly kind: 'startup' | 'readiness' | 'liveness';
  readonly httpPath?: string;
  readonly port?: number;
  readonly exec?: string[];
  readonly tcp?: boolean;
}

export interface LocalContainer {
  /** The workload (Deployment / StatefulSet) object. */
  readonly workload: any;
  readonly container: any;
  /** containerPort -> local port. */
  readonly ports: ReadonlyMap<number, number>;
  readonly mounts: readonly Mount[];
  /** The container env, resolved and substituted (no base env). */
  readonly env: Record<string, string>;
  readonly probes: readonly Probe[];
  readonly terminationGracePeriodSeconds: number;
  /** The preStop exec command, if any. */
  readonly preStop?: string[];
  /** Rewrites container paths under a mount to their local directories. */
  remap(text: string): string;
}

/** The objects of one kind. */
export function ofKind(objects: any[], kind: string): any[] {
  return objects.filter(o => o.kind === kind);
}

/** The single workload of `kind` whose pod runs a container named `containerName`. */
export function workload(objects: any[], kind: 'Deployment' | 'StatefulSet', containerName: string): any {
  const found = ofKind(objects, kind).filter(o => o.spec.template.spec.containers.some((c: any) => c.name === containerName));
  if (found.length !== 1) throw new Error(`expected one ${kind} running container "${containerName}", found ${found.length}`);
  return found[0];
}

export function containerOf(w: any, name: string): any {
  return w.spec.template.spec.containers.find((c: any) => c.name === name);
}

/** Local endpoints of the Services: which local port answers a Service port. */
export class ServiceMap {
  private readonly map = new Map<string, Map<number, number>>();

  constructor(private readonly namespace: string) {}

  /** Registers the Services in `objects` that select `w`'s pods, for a workload running locally on `ports`. */
  public register(objects: any[], w: any, containerPorts: readonly any[], ports: ReadonlyMap<number, number>): void {
    const podLabels: Record<string, string> = w.spec.template.metadata?.labels ?? {};
    for (const svc of ofKind(objects, 'Service')) {
      const selector: Record<string, string> = svc.spec.selector ?? {};
      if (Object.keys(selector).length === 0 || !Object.entries(selector).every(([k, v]) => podLabels[k] === v)) continue;
      const byServicePort = new Map<number, number>();
      for (const sp of svc.spec.ports) {
        const target = sp.targetPort ?? sp.port;
        const cp = typeof target === 'number' ? target : containerPorts.find((p: any) => p.name === target)?.containerPort;
        const local = cp !== undefined ? ports.get(cp) : undefined;
        if (local === undefined) throw new Error(`Service ${svc.metadata.name} port ${sp.port}: target ${target} is not a container port`);
        byServicePort.set(sp.port, local);
      }
      this.map.set(svc.metadata.name, byServicePort);
    }
  }

  /**
   * Points a Service of `objects` (its workload runs elsewhere, e.g. another stack's Redis) at
   * a local port: what a shared server looks like from this stack.
   */
  public registerExternal(objects: any[], serviceName: string, localPort: number): void {
    const svc = ofKind(objects, 'Service').find(s => s.metadata.name === serviceName);
    if (!svc) throw new Error(`no Service ${serviceName} in the manifests`);
    this.map.set(serviceName, new Map(svc.spec.ports.map((sp: any) => [sp.port as number, localPort])));
  }

  /** The Service a host name means (short name or FQDN in this namespace), if any. */
  public serviceFor(host: string): string | undefined {
    const h = host.replace(/\.$/, '');
    for (const name of this.map.keys()) {
      const ns = this.namespace;
      if ([name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`].includes(h)) return name;
    }
    return undefined;
  }

  public localPort(service: string, servicePort: number): number {
    const p = this.map.get(service)?.get(servicePort);
    if (p === undefined) throw new Error(`Service ${service} has no port ${servicePort}`);
    return p;
  }
}

export interface PlanOptions {
  readonly objects: any[];
  readonly workload: any;
  readonly containerName: string;
  /** Directory for this instance's volumes. */
  readonly root: string;
  /** containerPort -> local port. */
  readonly ports: ReadonlyMap<number, number>;
  readonly secrets: SecretValues;
  readonly services: ServiceMap;
  /** Per-file edits of ConfigMap files after path remapping, keyed by file name. */
  readonly fileTransforms?: Record<string, (content: string) => string>;
}

/** Lays out one container's volumes locally and resolves its env, ports and probes. */
export function planContainer(opts: PlanOptions): LocalContainer {
  const { objects, workload: w } = opts;
  const podSpec = w.spec.template.spec;
  const container = containerOf(w, opts.containerName);
  if (!container) throw new Error(`no container ${opts.containerName}`);

  // --- volumes ---------------------------------------------------------------
  const mounts: Mount[] = (container.volumeMounts ?? []).map((m: any) => ({
    mountPath: m.mountPath,
    localDir: ensureDir(path.join(opts.root, m.name)),
  }));
  // One pass over all mount paths (longest first): a replaced path is never rewritten again,
  // e.g. /etc/litellm -> /tmp/.../config must not then match the /tmp mount.
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const byPath = new Map(sorted.map(m => [m.mountPath, m.localDir]));
  const anyMount = sorted.length === 0 ? undefined
    : new RegExp(`(^|[\\s"'=:])(${sorted.map(m => escapeRegExp(m.mountPath)).join('|')})(?=/|$|[\\s"'])`, 'gm');
  const remap = (text: string): string =>
    anyMount === undefined ? text : text.replace(anyMount, (_all, pre: string, mount: string) => pre + byPath.get(mount));
  for (const m of container.volumeMounts ?? []) {
    const vol = (podSpec.volumes ?? []).find((v: any) => v.name === m.name);
    if (!vol) throw new Error(`volumeMount ${m.name} has no volume (a volumeClaimTemplate is not supported here)`);
    const dir = path.join(opts.root, m.name);
    if (vol.configMap) {
      const cm = ofKind(objects, 'ConfigMap').find(c => c.metadata.name === vol.configMap.name);
      if (!cm) throw new Error(`ConfigMap ${vol.configMap.name} is not in the manifests`);
      for (const [file, content] of Object.entries<string>(cm.data ?? {})) {
        const edit = opts.fileTransforms?.[file] ?? ((s: string) => s);
        fs.writeFileSync(path.join(dir, file), edit(remap(content)));
      }
    } else if (!vol.emptyDir) {
      throw new Error(`volume ${m.name}: only configMap and emptyDir volumes have a local meaning here`);
    }
  }

  // --- ports -----------------------------------------------------------------
  const localPortOf = (p: string | number): number => {
    const cp = typeof p === 'number' ? p : (container.ports ?? []).find((x: any) => x.name === p)?.containerPort;
    const local = cp !== undefined ? opts.ports.get(cp) : undefined;
    if (local === undefined) throw new Error(`container port ${p} has no local port`);
    return local;
  };

  // --- env -------------------------------------------------------------------
  const env: Record<string, string> = {};
  const serviceHosts = new Map<string, string>(); // env prefix -> Service
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      const svc = opts.services.serviceFor(e.value);
      if (svc !== undefined) {
        env[e.name] = LOCALHOST;
        serviceHosts.set(e.name.replace(/_HOST$/, ''), svc);
      } else {
        env[e.name] = remap(e.value);
      }
    } else if (e.valueFrom?.secretKeyRef) {
      env[e.name] = opts.secrets(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    } else {
      throw new Error(`env ${e.name}: only values and secretKeyRefs have a local meaning here`);
    }
  }
  // X_PORT next to an X_HOST that named a Service: the Service's port -> the local port behind it.
  for (const [prefix, svc] of serviceHosts) {
    const name = `${prefix}_PORT`;
    if (env[name] !== undefined) env[name] = String(opts.services.localPort(svc, Number(env[name])));
  }

  // --- probes and lifecycle --------------------------------------------------
  const probes: Probe[] = [];
  for (const kind of ['startup', 'readiness', 'liveness'] as const) {
    const p = container[`${kind}Probe`];
    if (!p) continue;
    if (p.httpGet) probes.push({ kind, httpPath: p.httpGet.path, port: localPortOf(p.httpGet.port) });
    else if (p.tcpSocket) probes.push({ kind, tcp: true, port: localPortOf(p.tcpSocket.port) });
    else if (p.exec) probes.push({ kind, exec: p.exec.command.map((a: string) => remapContainerPorts(remap(a), opts.ports)) });
    else throw new Error(`${kind} probe of an unknown type`);
  }

  return {
    workload: w, container, ports: opts.ports, mounts, env, probes, remap,
    terminationGracePeriodSeconds: podSpec.terminationGracePeriodSeconds ?? 30,
    preStop: container.lifecycle?.preStop?.exec?.command,
  };
}

/** `-p 6379` (a client inside the container reaching its own port) -> the local port. */
function remapContainerPorts(text: string, ports: ReadonlyMap<number, number>): string {
  let out = text;
  for (const [cp, local] of ports) out = out.replace(new RegExp(`(-p\\s+)${cp}\\b`, 'g'), `$1${local}`);
  return out;
}

/** The proxy's args for a local run: ports mapped, paths remapped, bound to 127.0.0.1. */
export function proxyArgs(c: LocalContainer): string[] {
  if (c.container.command !== undefined) throw new Error('the proxy container overrides the image entrypoint; the harness runs `litellm` with its args');
  const args: string[] = (c.container.args ?? []).map((a: string) => c.remap(a));
  const i = args.indexOf('--port');
  if (i >= 0) args[i + 1] = String(c.ports.get(Number(args[i + 1])));
  if (args.includes('--host')) throw new Error('the manifest sets --host; the harness expected the image default (0.0.0.0)');
  // The only addition: listen on loopback instead of every interface (no traffic leaves the machine).
  return [...args, '--host', LOCALHOST];
}

/** config.yaml with every model's api_base pointed at the fake provider (scheme, host and port; the path is kept). */
export function pointModelsAt(configYaml: string, providerBase: string): string {
  const doc = parse(configYaml);
  const base = new URL(providerBase);
  for (const m of doc.model_list ?? []) {
    const p = m.litellm_params ?? {};
    if (typeof p.api_base === 'string') {
      const u = new URL(p.api_base);
      u.protocol = base.protocol;
      u.host = base.host;
      p.api_base = u.toString().replace(/\/$/, '');
    }
  }
  return stringify(doc);
}

/**
 * The same config.yaml without its Redis wiring: general_settings.coordination_redis, litellm_settings.cache
 * and cache_params (with `cache: true` alone LiteLLM would still build a Redis cache from REDIS_HOST), and
 * any router_settings.redis_* / cache_kwargs. Nothing else changes.
 */
export function withoutRedis(configYaml: string): { yaml: string; removed: string[] } {
  const doc = parse(configYaml);
  const removed: string[] = [];
  for (const key of Object.keys(doc.router_settings ?? {})) {
    if (key.startsWith('redis_') || key === 'cache_kwargs') {
      delete doc.router_settings[key];
      removed.push(`router_settings.${key}`);
    }
  }
  if (doc.general_settings && 'coordination_redis' in doc.general_settings) {
    delete doc.general_settings.coordination_redis;
    removed.push('general_settings.coordination_redis');
  }
  for (const key of ['cache', 'cache_params']) {
    if (doc.litellm_settings && key in doc.litellm_settings) {
      delete doc.litellm_settings[key];
      removed.push(`litellm_settings.${key}`);
    }
  }
  const yaml = stringify(doc);
  if (/REDIS_/.test(yaml)) throw new Error(`config still refers to Redis after removing ${removed.join(', ')}`);
  return { yaml, removed };
}

/** redis.conf for a local run: loopback only and the local port; everything else as synthesized. */
export function localRedisConf(port: number): (conf: string) => string {
  return conf => conf
    .replace(/^bind .*$/m, `bind ${LOCALHOST}`)
    .replace(/^port \d+$/m, `port ${port}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
