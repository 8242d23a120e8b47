import { stackEdge } from '../support/edges';
import { Testing } from 'cdk8s';
import { Edge, LiteLLMConfigError, LiteLLMStack, LiteLLMStackProps, Presets, WorkerSizing } from '../../lib';
import { policyViolations } from '../support/policy';
import { schemaErrors } from '../support/schema';
import { byKind, containerOf, envMap, one } from '../support/synth';
import {
  HOOK, SYNC_WAVE, allBefore, applyStep, buildStack, dbUrl, proxyConfig, redisPassword, stackObjects, tls,
} from './helpers';

/** Objects of one part of the stack, by their `app.kubernetes.io/component` label. */
const part = (objects: any[], component: string): any[] =>
  objects.filter(o => o.metadata?.labels?.['app.kubernetes.io/component'] === component);
const proxySelector = (objects: any[]): Record<string, string> => one(objects, 'Deployment', 'litellm').spec.selector.matchLabels;
const proxyPolicy = (objects: any[]): any => one(objects, 'NetworkPolicy', 'litellm');
/** Namespaces admitted to the proxy port (undefined: a peer in the proxy's own namespace). */
const admittedNamespaces = (objects: any[]): (string | undefined)[] => proxyPolicy(objects).spec.ingress
  .flatMap((r: any) => r.from.map((p: any) => p.ipBlock ? `cidr:${p.ipBlock.cidr}` : p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']));
const wave = (obj: any): string | undefined => obj.metadata?.annotations?.[SYNC_WAVE];

const production: Partial<LiteLLMStackProps> = { redis: { password: redisPassword } };
const edgePreset: Partial<LiteLLMStackProps> = { preset: Presets.edge(), redis: { password: redisPassword } };
const cnpg = { database: { cloudNativePg: {} } };
const external = { database: { external: { url: dbUrl } } };

describe('LiteLLMStack: Redis wiring', () => {
  const objects = stackObjects(production);

  test('GIVEN an in-cluster Redis THEN every os.environ reference of the Redis client is set in the proxy env, the password from its Secret', () => {
    const client = proxyConfig(objects).general_settings.coordination_redis;
    const env = envMap(containerOf(objects, 'Deployment', 'litellm'));
    const refs = ['host', 'port', 'password'].map(k => client[k]);
    expect(refs).toEqual(['os.environ/REDIS_HOST', 'os.environ/REDIS_PORT', 'os.environ/REDIS_PASSWORD']);
    for (const ref of refs) expect(env).toHaveProperty(ref.slice('os.environ/'.length));
    expect(env.REDIS_HOST).toBe(one(objects, 'Service', 'litellm-redis').metadata.name);
    expect(env.REDIS_PORT).toBe('6379');
    expect(env.REDIS_PASSWORD).toEqual({ secretKeyRef: redisPassword });
  });

  test('THEN the Redis NetworkPolicy admits exactly the proxy pods, on the Redis port only', () => {
    const np = one(objects, 'NetworkPolicy', 'litellm-redis');
    expect(np.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: proxySelector(objects) } }], ports: [{ port: 6379, protocol: 'TCP' }] }]);
  });

  test('THEN the proxy may reach the Redis pods on 6379', () => {
    const redisPods = one(objects, 'StatefulSet', 'litellm-redis').spec.selector.matchLabels;
    expect(proxyPolicy(objects).spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: redisPods } }], ports: [{ port: 6379, protocol: 'TCP' }] });
  });

  test('GIVEN the preset memory or an override THEN the Redis memory follows it', () => {
    const limit = (o: any[]) => one(o, 'StatefulSet').spec.template.spec.containers[0].resources.limits.memory;
    expect(limit(objects)).toBe(Presets.production().redisMemory);
    expect(limit(stackObjects(edgePreset))).toBe(Presets.edge().redisMemory);
    expect(limit(stackObjects({ redis: { password: redisPassword, inCluster: { memory: '1Gi' } } }))).toBe('1Gi');
  });

  test('GIVEN an external Redis THEN no Redis workload is emitted and the proxy connects with TLS', () => {
    const o = stackObjects({ redis: { external: { host: 'redis.example.com', password: redisPassword, cidr: '10.30.0.0/16' } } });
    expect(byKind(o, 'StatefulSet')).toEqual([]);
    const env = envMap(containerOf(o, 'Deployment', 'litellm'));
    expect(env).toMatchObject({ REDIS_HOST: 'redis.example.com', REDIS_SSL: 'true', REDIS_PASSWORD: { secretKeyRef: redisPassword } });
    expect(proxyPolicy(o).spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.30.0.0/16' } }], ports: [{ port: 6379, protocol: 'TCP' }] });
  });
});

describe('LiteLLMStack: database wiring', () => {
  const objects = stackObjects({ ...production, ...cnpg });

  test('GIVEN a CloudNativePG database THEN DATABASE_URL comes from the operator\'s app Secret and pods never migrate', () => {
    const env = envMap(containerOf(objects, 'Deployment', 'litellm'));
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: 'litellm-db-app', key: 'uri' } });
    expect(env.DISABLE_SCHEMA_UPDATE).toBe('true');
  });

  test('THEN the proxy may reach the instances on 5432', () => {
    expect(proxyPolicy(objects).spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'litellm-db' } } }], ports: [{ port: 5432, protocol: 'TCP' }],
    });
  });

  test('THEN the database NetworkPolicy admits, on 5432, exactly the proxy pods and the migration Job', () => {
    const clients = one(objects, 'NetworkPolicy', 'litellm-db-postgres').spec.ingress
      .filter((r: any) => r.ports.length === 1 && r.ports[0].port === 5432);
    const jobPods = one(objects, 'Job').spec.template.metadata.labels;
    expect(clients).toHaveLength(1);
    const admitted = clients[0].from.map((p: any) => p.podSelector.matchLabels);
    expect(admitted).toEqual([proxySelector(objects), expect.any(Object)]);
    // The Job's pods carry the admitted labels (and more).
    expect(jobPods).toMatchObject(admitted[1]);
    expect(admitted[1]['app.kubernetes.io/component']).toBe('migrations');
  });

  test('GIVEN an external database THEN DATABASE_URL is the given Secret key and no Cluster is emitted', () => {
    const o = stackObjects({ ...production, database: { external: { url: dbUrl, peers: [{ cidr: '10.20.0.0/24' }] } } });
    expect(envMap(containerOf(o, 'Deployment', 'litellm')).DATABASE_URL).toEqual({ secretKeyRef: dbUrl });
    expect(byKind(o, 'Cluster')).toEqual([]);
    expect(proxyPolicy(o).spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] });
  });

  test('the migration Job exists exactly when there is a database', () => {
    expect(byKind(stackObjects(production), 'Job')).toEqual([]);
    expect(byKind(objects, 'Job')).toHaveLength(1);
    expect(byKind(stackObjects({ ...production, ...external }), 'Job')).toHaveLength(1);
    expect(buildStack({ ...production, ...cnpg }).migrations).toBeDefined();
    expect(buildStack(production).migrations).toBeUndefined();
  });

  test('GIVEN governance settings without a database THEN an error explains that keys and spend live in Postgres', () => {
    expect(() => buildStack({ ...production, governance: { disableSpendLogs: true } }))
      .toThrow(/^\[stack\] governance: received .*; governance \(virtual keys, teams, budgets\) needs `database`/);
  });
});

describe('LiteLLMStack: connection pool that fits the database', () => {
  const pool = (props: Partial<LiteLLMStackProps>) => proxyConfig(stackObjects(props)).general_settings.database_connection_pool_limit;

  test('GIVEN the production preset and CNPG defaults THEN the pool is floor((90 - 1 migration) / (2 workers x (6 + 1 surge) pods)) = 6', () => {
    expect(pool({ ...production, ...cnpg })).toBe(6);
  });

  test('GIVEN a large database THEN the pool stays at LiteLLM\'s default of 10', () => {
    expect(pool({ ...production, database: { external: { url: dbUrl, maxConnections: 1000 } } })).toBe(10);
  });

  test('GIVEN an explicit governance value THEN it wins', () => {
    expect(pool({ ...production, ...cnpg, governance: { databaseConnectionPoolLimit: 3 } })).toBe(3);
  });

  test('GIVEN an explicit value too large for the database THEN the connection budget explains the numbers', () => {
    expect(() => stackObjects({ ...production, ...cnpg, governance: { databaseConnectionPoolLimit: 10 } })).toThrow(
      /databaseConnectionPoolLimit: received 10; database_connection_pool_limit 10 × 2 worker\(s\) × 7 pod\(s\).*= 141 connections, more than the database's maxConnections 90; set a pool limit of at most 6/);
  });
});

describe('LiteLLMStack: edge', () => {
  test('GIVEN an ingress-nginx edge THEN its controller namespace is admitted to the proxy port, and nothing else but Prometheus', () => {
    const o = stackObjects({ ...production, ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls }) });
    expect(admittedNamespaces(o)).toEqual(['ingress-nginx', 'monitoring']);
    expect(one(o, 'Ingress').spec.tls).toEqual([{ hosts: ['llm.example.com'], secretName: 'llm-tls' }]);
  });

  test('GIVEN controllerNamespace and controllerPodLabels THEN only those pods are admitted', () => {
    const o = stackObjects({
      ...production, metrics: { enabled: false },
      ...stackEdge({ controller: 'traefik', hosts: ['llm.example.com'], tls, controllerNamespace: 'edge', controllerPodLabels: { 'app.kubernetes.io/name': 'traefik' } }),
    });
    expect(proxyPolicy(o).spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }],
      ports: [{ port: 4000, protocol: 'TCP' }],
    }]);
  });

  test('GIVEN no edge and no allowFrom THEN the production proxy admits its own namespace only', () => {
    expect(admittedNamespaces(stackObjects({ ...production, metrics: { enabled: false } }))).toEqual([undefined]);
  });

  test('the stack exposes the edge it built', () => {
    const stack = buildStack({ ...production, ...stackEdge({ controller: 'nginx-inc', hosts: ['llm.example.com'], tls }) });
    expect(stack.edge?.controller).toBe('nginx-inc');
  });
});

describe('LiteLLMStack: edge preset (one box)', () => {
  const objects = stackObjects(edgePreset);

  test('THEN one replica, no autoscaler, no disruption budget', () => {
    expect(one(objects, 'Deployment', 'litellm').spec.replicas).toBe(1);
    expect(byKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind(objects, 'PodDisruptionBudget')).toEqual([]);
  });

  test('THEN one worker per CPU given: 2 by default, 4 with cpu "4"', () => {
    const workers = (o: any[]) => { const a = containerOf(o, 'Deployment', 'litellm').args; return a[a.indexOf('--num_workers') + 1]; };
    expect(workers(objects)).toBe('2');
    expect(workers(stackObjects({ ...edgePreset, preset: { ...Presets.edge(), cpu: '4' } }))).toBe('4');
  });

  test('THEN a LoadBalancer Service the host reaches, and the private ranges (and Prometheus) admitted to the proxy port', () => {
    expect(one(objects, 'Service', 'litellm').spec.type).toBe('LoadBalancer');
    expect(admittedNamespaces(objects)).toEqual(['cidr:10.0.0.0/8', 'cidr:172.16.0.0/12', 'cidr:192.168.0.0/16', 'monitoring']);
  });

  test('THEN metrics through pod annotations (no prometheus-operator assumed): no ServiceMonitor, no PrometheusRule, a dashboard', () => {
    expect(byKind(objects, 'ServiceMonitor')).toEqual([]);
    expect(byKind(objects, 'PrometheusRule')).toEqual([]);
    expect(one(objects, 'ConfigMap', 'litellm-dashboard').metadata.labels.grafana_dashboard).toBe('1');
    expect(one(objects, 'Deployment', 'litellm').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true', 'prometheus.io/port': '4000', 'prometheus.io/path': '/metrics/',
    });
    expect(proxyConfig(objects).litellm_settings).toMatchObject({ callbacks: ['prometheus'], service_callback: ['prometheus_system'], require_auth_for_metrics_endpoint: false });
  });

  test('THEN alerts on request, and metrics: { enabled: false } turns everything off', () => {
    expect(byKind(stackObjects({ ...edgePreset, alerts: {} }), 'PrometheusRule')).toHaveLength(1);
    const off = stackObjects({ ...edgePreset, metrics: { enabled: false } });
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect(byKind(off, kind)).toEqual([]);
    expect(off.filter(o => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'))).toEqual([]);
    expect(one(off, 'Deployment', 'litellm').spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
  });

  test('THEN an edge without TLS is accepted', () => {
    const o = stackObjects({ ...edgePreset, ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.home.arpa'] }) });
    expect(one(o, 'Ingress').spec.tls).toBeUndefined();
    expect(new Set(admittedNamespaces(o))).toEqual(new Set(['ingress-nginx', 'cidr:10.0.0.0/8', 'cidr:172.16.0.0/12', 'cidr:192.168.0.0/16', 'monitoring']));
  });
});

describe('LiteLLMStack: production preset', () => {
  const objects = stackObjects({ ...production, ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls }) });

  test('THEN an autoscaler from 2 to 6, a disruption budget and spread over nodes and zones', () => {
    expect(one(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    expect(one(objects, 'Deployment', 'litellm').spec.replicas).toBeUndefined();
    expect(one(objects, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(proxySelector(objects));
    const spread = one(objects, 'Deployment', 'litellm').spec.template.spec.topologySpreadConstraints.map((t: any) => t.topologyKey);
    expect(spread).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
  });

  test('THEN an in-cluster Redis and a ServiceMonitor', () => {
    expect(byKind(objects, 'StatefulSet')).toHaveLength(1);
    expect(one(objects, 'ServiceMonitor').spec.endpoints[0].path).toBe('/metrics/');
  });

  test.each(['ingress-nginx', 'nginx-inc', 'traefik'] as const)('GIVEN a %s edge without tls THEN an error names edge.tls and the preset', controller => {
    expect(() => buildStack({ ...production, ...stackEdge({ controller, hosts: ['llm.example.com'] }) })).toThrow(
      /^\[stack\] edge\.tls: received undefined; the "cluster: 2-6 replicas.*" preset serves over TLS: give tls \{ secretName \} or \{ clusterIssuer \}, or use a preset with requireTls: false$/);
  });

  test('GIVEN a Gateway API edge without tls THEN accepted: TLS terminates on the Gateway listener', () => {
    const o = stackObjects({
      ...production,
      ...stackEdge({ controller: 'gateway-api', hosts: ['llm.example.com'], gateway: { name: 'public', namespace: 'gateway', sectionName: 'https' }, controllerNamespace: 'envoy-gateway-system' }),
    });
    expect(one(o, 'HTTPRoute').spec.parentRefs[0]).toMatchObject({ name: 'public', sectionName: 'https' });
  });

  test('GIVEN metrics: { enabled: false } THEN no ServiceMonitor, PrometheusRule, dashboard or Prometheus callback', () => {
    const o = stackObjects({ ...production, metrics: { enabled: false } });
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect(byKind(o, kind)).toEqual([]);
    expect(o.filter(x => x.kind === 'ConfigMap' && x.metadata.name.endsWith('-dashboard'))).toEqual([]);
    expect(proxyConfig(o).litellm_settings.callbacks).toBeUndefined();
    expect(proxyConfig(o).litellm_settings.service_callback).toBeUndefined();
  });

  test('THEN alerts (PrometheusRule) and a dashboard in the proxy wave, with the autoscaler and Redis alerts but no budget alerts without a database', () => {
    const rule = one(objects, 'PrometheusRule', 'litellm-alerts');
    expect(wave(rule)).toBe('0');
    expect(wave(one(objects, 'ConfigMap', 'litellm-dashboard'))).toBe('0');
    const alerts = rule.spec.groups[0].rules.map((r: any) => r.alert);
    expect(alerts).toEqual(expect.arrayContaining(['LiteLLMNoReadyReplicas', 'LiteLLMAutoscalerAtMax', 'LiteLLMRedisUnreachable', 'LiteLLMRedisSlow']));
    expect(alerts).not.toContain('LiteLLMDatabaseErrors');
    expect(alerts).not.toContain('LiteLLMTeamBudgetNearlySpent');
    const withDb = one(stackObjects({ ...production, database: { external: { url: dbUrl } } }), 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert);
    expect(withDb).toEqual(expect.arrayContaining(['LiteLLMDatabaseErrors', 'LiteLLMTeamBudgetNearlySpent', 'LiteLLMKeyBudgetNearlySpent']));
  });

  test('GIVEN metrics.serviceMonitorLabels { release } THEN the ServiceMonitor and the PrometheusRule carry it (kube-prometheus-stack selectors); alerts.labels wins for the rule', () => {
    const o = stackObjects({ ...production, metrics: { serviceMonitorLabels: { release: 'kps' } } });
    expect(one(o, 'ServiceMonitor').metadata.labels.release).toBe('kps');
    expect(one(o, 'PrometheusRule').metadata.labels.release).toBe('kps');
    const own = stackObjects({ ...production, metrics: { serviceMonitorLabels: { release: 'kps' } }, alerts: { labels: { role: 'alert-rules' } } });
    expect(one(own, 'PrometheusRule').metadata.labels.release).toBeUndefined();
    expect(one(own, 'PrometheusRule').metadata.labels.role).toBe('alert-rules');
  });

  test('GIVEN alerts or dashboard without metrics THEN an error names the prop', () => {
    expect(() => buildStack({ ...production, metrics: { enabled: false }, alerts: {} })).toThrow(/^\[stack\] alerts: received \{\}; needs metrics/);
    expect(() => buildStack({ ...production, metrics: { enabled: false }, dashboard: { folder: 'x' } })).toThrow(/^\[stack\] dashboard: received \{"folder":"x"\}; needs metrics/);
  });

  test('GIVEN alerts: { enabled: false } and dashboard: { enabled: false } THEN neither, metrics stay', () => {
    const o = stackObjects({ ...production, alerts: { enabled: false }, dashboard: { enabled: false } });
    expect(byKind(o, 'PrometheusRule')).toEqual([]);
    expect(o.filter(x => x.kind === 'ConfigMap' && x.metadata.name.endsWith('-dashboard'))).toEqual([]);
    expect(byKind(o, 'ServiceMonitor')).toHaveLength(1);
  });
});

describe('LiteLLMStack: overriding a preset', () => {
  test('GIVEN { ...Presets.production(), cpu: "4" } THEN 4 CPUs and 4 workers, the rest of the preset kept', () => {
    const o = stackObjects({ ...production, preset: { ...Presets.production(), cpu: '4' } });
    const c = containerOf(o, 'Deployment', 'litellm');
    expect(c.resources.requests.cpu).toBe('4');
    expect(c.args).toEqual(expect.arrayContaining(['--num_workers', '4']));
    expect(one(o, 'HorizontalPodAutoscaler').spec.maxReplicas).toBe(6);
  });

  test('GIVEN proxy.replicas THEN it replaces the preset\'s autoscaler', () => {
    const o = stackObjects({ ...production, proxy: { replicas: 3 } });
    expect(byKind(o, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(one(o, 'Deployment', 'litellm').spec.replicas).toBe(3);
    expect(byKind(o, 'PodDisruptionBudget')).toHaveLength(1);
  });

  test('GIVEN proxy.autoscaling THEN it replaces the preset\'s range', () => {
    const o = stackObjects({ ...production, proxy: { autoscaling: { minReplicas: 3, maxReplicas: 10 } } });
    expect(one(o, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
  });

  test('GIVEN proxy.cpu THEN it overrides the preset\'s cpu', () => {
    const o = stackObjects({ ...edgePreset, proxy: { cpu: '1' } });
    expect(containerOf(o, 'Deployment', 'litellm').args).toEqual(expect.arrayContaining(['--num_workers', '1']));
  });

  test('GIVEN a preset without Redis and one process per pod on one replica THEN no Redis and no consent needed', () => {
    const o = stackObjects({ preset: { ...Presets.edge(), inClusterRedis: false, workers: WorkerSizing.onePerPod() } });
    expect(byKind(o, 'StatefulSet')).toEqual([]);
    expect(proxyConfig(o).general_settings.coordination_redis).toBeUndefined();
    expect(proxyConfig(o).litellm_settings.cache).toBeUndefined();
  });
});

describe('LiteLLMStack: namespace', () => {
  test('GIVEN the default THEN a Namespace enforcing Pod Security restricted, itself without metadata.namespace', () => {
    const objects = stackObjects(production);
    const ns = one(objects, 'Namespace');
    expect(ns.metadata.name).toBe('llm');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
    expect(objects.filter(o => o.kind !== 'Namespace').every(o => o.metadata.namespace === 'llm')).toBe(true);
  });

  test('GIVEN createNamespace: false THEN no Namespace, everything still in the namespace', () => {
    const objects = stackObjects({ ...production, createNamespace: false });
    expect(byKind(objects, 'Namespace')).toEqual([]);
    expect(objects.every(o => o.metadata.namespace === 'llm')).toBe(true);
  });
});

describe('LiteLLMStack: Argo CD sync waves', () => {
  const full = (database: Partial<LiteLLMStackProps>) =>
    stackObjects({ ...production, ...database, ...stackEdge({ controller: 'traefik', hosts: ['llm.example.com'], tls: { clusterIssuer: 'letsencrypt' } }) });

  test('GIVEN CloudNativePG THEN namespace (-4) < Redis and Cluster (-3) < migration Sync hook (-2, -1) < proxy (0) < edge (1)', () => {
    const o = full(cnpg);
    const [ns, redis, db, migrations, proxy, edge] = ['namespace', 'redis', 'database', 'migrations', 'proxy', 'edge'].map(c => part(o, c));
    expect(ns.map(wave)).toEqual(['-4']);
    expect(new Set([...redis, ...db].map(wave))).toEqual(new Set(['-3']));
    expect(one(o, 'Job').metadata.annotations).toMatchObject({ [HOOK]: 'Sync', [SYNC_WAVE]: '-1' });
    expect(new Set(migrations.filter(m => m.kind !== 'Job').map(wave))).toEqual(new Set(['-2']));
    expect(new Set(proxy.map(wave))).toEqual(new Set(['0']));
    expect(new Set(edge.map(wave))).toEqual(new Set(['1']));
    expect(allBefore(ns, [...redis, ...db])).toBe(true);
    expect(allBefore([...redis, ...db], migrations)).toBe(true);
    expect(allBefore(migrations, proxy)).toBe(true);
    expect(allBefore(proxy, edge)).toBe(true);
  });

  test('GIVEN an external database THEN the migration is a PreSync hook: after the Namespace, before Redis, the proxy and the edge', () => {
    const o = full(external);
    const [ns, redis, migrations, proxy, edge] = ['namespace', 'redis', 'migrations', 'proxy', 'edge'].map(c => part(o, c));
    expect(migrations.map(m => m.metadata.annotations[HOOK])).toEqual(['PreSync', 'PreSync', 'PreSync']);
    expect(applyStep(one(o, 'Job'))).toEqual([1, 0]);
    expect(allBefore(ns, migrations)).toBe(true);
    expect(allBefore(migrations, [...redis, ...proxy])).toBe(true);
    expect(allBefore(redis, proxy)).toBe(true);
    expect(allBefore(proxy, edge)).toBe(true);
  });

  test('every object of a stack carries a wave', () => {
    expect(full(cnpg).filter(o => wave(o) === undefined).map(o => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  test('GIVEN syncWaves: false THEN the stack adds no wave; only the migration hooks and the CNPG Cluster keep their own', () => {
    const plain = stackObjects({ ...production, syncWaves: false, ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls }) });
    expect(plain.filter(o => Object.keys(o.metadata.annotations ?? {}).some(k => k.startsWith('argocd.argoproj.io/')))).toEqual([]);
    const withDb = stackObjects({ ...production, ...cnpg, syncWaves: false });
    const annotated = withDb.filter(o => wave(o) !== undefined).map(o => o.metadata.labels['app.kubernetes.io/component']);
    expect(new Set(annotated)).toEqual(new Set(['database', 'migrations']));
  });
});

describe('LiteLLMStack: validation', () => {
  const expectError = (props: Partial<LiteLLMStackProps> | undefined, message: RegExp) => {
    let error: unknown;
    try {
      if (props === undefined) new LiteLLMStack(Testing.app(), 'stack', undefined as any);
      else stackObjects(props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    // The stack names itself (its construct path) before the prop.
    expect((error as LiteLLMConfigError).constructPath).toBe('stack');
    expect((error as Error).message.startsWith('[stack] ')).toBe(true);
    expect((error as Error).message.slice('[stack] '.length)).toMatch(message);
  };

  test('GIVEN no props THEN the stack says what it needs', () => {
    expectError(undefined, /^stack: received undefined; LiteLLMStack needs props with namespace, models and masterKey$/);
  });

  test.each([
    ['upper case', 'LLM'], ['underscore', 'llm_gateway'], ['too long', 'n'.repeat(64)], ['empty', ''],
  ])('GIVEN a namespace that is not a DNS label (%s) THEN namespace is named', (_label, namespace) => {
    expectError({ namespace }, new RegExp(`^namespace: received "${namespace}"; must be a DNS-1123 label`));
  });

  test('GIVEN both an external Redis and an in-cluster password THEN an error says to pick one', () => {
    expectError({ redis: { external: { host: 'redis.example.com' }, password: redisPassword } },
      /^redis: received .*; give either redis\.external, or redis\.password\/inCluster for an in-cluster Redis, not both$/);
    expectError({ redis: { external: { host: 'redis.example.com' }, inCluster: { memory: '1Gi' } } }, /^redis: received .*; give either redis\.external, or redis\.password\/inCluster/);
  });

  test.each([['production', Presets.production()], ['edge', Presets.edge()]])('GIVEN the %s preset and no Redis password THEN redis.password is required', (_name, preset) => {
    expectError({ preset }, /^redis\.password: received undefined; the in-cluster Redis needs a password Secret reference \{ name, key \} \(or give redis\.external\)$/);
  });

  test('GIVEN in-cluster settings on a preset without Redis and no password THEN redis.password is still required', () => {
    expectError({ preset: { ...Presets.edge(), inClusterRedis: false }, redis: { inCluster: { memory: '256Mi' } } }, /^redis\.password: received undefined/);
  });

  test('GIVEN a database with both or neither kind THEN an error asks for exactly one', () => {
    expectError({ ...production, database: { external: { url: dbUrl }, cloudNativePg: {} } },
      /^database: received .*; give exactly one of database\.external or database\.cloudNativePg$/);
    expectError({ ...production, database: {} }, /^database: received .*; give exactly one of database\.external or database\.cloudNativePg$/);
  });

  test('GIVEN a preset that is not an object THEN preset is named', () => {
    expectError({ preset: 'production' as any }, /^preset: received "production"; must be a plain object$/);
  });

  test.each(['proxy', 'redis', 'database', 'governance', 'cache', 'router', 'extraConfig'])('GIVEN %s that is not an object THEN it is named', key => {
    expectError({ ...production, [key]: [1] } as any, new RegExp(`^${key}: received an array of 1; must be a plain object$`));
  });

  test('GIVEN an edge that is not an Edge (e.g. last release\'s plain object) THEN the four factories are named', () => {
    expectError({ ...edgePreset, edge: { controller: 'istio', hosts: ['llm.example.com'] } as any, hosts: ['llm.example.com'] },
      /^edge: received \{"controller":"istio","hosts":\["llm\.example\.com"\]\}; must be Edge\.ingressNginx\(\), Edge\.nginxInc\(\), Edge\.traefik\(\) or Edge\.gatewayApi\(\) with its options$/);
  });

  test('GIVEN an edge without hosts, or hosts without an edge THEN the missing half is named', () => {
    expectError({ ...edgePreset, edge: Edge.traefik() }, /^hosts: received undefined; required with `edge`: the host names clients use/);
    expectError({ ...edgePreset, hosts: ['llm.example.com'] }, /^hosts: received an array of 1; are served through an edge: give `edge` too/);
  });

  // Library gaps (fail until lib/stack/litellm-stack.ts validates the preset's fields and the
  // edge controller before the TLS rule): found by test/policy/stack-properties.test.ts.
  test.each([
    ['an empty preset (TypeError today)', {}, 'preset'],
    ['allowCidrs missing (TypeError today)', { ...Presets.edge(), allowCidrs: undefined }, 'preset.allowCidrs'],
    ['a misspelt workers mode (silently perCpu today)', { ...Presets.edge(), workers: 'onePerpod' }, 'preset.workers'],
    ['requireTls as the string "false" (silently true today)', { ...Presets.production(), requireTls: 'false' }, 'preset.requireTls'],
    ['inClusterRedis as the string "no" (silently true today)', { ...Presets.edge(), inClusterRedis: 'no' }, 'preset.inClusterRedis'],
    ['metrics as the string "false" (silently true today)', { ...Presets.production(), metrics: 'false' }, 'preset.metrics'],
  ])('GIVEN %s THEN LiteLLMConfigError naming the preset field', (_label, preset, prop) => {
    let error: unknown;
    try {
      stackObjects({ ...production, preset: preset as any });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    expect((error as LiteLLMConfigError).prop.startsWith(prop)).toBe(true);
  });

  test('GIVEN an external Redis without a password THEN redis.external needs one or allowNoAuth', () => {
    expectError({ redis: { external: { host: 'redis.example.com' } } },
      /^redis\.external\.password: received undefined; an external Redis needs AUTH: .*set allowNoAuth: true \(redis\.external\.allowNoAuth in a LiteLLMStack\)/);
    const env = envMap(containerOf(stackObjects({ redis: { external: { host: '10.30.0.5', allowNoAuth: true, cidr: '10.30.0.0/24' } } }), 'Deployment', 'litellm'));
    expect(env.REDIS_HOST).toBe('10.30.0.5');
    expect(env.REDIS_PASSWORD).toBeUndefined();
  });

  test('GIVEN a proxy name too long for the names derived from it THEN proxy.name is named, with the room left', () => {
    expectError({ ...production, proxy: { name: 'p'.repeat(47) } },
      /^proxy\.name: received "p{47}"; must be at most 46 characters here: the stack names the in-cluster redis "p{47}-redis", which must fit 52$/);
    expectError({ ...production, ...cnpg, proxy: { name: 'p'.repeat(38) } },
      /^proxy\.name: received "p{38}"; must be at most 37 characters here: the stack names the in-cluster database "p{38}-db", which must fit 40$/);
    expectError({ ...production, proxy: { name: '0gateway' } }, /^proxy\.name: received "0gateway"; must be a DNS-1123 label that starts with a letter/);
    // With a name of its own, the database does not depend on the proxy's.
    expect(() => stackObjects({ ...production, database: { cloudNativePg: { name: 'db' } }, proxy: { name: 'p'.repeat(46) } })).not.toThrow();
  });

  test('GIVEN a preset without Redis and several processes THEN the proxy asks for redis or consent', () => {
    expectError({ preset: { ...Presets.production(), inClusterRedis: false } },
      /^preset\.autoscaling\.maxReplicas: received 6; 6 replica\(s\) x 2 worker\(s\) = 12 processes need `redis`.*acceptPerReplicaLimits: true/);
  });
});

describe('LiteLLMStack: snapshots, schema and policy per preset', () => {
  const stacks = {
    production: stackObjects({
      ...production, ...cnpg, saltKey: { name: 'litellm-master', key: 'salt-key' },
      ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls: { clusterIssuer: 'letsencrypt' } }),
      governance: { defaultKeyParams: { maxBudget: 10, budgetDuration: '30d' } },
    }),
    edge: stackObjects({ ...edgePreset, ...stackEdge({ controller: 'traefik', hosts: ['llm.home.arpa'] }) }),
  };

  test.each(Object.keys(stacks))('the %s preset stack', name => {
    const objects = stacks[name as keyof typeof stacks];
    expect(objects).toMatchSnapshot();
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });
});
