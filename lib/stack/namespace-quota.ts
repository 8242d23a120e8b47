import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { LiteLLMConfigError, addStackValidation, inStack } from '../errors';
import { standardLabels } from '../labels';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { boolean, dns1123Subdomain, integer } from '../validate';

/** A ResourceQuota and a LimitRange for a stack's namespace, sized from what the stack runs: a stack's `quota` prop. */
export interface NamespaceQuotaOptions {
  /** Emit them; `false` turns them off (e.g. a tenant against its fleet's `quota`). @default true */
  readonly enabled?: boolean;
  /**
   * Emit a LimitRange whose defaults fill in requests and limits for containers that set none
   * (a pod started by hand), so they count against the quota instead of being refused by it.
   * Every container of the stack sets its own, so the defaults never change one of them.
   * @default true
   */
  readonly limitRange?: boolean;
  /**
   * Room for this many more pods at the LimitRange's defaults (a debug pod, an operator's
   * helper). cert-manager's HTTP-01 solver pods for the stack's own certificates are counted
   * without it.
   * @default 0
   */
  readonly extraPods?: number;
}

/** Props of {@link NamespaceQuota}. */
export interface NamespaceQuotaProps extends NamespaceQuotaOptions {
  /** Name of the ResourceQuota and the LimitRange. @default the construct id, lower-cased */
  readonly name?: string;
}

/** Resource totals, in millicores, bytes and counts. */
interface Totals {
  cpuRequests: number;
  memoryRequests: number;
  cpuLimits: number;
  memoryLimits: number;
  pods: number;
  pvcs: number;
  storage: number;
  loadBalancers: number;
  nodePorts: number;
}

/** One pod's requests and limits; undefined where a container leaves it unset (then it cannot be quota'd). */
interface PodResources {
  cpuRequest?: number;
  memoryRequest?: number;
  cpuLimit?: number;
  memoryLimit?: number;
}

/** What the quota and the LimitRange are derived from: every pod of the stack at its largest, and the smallest and largest container. */
export interface QuotaDerivation {
  readonly totals: Totals;
  /** Whether every container of every pod sets it (else that resource is not part of the quota: a container without it would be refused). */
  readonly everywhere: { cpuRequest: boolean; memoryRequest: boolean; cpuLimit: boolean; memoryLimit: boolean };
  /** The smallest request and limit of any container (the LimitRange's defaults) and the largest memory limit (its max). */
  readonly smallest: PodResources;
  readonly largestMemoryLimit?: number;
  /** Per workload: `Kind/name` → pods counted and why (for the README and tests). */
  readonly workloads: Array<{ workload: string; pods: number; why: string }>;
}

/** cert-manager's HTTP-01 solver pod (cmd/controller/app/options: --acme-http01-solver-resource-*), and its Service (NodePort by default). */
const ACME_SOLVER = { cpuRequest: 10, memoryRequest: 64 * 1024 ** 2, cpuLimit: 100, memoryLimit: 64 * 1024 ** 2 };

/** `group/Kind` of objects that run pods (ReplicaSets, DaemonSets and CronJobs are refused: their pod count is not in the object). */
const WORKLOADS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/ReplicaSet', 'apps/DaemonSet', 'batch/Job', 'batch/CronJob', '/Pod', 'postgresql.cnpg.io/Cluster']);


/**
 * A ResourceQuota and a LimitRange for the namespace of the chart they are in,
 * derived at synth time from every object of the chart, so that the quota is
 * exactly what the stack needs at its largest:
 *
 * - a Deployment counts 2 × its most replicas (the autoscaler's maximum):
 *   during a rollout every old pod keeps counting until it has drained, since
 *   the quota counts a terminating pod until its grace period is over
 *   (kubernetes pkg/quota/v1/evaluator/core/pods.go QuotaV1Pod), and the
 *   proxy's grace period covers the longest request; the surge pod is among
 *   the new ones;
 * - a StatefulSet its replicas (it replaces a pod only once the old one is
 *   gone), a Job its parallelism (Argo CD deletes a hook's previous Job before
 *   creating the next), a CloudNativePG Cluster its instances;
 * - a pod counts max(sum of its containers, largest init container), as the
 *   API server does;
 * - cert-manager's HTTP-01 solver pod and NodePort Service for every host
 *   of a certificate the stack asks for (ingress-shim annotations, Certificate).
 *
 * Quota'd: CPU and memory requests, memory limits (CPU limits only when every
 * container sets one: a quota on a resource refuses every container without
 * it), pods, PersistentVolumeClaims and their storage, LoadBalancer Services
 * and node ports (0 unless the stack exposes some). Object counts of
 * ConfigMaps, Secrets or Jobs are left out: Kubernetes and operators create
 * those in the namespace too. The LimitRange sets defaults only for what every
 * container of the stack sets itself, so it never changes our pods; it sets
 * no default CPU limit (the proxy runs without one: throttling stalls streams).
 */
export class NamespaceQuota extends Construct {
  /** The ResourceQuota (the primary child, id `Resource`). */
  public readonly resourceQuota: ApiObject;
  /** The LimitRange, unless `limitRange` is false. */
  public readonly limitRange?: ApiObject;
  /** The name of both objects. */
  public readonly name: string;

  private readonly extraPods: number;
  private readonly reserved = new Map<ApiObject, number>();
  private derived?: QuotaDerivation;

  constructor(scope: Construct, id: string, props: NamespaceQuotaProps = {}) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) throw new LiteLLMConfigError(id, props, 'must be { limitRange?, extraPods? }');
      this.name = dns1123Subdomain('name', props.name ?? id.toLowerCase());
      if (props.enabled !== undefined) boolean('enabled', props.enabled);
      const withLimitRange = boolean('limitRange', props.limitRange ?? true);
      this.extraPods = integer('extraPods', props.extraPods ?? 0, 0, 100);
      if (this.extraPods > 0 && !withLimitRange) {
        throw new LiteLLMConfigError('extraPods', this.extraPods, 'counts pods at the LimitRange\'s defaults: keep limitRange, or leave extraPods at 0');
      }
      if (Chart.of(this).namespace === undefined) {
        throw new LiteLLMConfigError('namespace', undefined, 'a quota applies to a namespace: put NamespaceQuota in a chart that has one');
      }
      const labels = standardLabels(this.name, 'quota');
      // Plain ApiObjects: the typed k8s classes render `hard` and `limits` before a Lazy could produce them.
      this.resourceQuota = new ApiObject(this, 'Resource', {
        apiVersion: 'v1', kind: 'ResourceQuota',
        metadata: { name: this.name, labels },
        spec: { hard: Lazy.any({ produce: () => this.hard() }) },
      });
      if (withLimitRange) {
        this.limitRange = new ApiObject(this, 'LimitRange', {
          apiVersion: 'v1', kind: 'LimitRange',
          metadata: { name: this.name, labels },
          spec: { limits: Lazy.any({ produce: () => this.limits() }) },
        });
      }
      // Derived afresh at each synth, from the objects as they are then; errors (a kind we cannot size) name the stack.
      addStackValidation(this, () => {
        this.derived = undefined;
        this._derivation();
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /**
   * Sizes `workload` at `replicas` (its pods, for a Job), whatever its spec says, also when it
   * is not emitted: a paused stack keeps the room to resume, so resuming is never refused by the quota.
   */
  public reserveReplicas(workload: ApiObject, replicas: number): void {
    this.reserved.set(workload, integer('replicas', replicas, 0));
    this.derived = undefined;
  }

  /** @internal What the quota is derived from, computed from the chart's objects as they are now. */
  public _derivation(): QuotaDerivation {
    this.derived ??= derive(Chart.of(this), new Set<ApiObject>([this.resourceQuota, ...(this.limitRange ? [this.limitRange] : [])]), this.reserved, this.extraPods);
    return this.derived;
  }

  private hard(): Record<string, string> {
    const d = this._derivation();
    const t = d.totals;
    return {
      ...(d.everywhere.cpuRequest ? { 'requests.cpu': formatCpu(t.cpuRequests) } : {}),
      ...(d.everywhere.memoryRequest ? { 'requests.memory': formatMemory(t.memoryRequests) } : {}),
      ...(d.everywhere.cpuLimit ? { 'limits.cpu': formatCpu(t.cpuLimits) } : {}),
      ...(d.everywhere.memoryLimit ? { 'limits.memory': formatMemory(t.memoryLimits) } : {}),
      'pods': String(t.pods),
      'persistentvolumeclaims': String(t.pvcs),
      ...(t.pvcs > 0 ? { 'requests.storage': formatMemory(t.storage) } : {}),
      'services.loadbalancers': String(t.loadBalancers),
      'services.nodeports': String(t.nodePorts),
    };
  }

  private limits(): unknown[] {
    const d = this._derivation();
    const s = d.smallest;
    const q = (v: number | undefined, f: (n: number) => string) => (v === undefined ? undefined : f(v));
    const defaultRequest = {
      ...(d.everywhere.cpuRequest ? { cpu: q(s.cpuRequest, formatCpu) } : {}),
      ...(d.everywhere.memoryRequest ? { memory: q(s.memoryRequest, formatMemory) } : {}),
    };
    const defaults = {
      ...(d.everywhere.cpuLimit ? { cpu: q(s.cpuLimit, formatCpu) } : {}),
      ...(d.everywhere.memoryLimit ? { memory: q(s.memoryLimit, formatMemory) } : {}),
    };
    return [{
      type: 'Container',
      ...(Object.keys(defaultRequest).length ? { defaultRequest } : {}),
      ...(Object.keys(defaults).length ? { default: defaults } : {}),
      // A max without a default would become the default (LimitRanger): only where a default is set.
      ...(d.everywhere.memoryLimit && d.largestMemoryLimit !== undefined ? { max: { memory: formatMemory(d.largestMemoryLimit) } } : {}),
    }];
  }
}

/** The quota's inputs, from every object of `chart` but `own`. */
export function derive(chart: Chart, own: Set<ApiObject>, reserved: Map<ApiObject, number>, extraPods: number): QuotaDerivation {
  const inChart = chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && !own.has(c) && Chart.of(c) === chart);
  // Reserved workloads count even when they are not emitted now (a paused stack's governance Job).
  const objects = [...inChart, ...[...reserved.keys()].filter(o => !inChart.includes(o))];
  const json = new Map(objects.map(o => [o, o.toJson()]));
  const key = (o: any): string => `${groupOf(o)}/${o.kind}`;
  // The most replicas of each scaled workload: an HPA's maxReplicas, a KEDA ScaledObject's maxReplicaCount.
  const scaledTo = new Map<string, number>();
  for (const o of json.values()) {
    const ref = o.spec?.scaleTargetRef;
    if (o.kind === 'HorizontalPodAutoscaler') scaledTo.set(`${ref?.kind}/${ref?.name}`, o.spec.maxReplicas);
    if (o.kind === 'ScaledObject') scaledTo.set(`${ref?.kind ?? 'Deployment'}/${ref?.name}`, o.spec.maxReplicaCount ?? 100);
  }
  const totals: Totals = { cpuRequests: 0, memoryRequests: 0, cpuLimits: 0, memoryLimits: 0, pods: 0, pvcs: 0, storage: 0, loadBalancers: 0, nodePorts: 0 };
  const everywhere = { cpuRequest: true, memoryRequest: true, cpuLimit: true, memoryLimit: true };
  const smallest: PodResources = {};
  let largestMemoryLimit: number | undefined;
  const workloads: QuotaDerivation['workloads'] = [];
  const min = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

  /** Counts `pods` pods; the stack's own (`ours`) also set what the LimitRange's defaults and max are derived from. */
  const addPods = (what: string, pods: number, why: string, podSpec: any | undefined, resources?: PodResources, ours = true): void => {
    const r = resources ?? podResources(what, podSpec);
    const containers = !ours ? [] : resources ? [resources] : [...(podSpec.initContainers ?? []), ...podSpec.containers].map((x: any) => containerResources(what, x));
    for (const c of containers) {
      everywhere.cpuRequest &&= c.cpuRequest !== undefined;
      everywhere.memoryRequest &&= c.memoryRequest !== undefined;
      everywhere.cpuLimit &&= c.cpuLimit !== undefined;
      everywhere.memoryLimit &&= c.memoryLimit !== undefined;
      smallest.cpuRequest = min(smallest.cpuRequest, c.cpuRequest);
      smallest.memoryRequest = min(smallest.memoryRequest, c.memoryRequest);
      smallest.cpuLimit = min(smallest.cpuLimit, c.cpuLimit);
      smallest.memoryLimit = min(smallest.memoryLimit, c.memoryLimit);
      if (c.memoryLimit !== undefined) largestMemoryLimit = Math.max(largestMemoryLimit ?? 0, c.memoryLimit);
    }
    totals.pods += pods;
    totals.cpuRequests += pods * (r.cpuRequest ?? 0);
    totals.memoryRequests += pods * (r.memoryRequest ?? 0);
    totals.cpuLimits += pods * (r.cpuLimit ?? 0);
    totals.memoryLimits += pods * (r.memoryLimit ?? 0);
    workloads.push({ workload: what, pods, why });
  };

  const certificateHosts = new Set<string>();
  for (const [obj, o] of json) {
    const what = `${o.kind}/${o.metadata?.name}`;
    const replicas = (): number => reserved.get(obj) ?? scaledTo.get(`${o.kind}/${o.metadata?.name}`) ?? o.spec?.replicas ?? 1;
    switch (WORKLOADS.has(key(o)) ? key(o) : o.kind === 'PersistentVolumeClaim' || o.kind === 'Service' || o.kind === 'Ingress' || o.kind === 'Certificate' ? o.kind : '') {
      case 'apps/Deployment': {
        const r = replicas();
        addPods(what, 2 * r, `${r} replica(s) × 2: a rollout's new pods while the old ones drain`, o.spec.template.spec);
        break;
      }
      case 'apps/StatefulSet': {
        const r = replicas();
        addPods(what, r, `${r} replica(s), replaced one at a time`, o.spec.template.spec);
        for (const claim of o.spec.volumeClaimTemplates ?? []) {
          totals.pvcs += r;
          totals.storage += r * parseMemoryBytes(`${what}.volumeClaimTemplates.storage`, claim.spec?.resources?.requests?.storage);
        }
        break;
      }
      case 'batch/Job':
        addPods(what, reserved.get(obj) ?? o.spec.parallelism ?? 1, 'one run at a time', o.spec.template.spec);
        break;
      case '/Pod':
        addPods(what, 1, 'a pod', o.spec);
        break;
      case 'postgresql.cnpg.io/Cluster': {
        // CloudNativePG gives every container of an instance pod (and of its initdb and join Jobs) the Cluster's resources.
        const res = o.spec.resources ?? {};
        const r = containerResources(what, { resources: res });
        const instances = reserved.get(obj) ?? o.spec.instances ?? 1;
        addPods(what, instances, `${instances} instance(s), updated one at a time`, undefined, r);
        totals.pvcs += instances * (o.spec.walStorage ? 2 : 1);
        totals.storage += instances * parseMemoryBytes(`${what}.storage.size`, o.spec.storage?.size ?? '1Gi');
        if (o.spec.walStorage) totals.storage += instances * parseMemoryBytes(`${what}.walStorage.size`, o.spec.walStorage.size ?? '1Gi');
        break;
      }
      case 'PersistentVolumeClaim':
        totals.pvcs += 1;
        totals.storage += parseMemoryBytes(`${what}.storage`, o.spec?.resources?.requests?.storage);
        break;
      case 'Service': {
        // kubernetes pkg/quota/v1/evaluator/core/services.go: node ports count per port.
        const ports = (o.spec?.ports ?? []).length;
        if (o.spec?.type === 'NodePort') totals.nodePorts += ports;
        if (o.spec?.type === 'LoadBalancer') {
          totals.loadBalancers += 1;
          totals.nodePorts += o.spec.allocateLoadBalancerNodePorts === false ? (o.spec.ports ?? []).filter((p: any) => p.nodePort !== undefined).length : ports;
        }
        break;
      }
      case 'Ingress': {
        const a = o.metadata?.annotations ?? {};
        if (a['cert-manager.io/cluster-issuer'] !== undefined || a['cert-manager.io/issuer'] !== undefined) {
          for (const tls of o.spec?.tls ?? []) for (const h of tls.hosts ?? []) certificateHosts.add(h);
        }
        break;
      }
      case 'Certificate':
        if (groupOf(o) === 'cert-manager.io') for (const h of [...(o.spec?.dnsNames ?? []), ...(o.spec?.commonName ? [o.spec.commonName] : [])]) certificateHosts.add(h);
        break;
      default:
        if (WORKLOADS.has(key(o)) || o.spec?.template?.spec?.containers !== undefined || o.spec?.jobTemplate !== undefined) {
          throw new LiteLLMConfigError('quota', what, `runs pods the quota cannot size (it sizes Deployments, StatefulSets, Jobs, Pods and CloudNativePG Clusters): leave quota off for this stack`);
        }
    }
  }
  // cert-manager solves an HTTP-01 challenge per host with a pod and a Service (NodePort by default) in this namespace.
  if (certificateHosts.size > 0) {
    addPods('cert-manager HTTP-01 solvers', certificateHosts.size, `one per certificate host (${[...certificateHosts].sort().join(', ')})`, undefined, ACME_SOLVER, false);
    totals.nodePorts += certificateHosts.size;
  }
  if (extraPods > 0) {
    addPods('extraPods', extraPods, 'at the LimitRange\'s defaults', undefined, {
      cpuRequest: everywhere.cpuRequest ? smallest.cpuRequest : undefined,
      memoryRequest: everywhere.memoryRequest ? smallest.memoryRequest : undefined,
      cpuLimit: everywhere.cpuLimit ? smallest.cpuLimit : undefined,
      memoryLimit: everywhere.memoryLimit ? smallest.memoryLimit : undefined,
    }, false);
  }
  return { totals, everywhere, smallest, largestMemoryLimit, workloads };
}

function groupOf(o: any): string {
  const v = String(o.apiVersion ?? '');
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
}

function containerResources(what: string, c: any): PodResources {
  const r = c.resources ?? {};
  const cpu = (v: unknown, p: string) => (v === undefined ? undefined : parseCpuMillis(`${what}.${p}`, v));
  const mem = (v: unknown, p: string) => (v === undefined ? undefined : parseMemoryBytes(`${what}.${p}`, v));
  return {
    cpuRequest: cpu(r.requests?.cpu ?? r.limits?.cpu, 'requests.cpu'),
    memoryRequest: mem(r.requests?.memory ?? r.limits?.memory, 'requests.memory'),
    cpuLimit: cpu(r.limits?.cpu, 'limits.cpu'),
    memoryLimit: mem(r.limits?.memory, 'limits.memory'),
  };
}

/**
 * A pod's effective requests and limits, as the API server counts them for a quota
 * (k8s.io/component-helpers/resource PodRequests): the larger of its containers' sum (with
 * restartable init containers, "sidecars") and each init container with the sidecars started before it.
 */
function podResources(what: string, spec: any): PodResources {
  const out: PodResources = {};
  for (const field of ['cpuRequest', 'memoryRequest', 'cpuLimit', 'memoryLimit'] as const) {
    let sidecars = 0;
    let initPeak = 0;
    for (const c of spec.initContainers ?? []) {
      const v = containerResources(what, c)[field] ?? 0;
      if (c.restartPolicy === 'Always') sidecars += v;
      else initPeak = Math.max(initPeak, sidecars + v);
    }
    const main = (spec.containers as any[]).reduce((sum, c) => sum + (containerResources(what, c)[field] ?? 0), 0) + sidecars;
    out[field] = Math.max(main, initPeak);
  }
  return out;
}
