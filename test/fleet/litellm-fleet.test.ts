import { ConfigSection } from '../../lib';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Edge, GitOpsApp, LiteLLMConfigError, LiteLLMFleet, LiteLLMFleetProps, PostgresServer } from '../../lib';
import { policyViolations } from '../support/policy';
import { containerOf, envMap, one } from '../support/synth';

/**
 * A platform team's fleet (issue 13): three tenants on one managed Redis, one
 * PostgreSQL server (a database each) and one Gateway, through the GitOps
 * writer, the way the README's "Fleets" example builds it.
 */

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('llm-provider-keys', 'openai'), rpm: 600 }];

const fleetProps = (over: Partial<LiteLLMFleetProps> = {}): LiteLLMFleetProps => ({
  namespacePrefix: 'llm-',
  models,
  masterKey: secret('litellm-master-key', 'master-key'),
  redis: { external: { host: 'redis.platform.example.com', password: secret('litellm-redis', 'password') } },
  database: { serverOptions: { name: 'platform-pg', host: 'pg.platform.example.com', maxConnections: 180 } },
  edge: Edge.gatewayApi({
    gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' },
    controllerNamespace: 'envoy-gateway-system',
  }),
  domain: 'llm.example.com',
  governance: { defaultKeyParams: { rpmLimit: 60 }, batchWriteIntervalSeconds: 50 },
  tenants: [
    { name: 'team-a' },
    { name: 'team-b', governance: { batchWriteIntervalSeconds: 100 }, hosts: ['llm.team-b.example.com'], argoCd: { project: 'team-b' } },
    { name: 'team-c', proxy: { autoscaling: { maxReplicas: 10 } }, database: { maxConnections: 80 } },
  ],
  ...over,
});

function build(over: Partial<LiteLLMFleetProps> = {}) {
  const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/platform/llm.git' } });
  const fleet = new LiteLLMFleet(app, 'tenants', fleetProps(over));
  return { app, fleet };
}

const configOf = (objects: any[]) => parse(one(objects, 'ConfigMap', 'litellm-config').data['config.yaml']);

describe('LiteLLMFleet: three tenants on shared parts', () => {
  const { app, fleet } = build();
  const files = new Map(Object.entries(app.synthFiles()));
  const objects = [...files.values()].map(t => parse(t));
  const tenant = (name: string) => [...files].filter(([f]) => f.startsWith(`llm-${name}/`)).map(([, t]) => parse(t));

  test('THEN one stack per tenant, in a namespace of its own, each in its own folder with its own Application', () => {
    expect(fleet.stacks.map(s => [s.node.path, s.namespace])).toEqual([
      ['tenants/team-a', 'llm-team-a'], ['tenants/team-b', 'llm-team-b'], ['tenants/team-c', 'llm-team-c'],
    ]);
    expect(fleet.stack('team-b')).toBe(fleet.stacks[1]);
    const apps = objects.filter(o => o.kind === 'Application');
    expect(apps.map(a => [a.metadata.name, a.spec.source.path, a.spec.project])).toEqual([
      // Each in an AppProject of its own (ProjectMode.PER_APPLICATION), named by the tenant's argoCd.project when it gives one.
      ['llm-team-a', 'dist/llm-team-a', 'llm-team-a'], ['llm-team-b', 'dist/llm-team-b', 'team-b'], ['llm-team-c', 'dist/llm-team-c', 'llm-team-c'],
      // The root Application (app of apps), in argocd-bootstrap/.
      ['argocd-applications', 'dist/argocd-applications', 'default'],
    ]);
  });

  test('THEN every tenant uses the one Redis under its own key prefix', () => {
    for (const t of ['team-a', 'team-b', 'team-c']) {
      const objs = tenant(t);
      expect(configOf(objs).general_settings.coordination_redis.namespace).toBe(`llm-${t}/${t}`);
      expect(envMap(containerOf(objs)).REDIS_HOST).toBe('redis.platform.example.com');
      expect(objs.filter(o => o.kind === 'StatefulSet')).toEqual([]);
    }
  });

  test('THEN each tenant has its database on the one server, its share of its connections, and its own migration Job', () => {
    expect(Object.entries(fleet.server!.shares)).toEqual([['team_a', 50], ['team_b', 50], ['team_c', 80]]);
    expect(fleet.stacks.map(s => s.database!.maxConnections)).toEqual([50, 50, 80]);
    // pool = floor((share - 1 migration) / (2 workers × (max replicas + 1 surge))): 49 / 14 and 79 / 22.
    expect(fleet.stacks.map(s => s.proxy.config.get(ConfigSection.GENERAL_SETTINGS, 'database_connection_pool_limit'))).toEqual([3, 3, 3]);
    for (const t of ['team-a', 'team-b', 'team-c']) {
      const objs = tenant(t);
      expect(envMap(containerOf(objs)).DATABASE_URL).toEqual({ secretKeyRef: { name: 'litellm-database', key: 'url' } });
      expect(objs.filter(o => o.kind === 'Job')).toHaveLength(1);
    }
  });

  test('THEN each tenant is routed through the one Gateway at its host', () => {
    const routes = objects.filter(o => o.kind === 'HTTPRoute');
    expect(routes.map(r => [r.metadata.namespace, r.spec.hostnames])).toEqual([
      ['llm-team-a', ['team-a.llm.example.com']], ['llm-team-b', ['llm.team-b.example.com']], ['llm-team-c', ['team-c.llm.example.com']],
    ]);
    expect(new Set(routes.map(r => JSON.stringify(r.spec.parentRefs)))).toEqual(new Set([
      JSON.stringify([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }]),
    ]));
  });

  test('THEN a tenant\'s governance and proxy settings merge into the fleet\'s, one level deep', () => {
    expect(configOf(tenant('team-a')).general_settings.proxy_batch_write_at).toBe(50);
    const b = configOf(tenant('team-b'));
    expect(b.general_settings.proxy_batch_write_at).toBe(100);
    expect(b.litellm_settings.default_key_generate_params).toEqual({ rpm_limit: 60 });
    expect(one(tenant('team-c'), 'HorizontalPodAutoscaler').spec.maxReplicas).toBe(10);
  });

  // The upstream schemas are checked on the same fleet shape in dist/ (test/dist.test.ts: main.ts's fleet),
  // which saves compiling them here once more.
  test('THEN the whole output passes the policy gate (no secret values, restricted pods, NetworkPolicies, ...)', () => {
    expect(JSON.stringify(objects)).not.toMatch(/\bundefined\b|\bNaN\b/);
    expect(policyViolations(objects)).toEqual([]);
  });
});

describe('LiteLLMFleet: tenants and shared parts', () => {
  test('GIVEN a PostgresServer shared with stacks outside the fleet THEN the tenants use its databases and shares', () => {
    const server = new PostgresServer({ name: 'platform-pg', host: 'pg.example.com', maxConnections: 120, databases: [{ name: 'team_a' }, { name: 'team_b' }, { name: 'team_c' }, { name: 'other' }] });
    const { fleet } = build({ database: { server }, tenants: [{ name: 'team-a' }, { name: 'team-b' }, { name: 'team-c' }] });
    expect(fleet.server).toBe(server);
    expect(fleet.stacks.map(s => s.database!.maxConnections)).toEqual([30, 30, 30]);
  });

  test('GIVEN credentials in parts THEN each tenant connects through the server\'s host with its own user', () => {
    const { fleet } = build({
      database: { serverOptions: { name: 'pg', host: 'pg.example.com', maxConnections: 180 }, usernameSecret: secret('litellm-database', 'username'), password: secret('litellm-database', 'password') },
    });
    const env = envMap(containerOf(Testing.synth(fleet.stack('team-a'))));
    expect([env.DATABASE_HOST, env.DATABASE_NAME]).toEqual(['pg.example.com:5432', 'team_a']);
    expect(env.DATABASE_USERNAME).toEqual({ secretKeyRef: { name: 'litellm-database', key: 'username' } });
  });

  test('GIVEN a tenant with database: false or its own Redis THEN it has no database nor the fleet\'s governance, and its own in-cluster Redis', () => {
    const { fleet } = build({
      tenants: [{ name: 'team-a' }, { name: 'team-b', database: { enabled: false }, redis: { password: secret('litellm-redis', 'password') } }],
    });
    expect(fleet.stack('team-b').database).toBeUndefined();
    expect(fleet.stack('team-b').proxy.config.get(ConfigSection.GENERAL_SETTINGS, 'proxy_batch_write_at')).toBeUndefined();
    expect(fleet.stack('team-a').proxy.config.get(ConfigSection.GENERAL_SETTINGS, 'proxy_batch_write_at')).toBe(50);
    expect(fleet.stack('team-b').redisInstance).toBeDefined();
    expect(Object.keys(fleet.server!.shares)).toEqual(['team_a']);
  });

  test('GIVEN a fleet without an edge THEN no routes; tenants cannot give hosts', () => {
    const { fleet } = build({ edge: undefined, domain: undefined, tenants: [{ name: 'team-a' }] });
    expect(fleet.stacks[0].edge).toBeUndefined();
    expect(() => build({ edge: undefined, domain: undefined, tenants: [{ name: 'team-a', hosts: ['a.example.com'] }] }))
      .toThrow(/^\[tenants\] tenants\[0\]\.hosts: received an array of 1; hosts are served through the fleet's edge/);
  });

  test.each([
    ['no tenants', { tenants: [] }, 'tenants', /must list at least one tenant/],
    ['a tenant name twice', { tenants: [{ name: 'a' }, { name: 'a' }] }, 'tenants[1].name', /tenant names must be unique/],
    ['a tenant name that is not a DNS label', { tenants: [{ name: 'Team A' }] }, 'tenants[0].name', /must be a DNS-1123 label/],
    ['no hosts and no domain', { edge: Edge.gatewayApi({ gateway: { name: 'public' }, controllerNamespace: 'envoy' }), domain: undefined, tenants: [{ name: 'a' }] },
      'tenants[0].hosts', /give the tenant its hosts, or the fleet a domain/],
    ['a domain without an edge', { edge: undefined, tenants: [{ name: 'a' }] }, 'domain', /names the tenants' hosts on the fleet's edge: give `edge` too/],
    ['a bad prefix', { namespacePrefix: 'LLM_' }, 'namespacePrefix', /must be empty or start a DNS label/],
    ['hosts for the whole fleet', { edge: Edge.gatewayApi({ gateway: { name: 'public' }, controllerNamespace: 'envoy', hosts: ['llm.example.com'] } as any) },
      'edge.hosts', /hosts belong to the stack \(its `hosts` prop\) or to each fleet tenant.*\(found building tenant "team-a", tenants\[0\], which takes it from the fleet\)$/],
    ['a share on a given server', { database: { server: new PostgresServer({ name: 'pg', databases: [{ name: 'a' }] }) }, tenants: [{ name: 'a', database: { maxConnections: 5 } }] },
      'tenants[0].database.maxConnections', /the shares of a given PostgresServer \("pg"\) are set in its databases/],
  ])('GIVEN %s THEN the fleet names the prop', (_label, over, prop, message) => {
    let error: unknown;
    try {
      build(over as Partial<LiteLLMFleetProps>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    expect((error as LiteLLMConfigError).prop).toBe(prop);
    expect((error as LiteLLMConfigError).constructPath).toBe('tenants');
    expect((error as Error).message).toMatch(message);
  });

  test('GIVEN a bad value for one tenant THEN the error names that tenant\'s stack', () => {
    let error: unknown;
    try {
      build({ tenants: [{ name: 'team-a' }, { name: 'team-b', proxy: { cpu: '0' } }] });
    } catch (e) {
      error = e;
    }
    expect((error as LiteLLMConfigError).constructPath).toBe('tenants/team-b');
    expect((error as Error).message).toMatch(/^\[tenants\/team-b\] proxy\.cpu: received "0"/);
  });

  test('GIVEN two tenants on one host THEN the App-wide check rejects the second at synth', () => {
    const { app } = build({ tenants: [{ name: 'team-a', hosts: ['llm.example.com'] }, { name: 'team-b', hosts: ['llm.example.com'] }] });
    expect(() => new Map(Object.entries(app.synthFiles()))).toThrow(/^\[tenants\/team-b\] hosts\[0\]: received "llm\.example\.com"; stack tenants\/team-a already routes/);
  });

  test('GIVEN a fleet in a consumer chart THEN the stacks still get a folder each, named by namespace', () => {
    const app = new GitOpsApp({ outdir: '/nonexistent' });
    new LiteLLMFleet(new Chart(app, 'platform'), 'tenants', fleetProps({ tenants: [{ name: 'team-a' }] }));
    expect([...new Set([...new Map(Object.entries(app.synthFiles())).keys()].map(f => f.split('/')[0]))]).toEqual(['llm-team-a']);
  });
});

/** Issue 21: a tenant's alerts over the fleet's over the defaults, field by field. */
describe('LiteLLMFleet: alert thresholds merge field by field', () => {
  const rulesOf = (objects: any[]) => new Map<string, any>(one(objects, 'PrometheusRule').spec.groups[0].rules.map((r: any) => [r.alert, r]));
  const fleetAlerts = {
    providerErrorRatio: 0.1, rateLimitRejectionRatio: 0.2, restartsPerHour: 5,
    labels: { release: 'kps' }, alertLabels: { team: 'platform', tier: 'gold' },
  };
  const { fleet } = build({
    alerts: fleetAlerts,
    tenants: [
      { name: 'team-a' },
      // A field left undefined (e.g. from an optional setting) keeps the fleet's, as one not given does.
      { name: 'team-b', alerts: { providerErrorRatio: 0.02, rateLimitRejectionRatio: undefined, alertLabels: { tier: 'bronze' }, labels: { extra: 'yes' } } },
      { name: 'team-c', alerts: { exclude: [] } },
    ],
  });
  const [a, b] = [fleet.stack('team-a'), fleet.stack('team-b')].map(s => rulesOf(Testing.synth(s)));

  test('THEN a tenant without alerts has the fleet\'s thresholds, and the defaults where the fleet gives none', () => {
    expect(a.get('LiteLLMProviderErrors').expr).toContain(') > 0.1\n');
    expect(a.get('LiteLLMRateLimitRejections').expr).toContain(') > 0.2\n');
    expect(a.get('LiteLLMPodRestarting').expr).toMatch(/>= 5$/);
    expect(a.get('LiteLLMProxyOverhead').expr).toMatch(/> 0\.5$/);
  });

  test('THEN a tenant\'s threshold replaces only that field: its own where it gives one, the fleet\'s for the rest, the defaults after that', () => {
    expect(b.get('LiteLLMProviderErrors').expr).toContain(') > 0.02\n');
    expect(b.get('LiteLLMRateLimitRejections').expr).toContain(') > 0.2\n');
    expect(b.get('LiteLLMPodRestarting').expr).toMatch(/>= 5$/);
    expect(b.get('LiteLLMProxyOverhead').expr).toMatch(/> 0\.5$/);
  });

  test('THEN label maps merge key by key: the tenant\'s value for a key wins, the fleet\'s other keys stay', () => {
    for (const r of b.values()) expect(r.labels).toMatchObject({ team: 'platform', tier: 'bronze' });
    expect(one(Testing.synth(fleet.stack('team-b')), 'PrometheusRule').metadata.labels).toMatchObject({ release: 'kps', extra: 'yes' });
    for (const r of a.values()) expect(r.labels).toMatchObject({ team: 'platform', tier: 'gold' });
  });

  test('THEN the fleet\'s settings object is not changed by a tenant\'s merge', () => {
    expect(fleetAlerts.alertLabels).toEqual({ team: 'platform', tier: 'gold' });
  });

  test('GIVEN a bad key in the fleet\'s alert labels THEN the fleet is named; in a tenant\'s own THEN the tenant', () => {
    const errorOf = (over: Partial<LiteLLMFleetProps>): LiteLLMConfigError => {
      try {
        build(over);
      } catch (e) {
        return e as LiteLLMConfigError;
      }
      throw new Error('accepted');
    };
    const fleetLabel = errorOf({ alerts: { alertLabels: { 'bad key': 'x' } }, tenants: [{ name: 'team-a', alerts: { alertLabels: { tier: 'a' } } }] });
    expect([fleetLabel.prop, fleetLabel.constructPath]).toEqual(['alerts.alertLabels', 'tenants']);
    expect(fleetLabel.message).toMatch(/^\[tenants\] alerts\.alertLabels: received "bad key"; .*\(found building tenant "team-a", tenants\[0\], which takes it from the fleet\)$/);
    const tenantLabel = errorOf({ alerts: { alertLabels: { tier: 'a' } }, tenants: [{ name: 'team-a', alerts: { alertLabels: { 'bad key': 'x' } } }] });
    expect([tenantLabel.prop, tenantLabel.constructPath]).toEqual(['alerts.alertLabels', 'tenants/team-a']);
    const fleetValue = errorOf({ alerts: { alertLabels: { tier: 'a b' } }, tenants: [{ name: 'team-a', alerts: { alertLabels: { team: 'x' } } }] });
    expect([fleetValue.prop, fleetValue.constructPath]).toEqual(['alerts.alertLabels.tier', 'tenants']);
  });
});
