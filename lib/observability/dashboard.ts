import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { labelMap, nonEmptyString } from '../validate';
import { ProxySeries, metricsProxy, proxySeries } from './proxy-metrics';

/** Where and how the Grafana sidecar finds the dashboard. */
export interface ProxyDashboardOptions {
  /** Emit the dashboard; `false` turns it off (e.g. against a preset that has it). @default true */
  readonly enabled?: boolean;
  /**
   * Labels the Grafana sidecar selects dashboard ConfigMaps by (kube-prometheus-stack:
   * `grafana.sidecar.dashboards.label`, value `label_value`).
   * @default { grafana_dashboard: '1' }
   */
  readonly labels?: { [key: string]: string };
  /** Grafana folder the dashboard is filed in. @default 'LiteLLM' */
  readonly folder?: string;
  /** Annotation the sidecar reads the folder from (`grafana.sidecar.dashboards.folderAnnotation`). @default 'grafana_folder' */
  readonly folderAnnotation?: string;
}

export interface ProxyDashboardProps extends ProxyDashboardOptions {
  /** The proxy to show; it must have `metrics`. */
  readonly proxy: LiteLLMProxy;
  /** The namespace the proxy runs in. @default the proxy's chart's namespace */
  readonly namespace?: string;
}

/**
 * A Grafana dashboard for one proxy, as a ConfigMap the Grafana sidecar loads:
 * traffic, errors, latency (total against provider), tokens, spend, cache hits,
 * rate-limit rejections and budgets, filterable by model, team and key, and the
 * health of Redis and the database. Reads only series the pinned release
 * exports (checked by the e2e suite).
 */
export class ProxyDashboard extends Construct {
  public readonly configMap: k8s.KubeConfigMap;
  /** The dashboard model (Grafana JSON). */
  public readonly dashboard: { [key: string]: any };

  constructor(scope: Construct, id: string, props: ProxyDashboardProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) throw new LiteLLMConfigError(id, props, 'ProxyDashboard needs props with proxy');
      const proxy = metricsProxy('proxy', props.proxy);
      const series = proxySeries(proxy, props.namespace);
      const selectLabels = labelMap('labels', props.labels ?? { grafana_dashboard: '1' });
      if (Object.keys(selectLabels).length === 0) throw new LiteLLMConfigError('labels', selectLabels, 'must name at least one label: the sidecar finds dashboards by label');
      const folder = nonEmptyString('folder', props.folder ?? 'LiteLLM');
      const folderAnnotation = Object.keys(labelMap('folderAnnotation', { [props.folderAnnotation ?? 'grafana_folder']: 'x' }))[0];

      this.dashboard = dashboardModel(series, proxy);
      this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
        metadata: {
          name: `${proxy.name}-dashboard`,
          labels: { ...selectLabels, ...standardLabels(proxy.name, 'dashboard') },
          annotations: { [folderAnnotation]: folder },
        },
        data: { [`litellm-${series.namespace}-${series.name}.json`]: JSON.stringify(this.dashboard, null, 2) },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }
}

/** A stable uid (Grafana allows 40 characters): the same stack keeps its dashboard URL. */
function uid(s: ProxySeries): string {
  return `litellm-${createHash('sha256').update(`${s.namespace}/${s.name}`).digest('hex').slice(0, 16)}`;
}

interface Panel { title: string; description: string; type: 'timeseries' | 'stat'; unit: string; targets: Array<[string, string]>; w?: number; stack?: boolean }

function dashboardModel(s: ProxySeries, proxy: LiteLLMProxy): Record<string, unknown> {
  const S = s.selector;
  // Template variables narrow what the panels show; metrics differ in which labels they carry
  // (litellm/types/integrations/prometheus.py PrometheusMetricLabels), so each filter uses the ones present.
  const M = 'requested_model=~"$model"';
  const T = 'team=~"$team"';
  const K = 'api_key_alias=~"$key"';
  const R = '$__rate_interval';
  const q = (name: string, extra: string): string => `${name}{${S}${extra ? `, ${extra}` : ''}}`;
  const p95 = (bucket: string, extra: string, by = 'le'): string => `histogram_quantile(0.95, sum by (${by}) (rate(${q(bucket, extra)}[${R}])))`;

  const rows: Array<[string, Panel[]]> = [
    ['Traffic and errors', [
      { title: 'Requests by model', description: 'Client requests per second (litellm_proxy_total_requests_metric_total), by requested model.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (requested_model) (rate(${q('litellm_proxy_total_requests_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, '{{requested_model}}']] },
      { title: 'Requests by status', description: 'Client requests per second by HTTP status the proxy answered.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (status_code) (rate(${q('litellm_proxy_total_requests_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, '{{status_code}}']] },
      { title: 'Failed requests by error', description: 'Requests the client did not get a success for, by status and exception class ("Provider.X" = from the provider; no prefix = from the proxy itself).', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (exception_status, exception_class) (rate(${q('litellm_proxy_failed_requests_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, '{{exception_status}} {{exception_class}}']] },
      { title: 'Provider error ratio by model', description: 'Share of calls to each model\'s provider that failed (what LiteLLMProviderErrors alerts on).', type: 'timeseries', unit: 'percentunit',
        targets: [[`sum by (model_group) (rate(${q('litellm_deployment_failure_responses_total', 'exception_class=~".+[.].+", exception_status!~"400|422"')}[${R}])) / sum by (model_group) (rate(${q('litellm_deployment_total_requests_total', '')}[${R}]))`, '{{model_group}}']] },
      { title: 'Rate-limit rejections (429) by key', description: '429s from the proxy\'s own limits (model rpm/tpm, key and team limits), by key alias.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (api_key_alias) (rate(${q('litellm_proxy_failed_requests_metric_total', `exception_status="429", exception_class!~".+[.].+", ${M}, ${T}, ${K}`)}[${R}]))`, '{{api_key_alias}}']] },
      { title: 'Rate-limit rejections (429) by team', description: '429s from the proxy\'s own limits, by team.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (team) (rate(${q('litellm_proxy_failed_requests_metric_total', `exception_status="429", exception_class!~".+[.].+", ${M}, ${T}, ${K}`)}[${R}]))`, '{{team}}']] },
      { title: 'Requests in flight per worker', description: 'Requests being served right now per worker process (the scrape itself taken out): the in-flight autoscaling signal. '
          + `A worker (one CPU) carries ~15 concurrent streams within 150 ms p99 added latency (docs/capacity/results.md)${proxy.scaledObject ? '; the autoscaler keeps the average at its threshold' : ''}.`, type: 'timeseries', unit: 'short',
        targets: [[`clamp_min(sum(${q('litellm_in_flight_requests', '')}) - count(${q('litellm_in_flight_requests', '')}), 0) / (count(${q('litellm_in_flight_requests', '')}) * ${proxy.workers})`, 'per worker']] },
      { title: 'Deployment state', description: '0 healthy, 1 partial outage, 2 complete outage, per provider deployment (worst of the processes).', type: 'timeseries', unit: 'short',
        targets: [[`max by (litellm_model_name, api_base) (${q('litellm_deployment_state', '')})`, '{{litellm_model_name}} {{api_base}}']] },
    ]],
    ['Latency', [
      { title: 'p95 latency: total vs provider', description: 'End-to-end time in the proxy against the time of the provider call; the gap is what the proxy adds (LiteLLMProxyOverhead).', type: 'timeseries', unit: 's',
        targets: [
          [p95('litellm_request_total_latency_metric_bucket', `${M}, ${T}, ${K}`), 'total p95'],
          [p95('litellm_llm_api_latency_metric_bucket', `${M}, ${T}, ${K}`), 'provider p95'],
          [p95('litellm_overhead_latency_metric_bucket', K), 'LiteLLM overhead p95'],
        ] },
      { title: 'p95 provider latency by model', description: 'Provider call time, 95th percentile, by requested model.', type: 'timeseries', unit: 's',
        targets: [[p95('litellm_llm_api_latency_metric_bucket', `${M}, ${T}, ${K}`, 'le, requested_model'), '{{requested_model}}']] },
      { title: 'p95 time to first token by model', description: 'Streaming requests: time until the provider sent the first token.', type: 'timeseries', unit: 's',
        targets: [[p95('litellm_llm_api_time_to_first_token_metric_bucket', `${M}, ${T}, ${K}`, 'le, requested_model'), '{{requested_model}}']] },
    ]],
    ['Tokens, spend, cache', [
      { title: 'Tokens by model', description: 'Input and output tokens per second.', type: 'timeseries', unit: 'short', stack: true,
        targets: [
          [`sum by (requested_model) (rate(${q('litellm_input_tokens_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, 'input {{requested_model}}'],
          [`sum by (requested_model) (rate(${q('litellm_output_tokens_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, 'output {{requested_model}}'],
        ] },
      { title: 'Tokens by team', description: 'Input + output tokens per second, by team.', type: 'timeseries', unit: 'short', stack: true,
        targets: [[`sum by (team) (rate(${q('litellm_input_tokens_metric_total', `${M}, ${T}, ${K}`)}[${R}])) + sum by (team) (rate(${q('litellm_output_tokens_metric_total', `${M}, ${T}, ${K}`)}[${R}]))`, '{{team}}']] },
      { title: 'Spend by model (USD per hour)', description: 'Cost of the requests, from LiteLLM\'s price map.', type: 'timeseries', unit: 'currencyUSD', stack: true,
        targets: [[`sum by (requested_model) (rate(${q('litellm_spend_metric_total', `${M}, ${T}, ${K}`)}[${R}])) * 3600`, '{{requested_model}}']] },
      { title: 'Spend by team and key (USD, range)', description: 'What each team and key spent over the dashboard\'s time range.', type: 'stat', unit: 'currencyUSD',
        targets: [[`sort_desc(sum by (team, api_key_alias) (increase(${q('litellm_spend_metric_total', `${M}, ${T}, ${K}`)}[$__range])))`, '{{team}} / {{api_key_alias}}']] },
      { title: 'Response cache hit ratio', description: 'Share of cacheable requests answered from the Redis response cache.', type: 'timeseries', unit: 'percentunit',
        targets: [[`sum(rate(${q('litellm_cache_hits_metric_total', `${T}, ${K}`)}[${R}])) / (sum(rate(${q('litellm_cache_hits_metric_total', `${T}, ${K}`)}[${R}])) + sum(rate(${q('litellm_cache_misses_metric_total', `${T}, ${K}`)}[${R}])))`, 'hit ratio']] },
      { title: 'Cache hits by model', description: 'Requests per second answered from the cache, by provider model.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[`sum by (model) (rate(${q('litellm_cache_hits_metric_total', `${T}, ${K}`)}[${R}]))`, '{{model}}']] },
    ]],
  ];
  if (proxy.database !== undefined) {
    rows.push(['Budgets', [
      { title: 'Team budget left', description: 'Share of each team\'s max budget still left (LiteLLMTeamBudgetNearlySpent).', type: 'stat', unit: 'percentunit',
        targets: [[`min by (team, team_alias) (${q('litellm_remaining_team_budget_metric', T)}) / max by (team, team_alias) (${q('litellm_team_max_budget_metric', T)} > 0)`, '{{team_alias}} ({{team}})']] },
      { title: 'Key budget left', description: 'Share of each key\'s max budget still left (LiteLLMKeyBudgetNearlySpent).', type: 'stat', unit: 'percentunit',
        targets: [[`min by (api_key_alias) (${q('litellm_remaining_api_key_budget_metric', K)}) / max by (api_key_alias) (${q('litellm_api_key_max_budget_metric', K)} > 0)`, '{{api_key_alias}}']] },
    ]]);
  }
  const health: Panel[] = [];
  if (proxy.serviceMetricsEnabled && proxy.redis !== undefined) {
    health.push(
      { title: 'Redis operations failing', description: 'Failed Redis operations per second by error class (ConnectionError, TimeoutError, RedisCircuitBreakerOpenError).', type: 'timeseries', unit: 'ops',
        targets: [[`sum by (error_class) (rate(${q('litellm_redis_failed_requests_total', '')}[${R}]))`, '{{error_class}}']] },
      { title: 'Redis p95 latency', description: 'Time of one Redis operation, 95th percentile.', type: 'timeseries', unit: 's',
        targets: [[p95('litellm_redis_latency_bucket', ''), 'p95']] },
      { title: 'Redis circuit breakers open', description: 'Open breakers stop calling Redis for a while: limits count per process meanwhile.', type: 'timeseries', unit: 'short',
        targets: [[`sum(${q('litellm_redis_circuit_breaker_state', 'state="open"')})`, 'open']] },
    );
  }
  if (proxy.serviceMetricsEnabled && proxy.database !== undefined) {
    health.push({ title: 'Database operations failing', description: 'Share of PostgreSQL operations that failed (LiteLLMDatabaseErrors).', type: 'timeseries', unit: 'percentunit',
      targets: [[`sum(rate(${q('litellm_postgres_failed_requests_total', '')}[${R}])) / sum(rate(${q('litellm_postgres_total_requests_total', '')}[${R}]))`, 'failed']] });
  }
  health.push({ title: 'Ready replicas', description: 'Available proxy replicas (kube-state-metrics).', type: 'timeseries', unit: 'short',
    targets: [[`kube_deployment_status_replicas_available{namespace="${s.namespace}", deployment="${s.name}"}`, 'available']] });
  rows.push(['Health', health]);

  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const [title, row] of rows) {
    panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const p of row) {
      const w = p.w ?? 12;
      if (x + w > 24) { x = 0; y += 8; }
      panels.push({
        id: id++, type: p.type, title: p.title, description: p.description,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w, x, y },
        fieldConfig: {
          defaults: { unit: p.unit, ...(p.type === 'timeseries' ? { custom: { fillOpacity: p.stack ? 30 : 10, stacking: { mode: p.stack ? 'normal' : 'none' } } } : {}) },
          overrides: [],
        },
        options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] }, textMode: 'value_and_name' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat, datasource: { type: 'prometheus', uid: '${datasource}' } })),
      });
      x += w;
    }
    y += 8;
  }

  const variable = (name: string, label: string, labelName: string): Record<string, unknown> => ({
    name, label, type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' },
    query: { query: `label_values(litellm_proxy_total_requests_metric_total{${S}}, ${labelName})`, refId: `${name}-values` },
    definition: `label_values(litellm_proxy_total_requests_metric_total{${S}}, ${labelName})`,
    includeAll: true, allValue: '.*', multi: true, current: { text: 'All', value: '$__all' }, refresh: 2, sort: 1,
  });
  return {
    uid: uid(s),
    title: `LiteLLM ${s.namespace}/${s.name}`,
    description: `LiteLLM proxy "${s.name}" in namespace ${s.namespace}: traffic, errors, latency, tokens, spend, cache, limits (generated by cdk8s-litellm).`,
    tags: ['litellm', 'llm-gateway'],
    editable: false,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        variable('model', 'Model', 'requested_model'),
        variable('team', 'Team', 'team'),
        variable('key', 'Key', 'api_key_alias'),
      ],
    },
    panels,
  };
}
