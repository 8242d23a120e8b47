import { configErrorOf, expectPanelsApart } from '../support/expectations';
import { Chart, Testing } from 'cdk8s';
import {
  ExternalPostgres, LiteLLMConfigError, LiteLLMFleet, LiteLLMProxy, LiteLLMProxyProps, LiteLLMStack, ProxyAlertName,
  Presets, ProxyAlerts, ProxyAlertsProps, ProxyDashboard, ProxyDashboardProps, RedisInstance, ScalingSignal,
} from '../../lib';
import { KUBE_STATE_METRICS, PROXY_ALERT_NAMES } from '../../lib/observability/proxy-alerts';
import { policyViolations } from '../support/policy';
import { expressions, metricNames } from '../support/promql';
import { schemaErrors } from '../support/schema';
import { byKind, one, synth } from '../support/synth';

const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'keys', key: 'openai' }, rpm: 100 }];
const masterKey = { name: 'master', key: 'key' };

/** A proxy with everything the alerts can watch: metrics, Redis, a database, an autoscaler. */
function fullProxy(chart: Chart, extra: Partial<LiteLLMProxyProps> = {}): LiteLLMProxy {
  return new LiteLLMProxy(chart, 'litellm', {
    models, masterKey, metrics: {}, autoscaling: { maxReplicas: 4 },
    redis: new RedisInstance(chart, 'redis', { password: { name: 'redis', key: 'password' } }),
    database: new ExternalPostgres({ url: { name: 'db', key: 'url' } }),
    ...extra,
  });
}

const rulesOf = (objects: any[]): any[] => one(objects, 'PrometheusRule').spec.groups[0].rules;
const rule = (objects: any[], alert: string): any => {
  const r = rulesOf(objects).find((x: any) => x.alert === alert);
  if (!r) throw new Error(`no rule ${alert}`);
  return r;
};

describe('ProxyAlerts on a standalone LiteLLMProxy', () => {
  const objects = synth(c => new ProxyAlerts(c, 'alerts', { proxy: fullProxy(c) }));
  const POD = 'namespace="litellm", pod=~"litellm-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"';

  test('every alert, in a fixed order, one group named after namespace and proxy; every object schema-valid and policy-clean', () => {
    expect(rulesOf(objects).map((r: any) => r.alert)).toEqual([...PROXY_ALERT_NAMES]);
    expect(one(objects, 'PrometheusRule').spec.groups[0].name).toBe('litellm-litellm-litellm');
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('every rule has a severity, a summary naming the proxy, and a description that says what to check', () => {
    for (const r of rulesOf(objects)) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary).toMatch(/^LiteLLM litellm\/litellm: /);
      expect(r.annotations.description).toMatch(/[Cc]heck|[Ll]ook at|[Ss]ee which|[Rr]aise/);
      expect(r.for).toMatch(/^\d+m$/);
    }
  });

  test('the LiteLLM series are this proxy\'s pods only: namespace and a pod-name pattern that a StatefulSet or a Job pod cannot match', () => {
    const re = /^litellm-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/;
    expect(re.test('litellm-7c9d8f6b5d-x8k2p')).toBe(true);
    for (const other of ['litellm-redis-0', 'litellm-access-x8k2p', 'litellm-migrate-7ea2b8fb-x8k2p', 'litellm2-7c9d8f6b5d-x8k2p']) expect(re.test(other)).toBe(false);
    for (const r of rulesOf(objects).filter((x: any) => /litellm_/.test(x.expr))) expect(r.expr).toContain(POD);
  });

  test('LiteLLMNoReadyReplicas: the Deployment has no available replica for 2 minutes (kube-state-metrics), critical', () => {
    const r = rule(objects, 'LiteLLMNoReadyReplicas');
    expect(r.expr).toBe('kube_deployment_status_replicas_available{namespace="litellm", deployment="litellm"} < 1');
    expect(r).toMatchObject({ for: '2m', labels: { severity: 'critical' } });
  });

  test('LiteLLMProviderErrors: provider-attributed failures (exception_class "Provider.X"), not client 400/422, over all calls, per model, with at least 10 requests', () => {
    const r = rule(objects, 'LiteLLMProviderErrors');
    expect(r.expr).toContain('litellm_deployment_failure_responses_total{' + POD + ', exception_class=~".+[.].+", exception_status!~"400|422"}');
    expect(r.expr).toContain('sum by (namespace, model_group) (rate(litellm_deployment_total_requests_total{');
    expect(r.expr).toMatch(/\) > 0\.05\nand on \(namespace, model_group\)\nsum by \(namespace, model_group\) \(increase\(litellm_deployment_total_requests_total\{.+?\}\[5m\]\)\) >= 10$/);
  });

  test('LiteLLMRateLimitRejections: 429s from the proxy\'s own limits (no provider prefix) over all client requests', () => {
    const r = rule(objects, 'LiteLLMRateLimitRejections');
    expect(r.expr).toContain('litellm_proxy_failed_requests_metric_total{' + POD + ', exception_status="429", exception_class!~".+[.].+"}');
    expect(r.expr).toContain('rate(litellm_proxy_total_requests_metric_total{');
    expect(r.expr).toContain(') > 0.1\n');
  });

  test('LiteLLMProxyOverhead: p95 of total request time minus p95 of provider time', () => {
    const r = rule(objects, 'LiteLLMProxyOverhead');
    expect(r.expr).toMatch(/^\(\n {2}histogram_quantile\(0\.95, sum by \(namespace, le\) \(rate\(litellm_request_total_latency_metric_bucket\{.+?\}\[5m\]\)\)\)\n {2}-\n {2}histogram_quantile\(0\.95, sum by \(namespace, le\) \(rate\(litellm_llm_api_latency_metric_bucket\{.+?\}\[5m\]\)\)\)\n\) > 0\.5$/);
  });

  test('Redis and database alerts read the service-callback metrics (failed over total operations) and the Redis latency histogram', () => {
    expect(rule(objects, 'LiteLLMRedisUnreachable').expr).toMatch(/rate\(litellm_redis_failed_requests_total\{.+?\}\[5m\]\)\)\n {2}\/\n {2}sum by \(namespace\) \(rate\(litellm_redis_total_requests_total/);
    // A worker's start-up PING is not counted: it can miss its short timeout on a healthy Redis while the worker starts.
    expect(rule(objects, 'LiteLLMRedisUnreachable').expr).toContain('function_name!~"(redis_)?(async|sync)_ping"');
    expect(rule(objects, 'LiteLLMRedisSlow').expr).toContain('histogram_quantile(0.95, sum by (namespace, le) (rate(litellm_redis_latency_bucket{');
    expect(rule(objects, 'LiteLLMDatabaseErrors').expr).toMatch(/litellm_postgres_failed_requests_total[\s\S]+litellm_postgres_total_requests_total[\s\S]+\) > 0\.5\n/);
    expect(rule(objects, 'LiteLLMDatabaseErrors').labels.severity).toBe('critical');
  });

  test('restarts, OOM kills and the autoscaler at its maximum: kube-state-metrics of the proxy container and HPA', () => {
    expect(rule(objects, 'LiteLLMPodRestarting').expr).toBe(`increase(kube_pod_container_status_restarts_total{${POD}, container="litellm"}[1h]) >= 3`);
    expect(rule(objects, 'LiteLLMPodOOMKilled').expr).toContain('kube_pod_container_status_last_terminated_reason{' + POD + ', container="litellm", reason="OOMKilled"} == 1');
    expect(rule(objects, 'LiteLLMAutoscalerAtMax').expr).toBe('kube_horizontalpodautoscaler_status_current_replicas{namespace="litellm", horizontalpodautoscaler="litellm"}\n>=\n'
      + 'kube_horizontalpodautoscaler_spec_max_replicas{namespace="litellm", horizontalpodautoscaler="litellm"}');
  });

  test('with the in-flight signal, LiteLLMAutoscalerAtMax watches the HPA KEDA creates (named like the proxy); the dashboard shows the signal per worker', () => {
    const keda = synth(c => {
      const p = fullProxy(c, { cpu: '2', autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prometheus:9090' }) } });
      new ProxyAlerts(c, 'alerts', { proxy: p });
      new ProxyDashboard(c, 'dashboard', { proxy: p });
    });
    expect(one(keda, 'ScaledObject').spec.advanced.horizontalPodAutoscalerConfig.name).toBe('litellm');
    expect(rule(keda, 'LiteLLMAutoscalerAtMax').expr).toBe(rule(objects, 'LiteLLMAutoscalerAtMax').expr);
    const panel = JSON.parse(Object.values(one(keda, 'ConfigMap', 'litellm-dashboard').data as Record<string, string>)[0])
      .panels.find((x: any) => x.title === 'Requests in flight per worker');
    expect(panel.targets[0].expr).toBe(`clamp_min(sum(litellm_in_flight_requests{${POD}}) - count(litellm_in_flight_requests{${POD}}), 0) / (count(litellm_in_flight_requests{${POD}}) * 2)`);
  });

  test('budget alerts: the least budget left of any worker over the max budget, per team and per key', () => {
    expect(rule(objects, 'LiteLLMTeamBudgetNearlySpent').expr).toMatch(/min by \(namespace, team, team_alias\) \(litellm_remaining_team_budget_metric\{.+?\}\)\n {2}\/\n {2}max by \(namespace, team, team_alias\) \(litellm_team_max_budget_metric\{.+?\} > 0\)\n\) < 0\.1$/);
    expect(rule(objects, 'LiteLLMKeyBudgetNearlySpent').expr).toContain('min by (namespace, hashed_api_key, api_key_alias) (litellm_remaining_api_key_budget_metric{');
  });

  test('the metric names read are LiteLLM\'s and the listed kube-state-metrics ones', () => {
    const names = new Set(expressions(objects).rules.flatMap(metricNames));
    expect([...names].filter(n => !n.startsWith('litellm_') && !(KUBE_STATE_METRICS as readonly string[]).includes(n))).toEqual([]);
    expect([...KUBE_STATE_METRICS].filter(n => !names.has(n))).toEqual([]);
    expect(names.has('litellm_redis_latency_bucket')).toBe(true);
  });

  test('thresholds, exclusions and alert labels are props', () => {
    const o = synth(c => new ProxyAlerts(c, 'alerts', {
      proxy: fullProxy(c), providerErrorRatio: 0.2, minRequests: 50, proxyOverheadSeconds: 1.5, restartsPerHour: 5, budgetRemainingRatio: 0.25,
      exclude: [ProxyAlertName.REDIS_SLOW], alertLabels: { team: 'platform' }, labels: { release: 'kps' },
    }));
    expect(rule(o, 'LiteLLMProviderErrors').expr).toMatch(/\) > 0\.2\n[\s\S]+>= 50$/);
    expect(rule(o, 'LiteLLMProxyOverhead').expr).toMatch(/> 1\.5$/);
    expect(rule(o, 'LiteLLMPodRestarting').expr).toMatch(/>= 5$/);
    expect(rule(o, 'LiteLLMTeamBudgetNearlySpent').expr).toMatch(/< 0\.25$/);
    expect(rulesOf(o).map((r: any) => r.alert)).not.toContain('LiteLLMRedisSlow');
    expect(rulesOf(o).every((r: any) => r.labels.team === 'platform')).toBe(true);
    expect(one(o, 'PrometheusRule').metadata.labels).toMatchObject({ release: 'kps', 'app.kubernetes.io/component': 'alerts' });
  });

  test('a proxy without Redis, database or autoscaler gets no alerts about them; without service metrics no Redis/database alerts', () => {
    const bare = synth(c => new ProxyAlerts(c, 'alerts', { proxy: new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: {} }) }));
    expect(rulesOf(bare).map((r: any) => r.alert)).toEqual(['LiteLLMNoReadyReplicas', 'LiteLLMProviderErrors', 'LiteLLMRateLimitRejections', 'LiteLLMProxyOverhead', 'LiteLLMInFlightSaturated', 'LiteLLMPodRestarting', 'LiteLLMPodOOMKilled']);
    const noService = synth(c => new ProxyAlerts(c, 'alerts', { proxy: fullProxy(c, { metrics: { serviceMetrics: false } }) }));
    const names = rulesOf(noService).map((r: any) => r.alert);
    for (const n of ['LiteLLMRedisUnreachable', 'LiteLLMRedisSlow', 'LiteLLMDatabaseErrors']) expect(names).not.toContain(n);
    expect(names).toContain('LiteLLMTeamBudgetNearlySpent');
  });

  test('LiteLLMInFlightSaturated: in flight per worker (the scrape taken out per pod) over the threshold, workers from the proxy', () => {
    const rule = (props: object, proxyProps: object = {}) => rulesOf(synth(c => new ProxyAlerts(c, 'alerts', {
      proxy: new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: {}, ...proxyProps }), ...props,
    }))).find((r: any) => r.alert === 'LiteLLMInFlightSaturated');
    const byDefault = rule({}, { cpu: '3', acceptPerReplicaLimits: true });
    expect(byDefault.for).toBe('10m');
    expect(byDefault.expr).toMatch(/sum by \(namespace\) \(litellm_in_flight_requests\{namespace="[^"]+", pod=~"[^"]+"\}\)\n  -\n  count by \(namespace\)/);
    expect(byDefault.expr).toMatch(/\* 3\) > 15$/);
    expect(rule({ inFlightPerWorker: 8 }).expr).toMatch(/\* 1\) > 8$/);
    expect(() => rule({ inFlightPerWorker: 0 })).toThrow(/inFlightPerWorker: received 0; must be an integer/);
  });

  test('toRuleFile(): the same rules as a plain Prometheus rule file', () => {
    const c = new Chart(Testing.app(), 't', { namespace: 'ns' });
    const alerts = new ProxyAlerts(c, 'alerts', { proxy: fullProxy(c) });
    const file = alerts.toRuleFile();
    expect(file.groups[0].name).toBe('litellm-ns-litellm');
    expect(file.groups[0].rules.map(r => r.alert)).toEqual([...PROXY_ALERT_NAMES]);
    expect(file.groups[0].rules[0].expr).toBe(rulesOf(Testing.synth(c))[0].expr);
  });
});

describe('ProxyDashboard', () => {
  const objects = synth(c => new ProxyDashboard(c, 'dashboard', { proxy: fullProxy(c) }));
  const cm = one(objects, 'ConfigMap', 'litellm-dashboard');
  const model = JSON.parse(cm.data['litellm-litellm-litellm.json']);
  const exprs = expressions(objects).dashboard;

  test('a ConfigMap the Grafana sidecar loads: label grafana_dashboard "1", folder annotation grafana_folder "LiteLLM"; schema-valid', () => {
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/component': 'dashboard' });
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'LiteLLM' });
    expect(schemaErrors(objects)).toEqual([]);
  });

  test('label, folder and folder annotation are props', () => {
    const o = synth(c => new ProxyDashboard(c, 'd', { proxy: fullProxy(c), labels: { dashboards: 'litellm' }, folder: 'AI gateway', folderAnnotation: 'k8s-sidecar-target-directory' }));
    const m = one(o, 'ConfigMap', 'litellm-dashboard').metadata;
    expect(m.labels.dashboards).toBe('litellm');
    expect(m.labels.grafana_dashboard).toBeUndefined();
    expect(m.annotations).toEqual({ 'k8s-sidecar-target-directory': 'AI gateway' });
  });

  test('a stable uid within Grafana\'s 40 characters, a datasource variable and model, team and key filters', () => {
    expect(model.uid).toMatch(/^litellm-[0-9a-f]{16}$/);
    expect(synth(c => new ProxyDashboard(c, 'd', { proxy: fullProxy(c) })).find(o => o.kind === 'ConfigMap' && o.metadata.name === 'litellm-dashboard').data).toEqual(cm.data);
    expect(model.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'model', 'team', 'key']);
    expect(model.panels.filter((p: any) => p.type !== 'row').every((p: any) => p.datasource.uid === '${datasource}')).toBe(true);
  });

  test('panels for traffic, errors, latency (total vs provider), tokens, spend, cache hits, rate-limit rejections, budgets, Redis and the database', () => {
    const titles = model.panels.map((p: any) => p.title).join('\n');
    for (const t of ['Requests by model', 'Failed requests by error', 'p95 latency: total vs provider', 'Tokens by model', 'Tokens by team', 'Spend by model',
      'Spend by team and key', 'Response cache hit ratio', 'Rate-limit rejections (429) by key', 'Rate-limit rejections (429) by team', 'Team budget left', 'Key budget left',
      'Redis operations failing', 'Database operations failing']) expect(titles).toContain(t);
    const names = new Set(exprs.flatMap(metricNames));
    for (const n of ['litellm_proxy_total_requests_metric_total', 'litellm_request_total_latency_metric_bucket', 'litellm_llm_api_latency_metric_bucket',
      'litellm_spend_metric_total', 'litellm_cache_hits_metric_total', 'litellm_cache_misses_metric_total', 'litellm_input_tokens_metric_total']) expect(names.has(n)).toBe(true);
    expect([...names].filter(n => !n.startsWith('litellm_') && !(KUBE_STATE_METRICS as readonly string[]).includes(n))).toEqual([]);
  });

  test('every query is scoped to this proxy\'s pods; panels never overlap', () => {
    for (const e of exprs) for (const sel of e.match(/\w+\{[^}]*\}/g) ?? []) expect(sel).toMatch(/namespace="litellm"/);
    expectPanelsApart(model.panels);
  });

  test('without a database, no budget panels; without Redis, no Redis panels', () => {
    const o = synth(c => new ProxyDashboard(c, 'd', { proxy: new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: {} }) }));
    const titles = JSON.parse(Object.values<string>(one(o, 'ConfigMap', 'litellm-dashboard').data)[0]).panels.map((p: any) => p.title);
    expect(titles).not.toContain('Team budget left');
    expect(titles).not.toContain('Redis p95 latency');
    expect(titles).toContain('Requests by model');
  });
});

describe('metrics on the proxy', () => {
  test('service metrics (service_callback prometheus_system) on by default, off on request; pod annotations on request', () => {
    const cfg = (o: any[]) => one(o, 'ConfigMap', 'litellm-config').data['config.yaml'] as string;
    const on = synth(c => new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: {} }));
    expect(cfg(on)).toMatch(/service_callback:\n\s+- prometheus_system/);
    const off = synth(c => new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: { serviceMetrics: false, podAnnotations: true, serviceMonitor: false } }));
    expect(cfg(off)).not.toMatch(/service_callback/);
    expect(byKind(off, 'ServiceMonitor')).toEqual([]);
    expect(one(off, 'Deployment').spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '4000', 'prometheus.io/path': '/metrics/' });
  });

  test('serviceMonitorLabels label the ServiceMonitor', () => {
    const o = synth(c => new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: { serviceMonitorLabels: { release: 'kube-prometheus-stack' } } }));
    expect(one(o, 'ServiceMonitor').metadata.labels.release).toBe('kube-prometheus-stack');
  });
});

describe('fleets', () => {
  test('every tenant gets its own alerts and dashboard, scoped to its namespace; the fleet\'s alert options reach every tenant', () => {
    const app = Testing.app();
    const fleet = new LiteLLMFleet(app, 'tenants', {
      preset: Presets.production(), models, masterKey, redis: { password: { name: 'redis', key: 'password' } },
      alerts: { labels: { release: 'kps' }, providerErrorRatio: 0.1 },
      tenants: [{ name: 'team-a' }, { name: 'team-b', alerts: { enabled: false } }],
    });
    const a = Testing.synth(fleet.stack('team-a'));
    expect(one(a, 'PrometheusRule').metadata).toMatchObject({ namespace: 'team-a', labels: { release: 'kps' } });
    expect(rule(a, 'LiteLLMProviderErrors').expr).toContain('namespace="team-a"');
    expect(rule(a, 'LiteLLMProviderErrors').expr).toContain(') > 0.1\n');
    const b = Testing.synth(fleet.stack('team-b'));
    expect(byKind(b, 'PrometheusRule')).toEqual([]);
    expect(one(b, 'ConfigMap', 'litellm-dashboard').metadata.namespace).toBe('team-b');
  });
});

/** Bad input: LiteLLMConfigError naming the prop, the value and what is allowed. */
describe('bad input', () => {
  const alerts = (props: Partial<ProxyAlertsProps>, proxyProps: Partial<LiteLLMProxyProps> = { metrics: {} }, namespace: string | null = 'llm') => () => {
    const c = new Chart(Testing.app(), 't', { namespace: namespace ?? undefined });
    new ProxyAlerts(c, 'alerts', { proxy: new LiteLLMProxy(c, 'litellm', { models, masterKey, ...proxyProps }), ...props } as ProxyAlertsProps);
    return Testing.synth(c);
  };
  const dashboard = (props: Partial<ProxyDashboardProps>) => () => {
    const c = new Chart(Testing.app(), 't', { namespace: 'llm' });
    new ProxyDashboard(c, 'd', { proxy: new LiteLLMProxy(c, 'litellm', { models, masterKey, metrics: {} }), ...props } as ProxyDashboardProps);
    return Testing.synth(c);
  };
  const stack = (props: Record<string, unknown>) => () => Testing.synth(new LiteLLMStack(Testing.app(), 'stack', {
    namespace: 'llm', models, masterKey, redis: { password: { name: 'redis', key: 'password' } }, ...props,
  } as any));
  const rows: Array<[string, () => unknown, string, RegExp]> = [
    ['alerts on a proxy without metrics', alerts({}, {}), 'proxy.metrics', /^proxy\.metrics: received undefined; the proxy "litellm" has no metrics: give it `metrics: \{\}`/],
    ['alerts on something that is not a proxy', () => new ProxyAlerts(new Chart(Testing.app(), 't'), 'a', { proxy: {} as any }), 'proxy', /^proxy: received \{\}; must be a LiteLLMProxy$/],
    ['alerts in a chart without namespace', alerts({}, { metrics: {} }, null), 'namespace', /^namespace: received undefined; the proxy's chart has no namespace/],
    ['a ratio of 5 (percent meant)', alerts({ providerErrorRatio: 5 }), 'providerErrorRatio', /^providerErrorRatio: received 5; must be a fraction between 0 and 1 \(exclusive\), e\.g\. 0\.05 for 5 %$/],
    ['a negative latency threshold', alerts({ redisLatencySeconds: -1 }), 'redisLatencySeconds', /^redisLatencySeconds: received -1; must be a number of seconds greater than 0 and at most 3600$/],
    ['minRequests of 0', alerts({ minRequests: 0 }), 'minRequests', /^minRequests: received 0; must be an integer >= 1$/],
    ['an unknown alert excluded', alerts({ exclude: ['LiteLLMDown' as any] }), 'exclude[0]', /^exclude\[0\]: received "LiteLLMDown"; must be one of ProxyAlertName\.NO_READY_REPLICAS \("LiteLLMNoReadyReplicas"\), /],
    ['severity in alertLabels', alerts({ alertLabels: { severity: 'page' } }), 'alertLabels.severity', /^alertLabels\.severity: received "page"; is set per alert/],
    ['a rule label with a space', alerts({ labels: { release: 'kube prometheus' } }), 'labels.release', /^labels\.release: received "kube prometheus"; /],
    ['ServiceMonitor labels without a ServiceMonitor', alerts({}, { metrics: { serviceMonitor: false, serviceMonitorLabels: { release: 'x' } } }), 'metrics.serviceMonitorLabels', /^metrics\.serviceMonitorLabels: received \{"release":"x"\}; label the ServiceMonitor: leave it unset when serviceMonitor is false$/],
    ['podAnnotations not a boolean', alerts({}, { metrics: { podAnnotations: 'yes' as any } }), 'metrics.podAnnotations', /^metrics\.podAnnotations: received "yes"; must be true or false$/],
    ['a dashboard without selecting labels', dashboard({ labels: {} }), 'labels', /^labels: received \{\}; must name at least one label/],
    ['an empty dashboard folder', dashboard({ folder: ' ' }), 'folder', /^folder: received " "; must be a non-empty string$/],
    ['a folder annotation that is no annotation key', dashboard({ folderAnnotation: 'grafana folder' }), 'folderAnnotation', /^folderAnnotation: received "grafana folder"; /],
    ['stack: preset.metricsScrape unknown', stack({ preset: { ...Presets.production(), metricsScrape: 'sidecar' } }), 'preset.metricsScrape', /^preset\.metricsScrape: received "sidecar"; must be one of MetricsScrape\.SERVICE_MONITOR \("serviceMonitor"\), MetricsScrape\.POD_ANNOTATIONS \("podAnnotations"\)$/],
    ['stack: alerts not an object', stack({ alerts: 'on' }), 'alerts', /^alerts: received "on"; must be a plain object$/],
  ];
  test.each(rows)('%s', (_label, build, prop, message) => {
    const e = configErrorOf(build, prop);
    const prefix = e.constructPath !== undefined ? `[${e.constructPath}] ` : '';
    expect(e.message.slice(prefix.length)).toMatch(message);
  });
});
