import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { FleetDashboard, GitOpsApp, LiteLLMConfigError, LiteLLMFleet, LiteLLMFleetProps, LiteLLMProxy, LiteLLMStack, Presets } from '../../lib';
import { KUBE_STATE_METRICS } from '../../lib/observability/proxy-alerts';
import { expectPanelsApart } from '../support/expectations';
import { expressions, metricNames } from '../support/promql';
import { schemaErrors } from '../support/schema';
import { one } from '../support/synth';

/**
 * The fleet dashboard (issue 21): every tenant side by side, a `tenant`
 * variable over the tenants' namespaces, and only series the per-stack
 * dashboard and alerts read (which the observability e2e checks against the
 * pinned release's /metrics/, the fleet dashboard included).
 */

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai'), rpm: 600 }];
const fleetProps = (over: Partial<LiteLLMFleetProps> = {}): LiteLLMFleetProps => ({
  namespacePrefix: 'llm-', preset: Presets.production(), models, masterKey: secret('m', 'k'),
  redis: { password: secret('r', 'p') }, database: { serverOptions: { name: 'pg', host: 'pg.example.com', maxConnections: 180 } },
  fleetDashboard: {},
  tenants: [{ name: 'team-a' }, { name: 'team-b', paused: true }, { name: 'team-c', metrics: { enabled: false } }],
  ...over,
});

describe('FleetDashboard of a fleet', () => {
  const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/x.git' } });
  const fleet = new LiteLLMFleet(app, 'tenants', fleetProps());
  const files = new Map(Object.entries(app.synthFiles()).map(([f, t]) => [f, parse(t)]));
  const cm = files.get('tenants-dashboard/ConfigMap.tenants-dashboard.k8s.yaml');
  const model = JSON.parse(cm.data['litellm-fleet-tenants.json']);
  const exprs = expressions([cm]).dashboard;

  test('THEN one ConfigMap for the Grafana sidecar in "monitoring", in a folder of its own with its own Application; schema-valid', () => {
    expect(cm.metadata).toMatchObject({ name: 'tenants-dashboard', namespace: 'monitoring', labels: { grafana_dashboard: '1', 'app.kubernetes.io/component': 'dashboard' }, annotations: { grafana_folder: 'LiteLLM' } });
    expect([...files.keys()].filter(f => f.startsWith('tenants-dashboard/'))).toEqual(['tenants-dashboard/ConfigMap.tenants-dashboard.k8s.yaml']);
    const application = files.get('argocd-applications/Application.tenants-dashboard.k8s.yaml');
    expect(application.spec.destination.namespace).toBe('monitoring');
    // Its AppProject permits the one ConfigMap kind in "monitoring", nothing else.
    expect(files.get('argocd-applications/AppProject.tenants-dashboard.k8s.yaml').spec).toMatchObject({
      destinations: [{ namespace: 'monitoring' }], namespaceResourceWhitelist: [{ group: '', kind: 'ConfigMap' }],
    });
    expect(schemaErrors([cm])).toEqual([]);
    expect(fleet.dashboard!.configMap.name).toBe('tenants-dashboard');
  });

  test('THEN a tenant variable over the namespaces of the tenants with metrics (the paused one too), "All" being exactly them', () => {
    const tenant = model.templating.list.find((v: any) => v.name === 'tenant');
    expect(tenant).toMatchObject({ type: 'custom', query: 'llm-team-a,llm-team-b', includeAll: true, multi: true, allValue: 'llm-team-a|llm-team-b' });
    expect(tenant.options.map((o: any) => o.value)).toEqual(['llm-team-a', 'llm-team-b']);
  });

  test('THEN every query selects the tenants by namespace and the proxies\' pods by name, and sums by namespace', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(13);
    for (const e of exprs) {
      for (const sel of e.match(/\w+\{[^}]*\}/g) ?? []) expect(sel).toMatch(/namespace=~"\$tenant"/);
      expect(e).toMatch(/by \(namespace/);
    }
    const litellm = exprs.filter(e => /litellm_/.test(e));
    for (const e of litellm) expect(e).toContain('pod=~"litellm-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"');
  });

  test('THEN it reads only metric names the per-stack dashboard and alerts read (checked against the release\'s /metrics/ by the e2e), or kube-state-metrics\'', () => {
    const tenantObjects = fleet.stacks.filter(s => s.proxy.metricsEnabled).flatMap(s => Testing.synth(s));
    const known = new Set([...expressions(tenantObjects).dashboard, ...expressions(tenantObjects).rules].flatMap(metricNames));
    const used = new Set(exprs.flatMap(metricNames));
    expect([...used].filter(n => !known.has(n) && !(KUBE_STATE_METRICS as readonly string[]).includes(n))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(10);
  });

  test('THEN panels for traffic, errors, rejections, latency, tokens, spend, cache and replicas, never overlapping; a link to the tenants\' dashboards', () => {
    const titles = model.panels.map((p: any) => p.title);
    for (const t of ['Requests by tenant', 'Failed requests by tenant', 'Provider error ratio by tenant', 'Rate-limit rejections (429) by tenant', 'p95 request latency by tenant',
      'Tokens by tenant', 'Spend by tenant (USD per hour)', 'Response cache hit ratio by tenant', 'Ready replicas by tenant']) expect(titles).toContain(t);
    expectPanelsApart(model.panels);
    expect(model.links).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['litellm'] })]);
    expect(model.uid).toMatch(/^litellm-fleet-[0-9a-f]{16}$/);
  });

  test('GIVEN tenants whose proxies have different names THEN the pod pattern covers each name', () => {
    const f = new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ tenants: [{ name: 'a' }, { name: 'b', proxy: { name: 'gateway' } }] }));
    const m = f.dashboard!.dashboard;
    expect(JSON.stringify(m)).toContain('pod=~\\"(gateway|litellm)-[bcdfghjklmnpqrstvwxz2456789]{6,10}');
    expect(JSON.stringify(m)).toContain('deployment=~\\"(gateway|litellm)\\"');
  });

  test('GIVEN options THEN namespace, labels and folder follow them; GIVEN none THEN no fleet dashboard', () => {
    const f = new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ fleetDashboard: { namespace: 'grafana', labels: { dashboards: 'litellm' }, folder: 'AI' } }));
    const o = one(Testing.synth(Chart.of(f.dashboard!)), 'ConfigMap');
    expect([o.metadata.namespace, o.metadata.labels.dashboards, o.metadata.labels.grafana_dashboard, o.metadata.annotations.grafana_folder]).toEqual(['grafana', 'litellm', undefined, 'AI']);
    expect(new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ fleetDashboard: undefined })).dashboard).toBeUndefined();
    expect(new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ fleetDashboard: { enabled: false } })).dashboard).toBeUndefined();
  });
});

describe('FleetDashboard: bad input', () => {
  const errorOf = (build: () => unknown): LiteLLMConfigError => {
    try {
      build();
    } catch (e) {
      return e as LiteLLMConfigError;
    }
    throw new Error('accepted');
  };
  test.each([
    ['no tenant with metrics', () => new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ tenants: [{ name: 'a', metrics: { enabled: false } }] })), 'fleetDashboard',
      /^\[fleet\] fleetDashboard: received \{\}; shows the tenants' metrics, and no tenant has any/],
    ['a namespace that is no DNS label', () => new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ fleetDashboard: { namespace: 'Monitoring' } })), 'fleetDashboard.namespace',
      /^\[fleet\] fleetDashboard\.namespace: received "Monitoring"; must be a DNS-1123 label/],
    ['no selecting label', () => new LiteLLMFleet(Testing.app(), 'fleet', fleetProps({ fleetDashboard: { labels: {} } })), 'fleetDashboard.labels',
      /^\[fleet\] fleetDashboard\.labels: received \{\}; must name at least one label/],
    ['a FleetDashboard of no proxy', () => new FleetDashboard(new Chart(Testing.app(), 'c', { namespace: 'monitoring' }), 'd', { proxies: [] }), 'proxies',
      /proxies: received an array of 0; must list at least one LiteLLMProxy with metrics/],
    ['two proxies in one namespace', () => {
      const app = Testing.app();
      const s = new LiteLLMStack(app, 's', { namespace: 'one', models, masterKey: secret('m', 'k'), redis: { password: secret('r', 'p') } });
      const other = new LiteLLMProxy(s, 'other', { models, masterKey: secret('m', 'k'), metrics: {} });
      return new FleetDashboard(new Chart(app, 'c', { namespace: 'monitoring' }), 'd', { proxies: [s.proxy, other] });
    }, 'proxies[1]', /proxies\[1\]: received "other"; is in namespace one, like proxies\[0\]: the dashboard tells tenants apart by namespace/],
  ] as Array<[string, () => unknown, string, RegExp]>)('%s', (_label, build, prop, message) => {
    const e = errorOf(build);
    expect(e).toBeInstanceOf(LiteLLMConfigError);
    expect(e.prop).toBe(prop);
    expect(e.message).toMatch(message);
  });
});
