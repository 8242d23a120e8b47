import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { dns1123Label, dns1123Subdomain, labelMap, nonEmptyString } from '../validate';
import { deploymentPods } from '../proxy/pod-names';
import { metricsProxy, proxySeries } from './proxy-metrics';

/** Where and how the Grafana sidecar finds the fleet's dashboard: a fleet's `fleetDashboard` prop. */
export interface FleetDashboardOptions {
  /** Emit the dashboard; `false` turns it off. @default true */
  readonly enabled?: boolean;
  /**
   * Namespace of its ConfigMap: one the Grafana sidecar searches (kube-prometheus-stack:
   * Grafana's own, or every namespace with `grafana.sidecar.dashboards.searchNamespace: ALL`).
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /** Labels the Grafana sidecar selects dashboard ConfigMaps by. @default { grafana_dashboard: '1' } */
  readonly labels?: { [key: string]: string };
  /** Grafana folder the dashboard is filed in. @default 'LiteLLM' */
  readonly folder?: string;
  /** Annotation the sidecar reads the folder from. @default 'grafana_folder' */
  readonly folderAnnotation?: string;
}

/** Props of {@link FleetDashboard}. */
export interface FleetDashboardProps extends FleetDashboardOptions {
  /** The proxies to show, one per tenant, each with `metrics` and in a namespace of its own. */
  readonly proxies: LiteLLMProxy[];
  /** The dashboard's name: its ConfigMap is `<name>-dashboard`, its title "LiteLLM fleet <name>". @default the construct id, lower-cased */
  readonly name?: string;
}

/** Grafana template variables of every query. */
const TENANT = '$tenant';
const R = '$__rate_interval';

interface Panel { title: string; description: string; type: 'timeseries' | 'stat'; unit: string; targets: Array<[string, string]>; stack?: boolean }

/**
 * One Grafana dashboard for a whole fleet, as a ConfigMap the Grafana sidecar
 * loads: every tenant side by side (traffic, errors, latency, tokens, spend,
 * rate-limit rejections, ready replicas), by tenant, with a `tenant` variable
 * over the tenants' namespaces (all of them by default) and a link to each
 * tenant's own dashboard. It reads the series the per-stack dashboard and the
 * alerts read, which the e2e suite checks against the pinned release's
 * /metrics/, scoped to the proxies' pods in the tenants' namespaces.
 */
export class FleetDashboard extends Construct {
  public readonly configMap: k8s.KubeConfigMap;
  /** The dashboard model (Grafana JSON). */
  public readonly dashboard: { [key: string]: any };

  constructor(scope: Construct, id: string, props: FleetDashboardProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) throw new LiteLLMConfigError(id, props, 'FleetDashboard needs props with proxies');
      const name = dns1123Subdomain('name', props.name ?? id.toLowerCase());
      if (!Array.isArray(props.proxies) || props.proxies.length === 0) {
        throw new LiteLLMConfigError('proxies', props.proxies, 'must list at least one LiteLLMProxy with metrics (one per tenant)');
      }
      const series = props.proxies.map((p, i) => proxySeries(metricsProxy(`proxies[${i}]`, p), undefined, `proxies[${i}].namespace`));
      const seen = new Map<string, number>();
      series.forEach((s, i) => {
        const other = seen.get(s.namespace);
        if (other !== undefined) {
          throw new LiteLLMConfigError(`proxies[${i}]`, s.name, `is in namespace ${s.namespace}, like proxies[${other}]: the dashboard tells tenants apart by namespace, one proxy each`);
        }
        seen.set(s.namespace, i);
      });
      const namespace = dns1123Label('namespace', props.namespace ?? Chart.of(this).namespace ?? 'monitoring');
      const selectLabels = labelMap('labels', props.labels ?? { grafana_dashboard: '1' });
      if (Object.keys(selectLabels).length === 0) throw new LiteLLMConfigError('labels', selectLabels, 'must name at least one label: the sidecar finds dashboards by label');
      const folder = nonEmptyString('folder', props.folder ?? 'LiteLLM');
      const folderAnnotation = Object.keys(labelMap('folderAnnotation', { [props.folderAnnotation ?? 'grafana_folder']: 'x' }))[0];

      const namespaces = series.map(s => s.namespace).sort();
      const proxyNames = [...new Set(series.map(s => s.name))].sort();
      this.dashboard = fleetModel(name, namespaces, proxyNames);
      this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
        metadata: {
          name: `${name}-dashboard`,
          namespace,
          labels: { ...selectLabels, ...standardLabels(name, 'dashboard') },
          annotations: { [folderAnnotation]: folder },
        },
        data: { [`litellm-fleet-${name}.json`]: JSON.stringify(this.dashboard, null, 2) },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }
}

/**
 * The dashboard: every query selects `namespace=~"$tenant"` and the proxies' pods by name
 * (the per-stack dashboard's pod pattern, for every proxy name of the fleet), summed by namespace.
 */
function fleetModel(name: string, namespaces: string[], proxyNames: string[]): Record<string, unknown> {
  const names = proxyNames.length === 1 ? proxyNames[0] : `(${proxyNames.join('|')})`;
  const S = `namespace=~"${TENANT}", pod=~"${deploymentPods(names)}"`;
  const q = (metric: string, extra = ''): string => `${metric}{${S}${extra ? `, ${extra}` : ''}}`;
  const rate = (metric: string, extra = '', by = 'namespace'): string => `sum by (${by}) (rate(${q(metric, extra)}[${R}]))`;
  const p95 = (bucket: string): string => `histogram_quantile(0.95, sum by (namespace, le) (rate(${q(bucket)}[${R}])))`;
  const providerFailure = 'exception_class=~".+[.].+", exception_status!~"400|422"';
  const ownRejection = 'exception_status="429", exception_class!~".+[.].+"';

  const rows: Array<[string, Panel[]]> = [
    ['Tenants side by side', [
      { title: 'Requests by tenant', description: 'Client requests per second (litellm_proxy_total_requests_metric_total), by tenant namespace.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[rate('litellm_proxy_total_requests_metric_total'), '{{namespace}}']] },
      { title: 'Failed requests by tenant', description: 'Requests the client did not get a success for, per second, by tenant.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[rate('litellm_proxy_failed_requests_metric_total'), '{{namespace}}']] },
      { title: 'Provider error ratio by tenant', description: 'Share of calls to the providers that failed (what LiteLLMProviderErrors alerts on, summed over each tenant\'s models).', type: 'timeseries', unit: 'percentunit',
        targets: [[`${rate('litellm_deployment_failure_responses_total', providerFailure)} / ${rate('litellm_deployment_total_requests_total')}`, '{{namespace}}']] },
      { title: 'Rate-limit rejections (429) by tenant', description: '429s from each gateway\'s own limits (model rpm/tpm, key and team limits), per second.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[rate('litellm_proxy_failed_requests_metric_total', ownRejection), '{{namespace}}']] },
      { title: 'p95 request latency by tenant', description: 'End-to-end time in the proxy, 95th percentile.', type: 'timeseries', unit: 's',
        targets: [[p95('litellm_request_total_latency_metric_bucket'), '{{namespace}}']] },
      { title: 'p95 LiteLLM overhead by tenant', description: 'Time the proxy adds to a request, 95th percentile.', type: 'timeseries', unit: 's',
        targets: [[p95('litellm_overhead_latency_metric_bucket'), '{{namespace}}']] },
      { title: 'Requests in flight by tenant', description: 'Requests being served right now, all workers of all pods.', type: 'timeseries', unit: 'short', stack: true,
        targets: [[`sum by (namespace) (${q('litellm_in_flight_requests')})`, '{{namespace}}']] },
      { title: 'Ready replicas by tenant', description: 'Available proxy replicas (kube-state-metrics); 0 for a paused tenant.', type: 'timeseries', unit: 'short',
        targets: [[`sum by (namespace) (kube_deployment_status_replicas_available{namespace=~"${TENANT}", deployment=~"${names}"})`, '{{namespace}}']] },
    ]],
    ['Usage and spend', [
      { title: 'Tokens by tenant', description: 'Input + output tokens per second.', type: 'timeseries', unit: 'short', stack: true,
        targets: [[`${rate('litellm_input_tokens_metric_total')} + ${rate('litellm_output_tokens_metric_total')}`, '{{namespace}}']] },
      { title: 'Spend by tenant (USD per hour)', description: 'Cost of the requests, from LiteLLM\'s price map.', type: 'timeseries', unit: 'currencyUSD', stack: true,
        targets: [[`${rate('litellm_spend_metric_total')} * 3600`, '{{namespace}}']] },
      { title: 'Spend by tenant (USD, range)', description: 'What each tenant spent over the dashboard\'s time range.', type: 'stat', unit: 'currencyUSD',
        targets: [[`sort_desc(sum by (namespace) (increase(${q('litellm_spend_metric_total')}[$__range])))`, '{{namespace}}']] },
      { title: 'Requests by tenant and model', description: 'Client requests per second, by tenant and requested model.', type: 'timeseries', unit: 'reqps', stack: true,
        targets: [[rate('litellm_proxy_total_requests_metric_total', '', 'namespace, requested_model'), '{{namespace}} {{requested_model}}']] },
      { title: 'Response cache hit ratio by tenant', description: 'Share of cacheable requests answered from the Redis response cache.', type: 'timeseries', unit: 'percentunit',
        targets: [[`${rate('litellm_cache_hits_metric_total')} / (${rate('litellm_cache_hits_metric_total')} + ${rate('litellm_cache_misses_metric_total')})`, '{{namespace}}']] },
    ]],
  ];

  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const [title, row] of rows) {
    panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.forEach((p, i) => {
      panels.push({
        id: id++, type: p.type, title: p.title, description: p.description,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        fieldConfig: {
          defaults: { unit: p.unit, ...(p.type === 'timeseries' ? { custom: { fillOpacity: p.stack ? 30 : 10, stacking: { mode: p.stack ? 'normal' : 'none' } } } : {}) },
          overrides: [],
        },
        options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] }, textMode: 'value_and_name' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.targets.map(([expr, legendFormat], j) => ({ refId: String.fromCharCode(65 + j), expr, legendFormat, datasource: { type: 'prometheus', uid: '${datasource}' } })),
      });
    });
    y += Math.ceil(row.length / 2) * 8;
  }

  // Every tenant of the fleet, and only those: "All" is their namespaces, not `.*`.
  const options = namespaces.map(ns => ({ text: ns, value: ns, selected: false }));
  return {
    uid: `litellm-fleet-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`,
    title: `LiteLLM fleet ${name}`,
    description: `The LiteLLM gateways of fleet "${name}" side by side, one per tenant namespace (generated by cdk8s-litellm).`,
    tags: ['litellm', 'llm-gateway', 'litellm-fleet'],
    editable: false,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    // Each tenant's own dashboard (tagged "litellm") one click away.
    links: [{ type: 'dashboards', title: 'Tenant dashboards', tags: ['litellm'], asDropdown: true, includeVars: false, keepTime: true }],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'tenant', label: 'Tenant', type: 'custom', query: namespaces.join(','),
          options, includeAll: true, allValue: namespaces.join('|'), multi: true,
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels,
  };
}
