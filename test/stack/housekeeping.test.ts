import { configErrorOf } from '../support/expectations';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Edge, GitOpsApp, LiteLLMConfigError, LiteLLMFleet, LiteLLMStack, LiteLLMStackProps, NamespaceQuota, Presets } from '../../lib';
import { parseCpuMillis, parseMemoryBytes } from '../../lib/quantity';
import { policyViolations } from '../support/policy';
import { schemaErrors } from '../support/schema';
import { byKind, one } from '../support/synth';

/**
 * Tenant housekeeping (issue 21): a ResourceQuota and LimitRange sized from
 * what the stack runs, and pausing a stack.
 */

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai'), rpm: 600 }];
const base: LiteLLMStackProps = { namespace: 'llm-a', models, masterKey: secret('litellm-master', 'master-key'), redis: { password: secret('litellm-redis', 'password') } };
/** Everything that runs pods: the proxy under an autoscaler, Redis, CloudNativePG, migrations, governance as code, an ingress with a cert-manager issuer. */
const full = (extra: Partial<LiteLLMStackProps> = {}): LiteLLMStackProps => ({
  ...base,
  preset: Presets.production(),
  proxy: { autoscaling: { minReplicas: 2, maxReplicas: 4 } },
  database: { cloudNativePg: {} },
  access: { teams: [{ id: 'analytics' }] },
  edge: Edge.ingressNginx({ tls: { clusterIssuer: 'letsencrypt-prod' } }),
  hosts: ['llm.example.com'],
  quota: {},
  ...extra,
});
const synthStack = (props: LiteLLMStackProps): any[] => Testing.synth(new LiteLLMStack(Testing.app(), 'stack', props));

/** A pod's containers with their requests and limits (API defaulting: a request left unset is the limit). */
interface PodShape { name: string; containers: Array<{ name: string; init: boolean; resources: any }> }
function podsOf(objects: any[]): PodShape[] {
  const shapes: PodShape[] = [];
  for (const o of objects) {
    const spec = ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) ? o.spec.template.spec : undefined;
    if (spec) {
      shapes.push({ name: `${o.kind}/${o.metadata.name}`, containers: [
        ...(spec.initContainers ?? []).map((c: any) => ({ name: c.name, init: true, resources: c.resources ?? {} })),
        ...spec.containers.map((c: any) => ({ name: c.name, init: false, resources: c.resources ?? {} })),
      ] });
    }
    // CloudNativePG gives its instance pods' containers the Cluster's resources.
    if (o.kind === 'Cluster') shapes.push({ name: `Cluster/${o.metadata.name}`, containers: [{ name: 'postgres', init: false, resources: o.spec.resources }] });
  }
  return shapes;
}

type Usage = Record<string, number>;
/** What one pod adds to a quota's usage, the way the API server counts it (sum of containers vs. largest init container). */
function usageOf(pod: PodShape): Usage {
  const get = (r: any, kind: 'requests' | 'limits', res: 'cpu' | 'memory'): number => {
    const v = r[kind]?.[res] ?? (kind === 'requests' ? r.limits?.[res] : undefined);
    return v === undefined ? 0 : res === 'cpu' ? parseCpuMillis('x', v) : parseMemoryBytes('x', v);
  };
  const out: Usage = { pods: 1 };
  for (const [key, kind, res] of [['requests.cpu', 'requests', 'cpu'], ['requests.memory', 'requests', 'memory'], ['limits.cpu', 'limits', 'cpu'], ['limits.memory', 'limits', 'memory']] as const) {
    const main = pod.containers.filter(c => !c.init).reduce((s, c) => s + get(c.resources, kind, res), 0);
    const init = Math.max(0, ...pod.containers.filter(c => c.init).map(c => get(c.resources, kind, res)));
    out[key] = Math.max(main, init);
  }
  return out;
}
const SOLVER: PodShape = { name: 'acme-solver', containers: [{ name: 'acmesolver', init: false, resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } }] };

/** ResourceQuota admission: each pod is created only if usage + its own stays within every hard limit the quota sets. */
class Namespace {
  public readonly used: Usage = {};
  constructor(private readonly hard: Usage) {}
  public admit(pod: PodShape): boolean {
    const u = usageOf(pod);
    if (Object.keys(this.hard).some(k => (this.used[k] ?? 0) + (u[k] ?? 0) > this.hard[k])) return false;
    for (const [k, v] of Object.entries(u)) this.used[k] = (this.used[k] ?? 0) + v;
    return true;
  }
}
const hardOf = (quota: any): Usage => Object.fromEntries(Object.entries<string>(quota.spec.hard)
  .filter(([k]) => ['pods', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].includes(k))
  .map(([k, v]) => [k, k === 'pods' ? Number(v) : k.endsWith('.cpu') ? parseCpuMillis(k, v) : parseMemoryBytes(k, v)]));

describe('NamespaceQuota: a ResourceQuota exactly as large as the stack at its largest', () => {
  const objects = synthStack(full());
  const quota = one(objects, 'ResourceQuota');
  const pods = podsOf(objects);
  const pod = (name: string) => pods.find(p => p.name.startsWith(name))!;

  test('THEN a ResourceQuota and a LimitRange named after the proxy, in the stack\'s namespace, in the Namespace\'s sync wave; schema-valid, policy-clean', () => {
    expect(quota.metadata).toMatchObject({ name: 'litellm', namespace: 'llm-a', annotations: { 'argocd.argoproj.io/sync-wave': '-4' } });
    expect(one(objects, 'LimitRange').metadata).toMatchObject({ name: 'litellm', namespace: 'llm-a', annotations: { 'argocd.argoproj.io/sync-wave': '-4' } });
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('THEN pods = 2 × 4 proxy (a rollout at the autoscaler\'s maximum, old pods draining) + Redis + 2 PostgreSQL instances + 2 Jobs + 1 ACME solver = 14', () => {
    expect(quota.spec.hard.pods).toBe('14');
    expect(quota.spec.hard).toMatchObject({ 'persistentvolumeclaims': '2', 'requests.storage': '20Gi', 'services.loadbalancers': '0', 'services.nodeports': '1' });
    // The proxy runs without a CPU limit: a quota on limits.cpu would refuse its pods.
    expect(quota.spec.hard['limits.cpu']).toBeUndefined();
  });

  test('THEN a rollout at max replicas fits exactly: 4 old pods draining, 4 new ones, Redis, PostgreSQL, both Jobs and the solver are admitted; one more proxy pod is refused', () => {
    const ns = new Namespace(hardOf(quota));
    const admitted = (p: PodShape, n = 1) => Array.from({ length: n }, () => ns.admit(p)).every(Boolean);
    expect(admitted(pod('StatefulSet/'))).toBe(true);
    expect(admitted(pod('Cluster/'), 2)).toBe(true);
    expect(admitted(pod('Job/litellm-migrate'))).toBe(true);
    // The autoscaler at its maximum, then a rollout: the old pods count until they have drained (terminating pods count
    // for their whole grace period, kubernetes pkg/quota/v1/evaluator/core/pods.go QuotaV1Pod).
    expect(admitted(pod('Deployment/'), 4)).toBe(true);
    expect(admitted(pod('Deployment/'), 4)).toBe(true);
    // The governance Job runs after the sync (PostSync), while the old pods may still drain; certificates renew any time.
    expect(admitted(pod('Job/litellm-access'))).toBe(true);
    expect(admitted(SOLVER)).toBe(true);
    const hard = hardOf(quota);
    expect(Object.fromEntries(Object.keys(hard).map(k => [k, ns.used[k]]))).toEqual(hard);
    expect(ns.admit(pod('Deployment/'))).toBe(false);
  });

  test('THEN the totals are the stack\'s own requests and limits, summed by hand', () => {
    const u = (name: string) => usageOf(pod(name));
    const sum = (key: string) => 8 * u('Deployment/')[key] + u('StatefulSet/')[key] + 2 * u('Cluster/')[key] + u('Job/litellm-migrate')[key] + u('Job/litellm-access')[key] + usageOf(SOLVER)[key];
    expect(parseCpuMillis('x', quota.spec.hard['requests.cpu'])).toBe(sum('requests.cpu'));
    expect(parseMemoryBytes('x', quota.spec.hard['requests.memory'])).toBe(sum('requests.memory'));
    expect(parseMemoryBytes('x', quota.spec.hard['limits.memory'])).toBe(sum('limits.memory'));
  });

  test('THEN the LimitRange\'s defaults never change one of our containers (each sets what they default), and every one is within its max', () => {
    const lr = one(objects, 'LimitRange').spec.limits[0];
    expect(lr.type).toBe('Container');
    // No default CPU limit: the proxy's pods run without one on purpose.
    expect(lr.default.cpu).toBeUndefined();
    expect(lr.max.cpu).toBeUndefined();
    for (const p of pods) {
      for (const c of p.containers) {
        for (const res of Object.keys(lr.defaultRequest ?? {})) expect([p.name, c.name, res, c.resources.requests?.[res] !== undefined]).toEqual([p.name, c.name, res, true]);
        for (const res of Object.keys(lr.default ?? {})) expect([p.name, c.name, res, c.resources.limits?.[res] !== undefined]).toEqual([p.name, c.name, res, true]);
        expect(parseMemoryBytes('x', c.resources.limits.memory)).toBeLessThanOrEqual(parseMemoryBytes('x', lr.max.memory));
      }
    }
    // The defaults are the stack's smallest container: the governance Job's 50m / 64Mi, 128Mi limit.
    expect(lr).toMatchObject({ defaultRequest: { cpu: '50m', memory: '64Mi' }, default: { memory: '128Mi' } });
  });

  test('GIVEN every container with a CPU limit THEN limits.cpu is quota\'d and defaulted too', () => {
    const o = synthStack({ ...base, proxy: { cpuLimit: '2', replicas: 2 }, quota: {} });
    // 2 × 2 proxy pods at 2 cores, and Redis at its 1-core limit.
    expect(one(o, 'ResourceQuota').spec.hard['limits.cpu']).toBe('9');
    const lr = one(o, 'LimitRange').spec.limits[0];
    expect(lr.default.cpu).toBe(one(o, 'StatefulSet').spec.template.spec.containers[0].resources.limits.cpu);
  });

  test('GIVEN the quota THEN the stack\'s AppProject permits ResourceQuota and LimitRange (derived, like every other kind)', () => {
    const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/x.git' } });
    new LiteLLMStack(app, 'stack', { ...base, quota: {} });
    const project = parse(app.synthFiles()['argocd-applications/AppProject.llm-a.k8s.yaml']);
    expect(project.spec.namespaceResourceWhitelist).toEqual(expect.arrayContaining([{ group: '', kind: 'ResourceQuota' }, { group: '', kind: 'LimitRange' }]));
  });

  test('GIVEN extraPods THEN room for that many pods at the LimitRange\'s defaults', () => {
    const without = one(synthStack({ ...base, quota: {} }), 'ResourceQuota').spec.hard;
    const withTwo = one(synthStack({ ...base, quota: { extraPods: 2 } }), 'ResourceQuota').spec.hard;
    expect(Number(withTwo.pods) - Number(without.pods)).toBe(2);
    const lr = one(synthStack({ ...base, quota: {} }), 'LimitRange').spec.limits[0];
    expect(parseCpuMillis('x', withTwo['requests.cpu']) - parseCpuMillis('x', without['requests.cpu'])).toBe(2 * parseCpuMillis('x', lr.defaultRequest.cpu));
  });

  test('GIVEN a KEDA ScaledObject on the proxy THEN the Deployment counts at its maxReplicaCount', () => {
    const s = new LiteLLMStack(Testing.app(), 'stack', { ...base, quota: {} });
    new ApiObject(s, 'Scaler', { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'litellm' }, spec: { scaleTargetRef: { name: 'litellm' }, maxReplicaCount: 6 } });
    expect(one(Testing.synth(s), 'ResourceQuota').spec.hard.pods).toBe(String(2 * 6 + 1));
  });

  test('GIVEN no quota THEN neither object; GIVEN limitRange: false THEN the quota alone', () => {
    expect(byKind(synthStack(base), 'ResourceQuota')).toEqual([]);
    const o = synthStack({ ...base, quota: { limitRange: false } });
    expect([byKind(o, 'ResourceQuota').length, byKind(o, 'LimitRange').length]).toEqual([1, 0]);
  });

  test('GIVEN a fleet quota THEN every tenant has one, a tenant turns it off with enabled: false, and tenant fields merge over the fleet\'s', () => {
    const app = Testing.app();
    const fleet = new LiteLLMFleet(app, 'tenants', {
      models, masterKey: base.masterKey, redis: base.redis, quota: { extraPods: 1 },
      tenants: [{ name: 'a' }, { name: 'b', quota: { enabled: false } }, { name: 'c', quota: { limitRange: false, extraPods: 0 } }],
    });
    const [a, b, c] = fleet.stacks.map(s => Testing.synth(s));
    expect([byKind(a, 'ResourceQuota').length, byKind(b, 'ResourceQuota').length, byKind(c, 'ResourceQuota').length]).toEqual([1, 0, 1]);
    expect(Number(one(a, 'ResourceQuota').spec.hard.pods) - Number(one(c, 'ResourceQuota').spec.hard.pods)).toBe(1);
    expect(byKind(c, 'LimitRange')).toEqual([]);
  });
});

describe('pausing a stack', () => {
  const running = synthStack(full());
  const paused = synthStack(full({ paused: true }));
  const key = (o: any) => `${o.kind}/${o.metadata.name}`;

  test('THEN the proxy Deployment has 0 replicas, no autoscaler (it would scale it back up) and no disruption budget', () => {
    expect(one(paused, 'Deployment', 'litellm').spec.replicas).toBe(0);
    expect(byKind(paused, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind(paused, 'PodDisruptionBudget')).toEqual([]);
    expect(one(running, 'Deployment', 'litellm').spec.replicas).toBeUndefined();
  });

  test('THEN config.yaml and the pod template are unchanged: resuming brings back the same pods', () => {
    expect(one(paused, 'ConfigMap', 'litellm-config')).toEqual(one(running, 'ConfigMap', 'litellm-config'));
    expect(one(paused, 'Deployment', 'litellm').spec.template).toEqual(one(running, 'Deployment', 'litellm').spec.template);
  });

  test('THEN the governance Job is not emitted (it would wait for a ready proxy); its declarations\' ConfigMap stays', () => {
    expect(byKind(paused, 'Job').map(j => j.metadata.name)).toEqual(byKind(running, 'Job').filter(j => !j.metadata.name.startsWith('litellm-access')).map(j => j.metadata.name));
    expect(one(paused, 'ConfigMap', 'litellm-access').data).toEqual(one(running, 'ConfigMap', 'litellm-access').data);
  });

  test('THEN the alerts that would fire on no replicas are not emitted (LiteLLMNoReadyReplicas; no autoscaler, so no LiteLLMAutoscalerAtMax); the rest stay', () => {
    const alerts = (o: any[]) => one(o, 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert);
    expect(alerts(running).filter((a: string) => !alerts(paused).includes(a))).toEqual(['LiteLLMNoReadyReplicas', 'LiteLLMAutoscalerAtMax']);
  });

  test('THEN nothing else differs: Redis, the database, the edge, the quota (the proxy keeps its room) are as they run', () => {
    const differs = new Set(['Deployment/litellm', 'HorizontalPodAutoscaler/litellm', 'PodDisruptionBudget/litellm', 'PrometheusRule/litellm-alerts']);
    const rest = (o: any[]) => new Map(o.filter(x => !differs.has(key(x)) && !(x.kind === 'Job' && x.metadata.name.startsWith('litellm-access'))).map(x => [key(x), x]));
    expect(rest(paused)).toEqual(rest(running));
    expect(schemaErrors(paused)).toEqual([]);
    expect(policyViolations(paused)).toEqual([]);
  });

  test('THEN Argo CD keeps syncing it as is: its Application is unchanged (automated, no ignoreDifferences), and no object in its folder sets the replicas', () => {
    const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/x.git' } });
    new LiteLLMStack(app, 'stack', full({ paused: true }));
    const files = new Map(Object.entries(app.synthFiles()).map(([f, t]) => [f, parse(t)]));
    const application = files.get('argocd-applications/Application.llm-a.k8s.yaml');
    expect(application.spec.ignoreDifferences).toBeUndefined();
    expect(application.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect([...files.values()].filter(o => ['HorizontalPodAutoscaler', 'ScaledObject'].includes(o.kind))).toEqual([]);
  });

  test('GIVEN one paused tenant of a fleet THEN only that tenant is paused', () => {
    const fleet = new LiteLLMFleet(Testing.app(), 'tenants', {
      models, masterKey: base.masterKey, redis: base.redis, preset: Presets.production(),
      tenants: [{ name: 'a' }, { name: 'b', paused: true }],
    });
    expect(fleet.stacks.map(s => [s.paused, s.proxy.paused, s.proxy.autoscaler !== undefined])).toEqual([[false, false, true], [true, true, false]]);
    expect(one(Testing.synth(fleet.stack('b')), 'Deployment', 'litellm').spec.replicas).toBe(0);
  });
});

describe('housekeeping: bad input', () => {
  const rows: Array<[string, () => unknown, string, RegExp]> = [
    ['paused not a boolean', () => synthStack({ ...base, paused: 'yes' as any }), 'paused', /^\[stack\] paused: received "yes"; must be true or false$/],
    ['replicas 0 to stop a stack', () => synthStack({ ...base, proxy: { replicas: 0 } }), 'proxy.replicas',
      /^\[stack\] proxy\.replicas: received 0; must be at least 1; to stop the gateway without removing it, set `paused: true` \(on a LiteLLMStack or a fleet tenant\)/],
    ['quota not an object', () => synthStack({ ...base, quota: true as any }), 'quota', /^\[stack\] quota: received true; must be a plain object$/],
    ['quota.extraPods negative', () => synthStack({ ...base, quota: { extraPods: -1 } }), 'quota.extraPods', /^\[stack\] quota\.extraPods: received -1; must be an integer from 0 to 100$/],
    ['extraPods without the LimitRange that sizes them', () => synthStack({ ...base, quota: { extraPods: 1, limitRange: false } }), 'quota.extraPods',
      /^\[stack\] quota\.extraPods: received 1; counts pods at the LimitRange's defaults: keep limitRange, or leave extraPods at 0$/],
    ['a workload the quota cannot size', () => {
      const s = new LiteLLMStack(Testing.app(), 'stack', { ...base, quota: {} });
      new ApiObject(s, 'Agent', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'a' }] } } } });
      return Testing.synth(s);
    }, 'quota', /^\[stack\] quota: received "DaemonSet\/agent"; runs pods the quota cannot size \(it sizes Deployments, StatefulSets, Jobs, Pods and CloudNativePG Clusters\): leave quota off for this stack$/],
    ['a NamespaceQuota in a chart without a namespace', () => new NamespaceQuota(new Chart(Testing.app(), 'c'), 'q'), 'namespace', /^\[c\] namespace: received undefined; a quota applies to a namespace/],
  ];
  test.each(rows)('%s', (_label, build, prop, message) => {
    expect(configErrorOf(build, prop).message).toMatch(message);
  });
});
