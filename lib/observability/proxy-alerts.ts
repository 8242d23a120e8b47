import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/monitoring.coreos.com';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { enumValue, integer, labelMap, list } from '../validate';
import { ProxySeries, metricsProxy, proxySeries } from './proxy-metrics';

/** The alerts {@link ProxyAlerts} can emit. */
export enum ProxyAlertName {
  NO_READY_REPLICAS = 'LiteLLMNoReadyReplicas',
  PROVIDER_ERRORS = 'LiteLLMProviderErrors',
  RATE_LIMIT_REJECTIONS = 'LiteLLMRateLimitRejections',
  PROXY_OVERHEAD = 'LiteLLMProxyOverhead',
  IN_FLIGHT_SATURATED = 'LiteLLMInFlightSaturated',
  REDIS_UNREACHABLE = 'LiteLLMRedisUnreachable',
  REDIS_SLOW = 'LiteLLMRedisSlow',
  DATABASE_ERRORS = 'LiteLLMDatabaseErrors',
  POD_RESTARTING = 'LiteLLMPodRestarting',
  POD_OOM_KILLED = 'LiteLLMPodOOMKilled',
  AUTOSCALER_AT_MAX = 'LiteLLMAutoscalerAtMax',
  TEAM_BUDGET_NEARLY_SPENT = 'LiteLLMTeamBudgetNearlySpent',
  KEY_BUDGET_NEARLY_SPENT = 'LiteLLMKeyBudgetNearlySpent',
  ACCESS_RECONCILE_FAILED = 'LiteLLMAccessReconcileFailed',
}
/** Every alert name, in the order the rules are emitted. */
export const PROXY_ALERT_NAMES: readonly ProxyAlertName[] = Object.values(ProxyAlertName);

/**
 * Metric names the rules read from kube-state-metrics, not from LiteLLM
 * (kube-prometheus-stack installs it; the e2e cannot scrape it).
 */
export const KUBE_STATE_METRICS = [
  'kube_deployment_status_replicas_available',
  'kube_pod_container_status_restarts_total',
  'kube_pod_container_status_last_terminated_reason',
  'kube_horizontalpodautoscaler_status_current_replicas',
  'kube_horizontalpodautoscaler_spec_max_replicas',
  'kube_job_failed',
] as const;

/** Alert thresholds and the PrometheusRule's labels. Every ratio is a fraction (0.05 = 5 %). */
export interface ProxyAlertsOptions {
  /** Emit the alerts; `false` turns them off (e.g. against a preset that has them). @default true */
  readonly enabled?: boolean;
  /**
   * Labels on the PrometheusRule besides the standard ones, so that Prometheus's `ruleSelector`
   * picks it up, e.g. `{ release: 'kube-prometheus-stack' }` for kube-prometheus-stack's default.
   * @default none (LiteLLMStack: metrics.serviceMonitorLabels)
   */
  readonly labels?: { [key: string]: string };
  /** Labels on every alert, for Alertmanager routing (e.g. `{ team: 'platform' }`). `severity` is set per alert. @default none */
  readonly alertLabels?: { [key: string]: string };
  /** Alerts not to emit. @default none */
  readonly exclude?: ProxyAlertName[];
  /**
   * Fewest requests in the 5-minute window before a ratio alert is judged, so that one failed
   * request at night is not 100 % errors.
   * @default 10
   */
  readonly minRequests?: number;
  /** LiteLLMProviderErrors: share of calls to a model's provider that fail (5xx, timeouts, connection errors, provider 429/401), per model. @default 0.05 */
  readonly providerErrorRatio?: number;
  /** LiteLLMRateLimitRejections: share of client requests the proxy's own limits answer with 429. @default 0.1 */
  readonly rateLimitRejectionRatio?: number;
  /** LiteLLMProxyOverhead: p95 of total request time minus p95 of provider time, seconds. @default 0.5 */
  readonly proxyOverheadSeconds?: number;
  /**
   * LiteLLMInFlightSaturated: requests in flight per worker process, averaged over the proxy's pods
   * (`litellm_in_flight_requests`, the signal `ScalingSignal.inFlightRequests` scales on). The default
   * is what one worker carried within its latency target in the load test (~15 concurrent streams,
   * docs/capacity): above it, requests queue in the workers.
   * @default 15
   */
  readonly inFlightPerWorker?: number;
  /** LiteLLMRedisUnreachable: share of Redis operations that fail (circuit breaker open included). @default 0.1 */
  readonly redisErrorRatio?: number;
  /** LiteLLMRedisSlow: p95 of a Redis operation, seconds. @default 0.1 */
  readonly redisLatencySeconds?: number;
  /** LiteLLMDatabaseErrors: share of PostgreSQL operations that fail. @default 0.5 */
  readonly databaseErrorRatio?: number;
  /** LiteLLMPodRestarting: restarts of a proxy container within an hour. @default 3 */
  readonly restartsPerHour?: number;
  /** LiteLLMTeamBudgetNearlySpent / LiteLLMKeyBudgetNearlySpent: share of the max budget still left. @default 0.1 */
  readonly budgetRemainingRatio?: number;
}

export interface ProxyAlertsProps extends ProxyAlertsOptions {
  /** The proxy to watch; it must have `metrics`. */
  readonly proxy: LiteLLMProxy;
  /** The namespace the proxy runs in. @default the proxy's chart's namespace */
  readonly namespace?: string;
}

/** What an alert tells the person it pages. */
export interface AlertRuleAnnotations {
  /** One line. */
  readonly summary: string;
  /** What it means and what to check. */
  readonly description: string;
}

/** One alerting rule, as Prometheus reads it. */
export interface AlertRule {
  /** The alert's name. */
  readonly alert: ProxyAlertName;
  /** The PromQL expression. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires, a Prometheus duration. */
  readonly for: string;
  /** Labels (`severity` and the alertLabels). */
  readonly labels: { [key: string]: string };
  /** Summary and description. */
  readonly annotations: AlertRuleAnnotations;
}

/** A Prometheus rule group. */
export interface AlertRuleGroup {
  /** The group's name. */
  readonly name: string;
  /** Its rules. */
  readonly rules: AlertRule[];
}

/** A Prometheus rule file (`rule_files:`). */
export interface AlertRuleFile {
  /** The groups. */
  readonly groups: AlertRuleGroup[];
}

const DEFAULTS = {
  minRequests: 10,
  providerErrorRatio: 0.05,
  rateLimitRejectionRatio: 0.1,
  proxyOverheadSeconds: 0.5,
  inFlightPerWorker: 15,
  redisErrorRatio: 0.1,
  redisLatencySeconds: 0.1,
  databaseErrorRatio: 0.5,
  restartsPerHour: 3,
  budgetRemainingRatio: 0.1,
} as const;

/** How an error is attributed (litellm/integrations/prometheus.py `_get_exception_class_name`): a provider's errors carry its name as a prefix ("Openai.RateLimitError"); the proxy's own do not ("RateLimitError", "HTTPException"). */
const FROM_PROVIDER = 'exception_class=~".+[.].+"';
const FROM_PROXY = 'exception_class!~".+[.].+"';

/**
 * Prometheus alerting rules for one proxy, as a prometheus-operator
 * `PrometheusRule`: what a platform team pages or tickets on, each with a
 * description of what to check. Only metric names the pinned LiteLLM release
 * exports (checked against its real /metrics/ by the e2e suite) and
 * kube-state-metrics' ({@link KUBE_STATE_METRICS}). Alerts on Redis, the
 * database and the autoscaler are emitted only when the proxy has them, and
 * LiteLLMNoReadyReplicas not while the proxy is paused.
 */
export class ProxyAlerts extends Construct {
  /** The rules, in the order emitted. */
  public readonly rules: AlertRule[];
  public readonly prometheusRule: PrometheusRule;
  /** The rule group's name. */
  public readonly groupName: string;

  constructor(scope: Construct, id: string, props: ProxyAlertsProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) throw new LiteLLMConfigError(id, props, 'ProxyAlerts needs props with proxy');
      const proxy = metricsProxy('proxy', props.proxy);
      const series = proxySeries(proxy, props.namespace);
      const exclude = new Set(list('exclude', props.exclude).map((n, i) => enumValue(`exclude[${i}]`, n, ProxyAlertName, 'ProxyAlertName')));
      const alertLabels = labelMap('alertLabels', props.alertLabels ?? {});
      if ('severity' in alertLabels) throw new LiteLLMConfigError('alertLabels.severity', alertLabels.severity, 'is set per alert (critical or warning); route on other labels');
      const ruleLabels = labelMap('labels', props.labels ?? {});

      this.rules = buildRules(proxy, series, thresholds(props))
        .filter(r => !exclude.has(r.alert))
        .map(r => ({ ...r, labels: { ...alertLabels, ...r.labels } }));
      this.groupName = `litellm-${series.namespace}-${series.name}`;
      this.prometheusRule = new PrometheusRule(this, 'Resource', {
        metadata: { name: `${proxy.name}-alerts`, labels: { ...ruleLabels, ...standardLabels(proxy.name, 'alerts') } },
        spec: {
          groups: [{
            name: this.groupName,
            rules: this.rules.map(r => ({ ...r, annotations: { ...r.annotations }, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
          }],
        },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** The rules as a plain Prometheus rule file (`rule_files:`), for a Prometheus without the operator. */
  public toRuleFile(): AlertRuleFile {
    return { groups: [{ name: this.groupName, rules: this.rules.map(r => ({ ...r })) }] };
  }
}

type Thresholds = Required<Omit<ProxyAlertsOptions, 'labels' | 'alertLabels' | 'exclude' | 'enabled'>>;

function thresholds(props: ProxyAlertsOptions): Thresholds {
  const ratio = (key: keyof typeof DEFAULTS): number => {
    const v = (props as Record<string, unknown>)[key] ?? DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v >= 1) {
      throw new LiteLLMConfigError(key, v, 'must be a fraction between 0 and 1 (exclusive), e.g. 0.05 for 5 %');
    }
    return v;
  };
  const seconds = (key: keyof typeof DEFAULTS): number => {
    const v = (props as Record<string, unknown>)[key] ?? DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 3600) {
      throw new LiteLLMConfigError(key, v, 'must be a number of seconds greater than 0 and at most 3600');
    }
    return v;
  };
  return {
    minRequests: integer('minRequests', props.minRequests ?? DEFAULTS.minRequests, 1),
    providerErrorRatio: ratio('providerErrorRatio'),
    rateLimitRejectionRatio: ratio('rateLimitRejectionRatio'),
    proxyOverheadSeconds: seconds('proxyOverheadSeconds'),
    inFlightPerWorker: integer('inFlightPerWorker', props.inFlightPerWorker ?? DEFAULTS.inFlightPerWorker, 1),
    redisErrorRatio: ratio('redisErrorRatio'),
    redisLatencySeconds: seconds('redisLatencySeconds'),
    databaseErrorRatio: ratio('databaseErrorRatio'),
    restartsPerHour: integer('restartsPerHour', props.restartsPerHour ?? DEFAULTS.restartsPerHour, 1),
    budgetRemainingRatio: ratio('budgetRemainingRatio'),
  };
}

const pct = (v: number): string => `${+(v * 100).toFixed(2)} %`;
/** `function_name` of the start-up PINGs in litellm_redis_failed_requests_total (redis_cache.py `ping`, `sync_ping`, `_handle_*_ping_error`). */
const STARTUP_PINGS = '(redis_)?(async|sync)_ping';

function buildRules(proxy: LiteLLMProxy, s: ProxySeries, t: Thresholds): AlertRule[] {
  const S = s.selector;
  const where = `${s.namespace}/${s.name}`;
  const rules: AlertRule[] = [];
  const add = (alert: ProxyAlertName, severity: 'critical' | 'warning', forDuration: string, expr: string, summary: string, description: string): void => {
    rules.push({ alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description } });
  };
  /**
   * `errors / total > ratio` per `by`, judged only with at least `min` operations in the window
   * (client requests: minRequests; Redis and database operations run all the time, so any).
   */
  const ratio = (errors: string, total: string, by: string, threshold: number, min = t.minRequests): string =>
    `(\n  sum by (${by}) (rate(${errors}[5m]))\n  /\n  sum by (${by}) (rate(${total}[5m]))\n) > ${threshold}\n`
    + `and on (${by})\nsum by (${by}) (increase(${total}[5m])) >= ${min}`;

  // A paused proxy has no replica on purpose; every other rule reads series its pods or Jobs produce, which a paused proxy has none of.
  if (!proxy.paused) add(ProxyAlertName.NO_READY_REPLICAS, 'critical', '2m',
    `kube_deployment_status_replicas_available{namespace="${s.namespace}", deployment="${s.name}"} < 1`,
    `LiteLLM ${where}: no proxy replica is ready`,
    'Every request to the gateway fails. Check `kubectl -n {{ $labels.namespace }} get pods -l app.kubernetes.io/instance='
    + `${s.name}\` and the events: a readiness probe failing on the database (/health/readiness reports it), `
    + 'pods pending for resources or spread constraints, a crash loop on a config error (`kubectl logs --previous`), or an image that cannot be pulled.');

  add(ProxyAlertName.PROVIDER_ERRORS, 'warning', '5m',
    ratio(`litellm_deployment_failure_responses_total{${S}, ${FROM_PROVIDER}, exception_status!~"400|422"}`,
      `litellm_deployment_total_requests_total{${S}}`, 'namespace, model_group', t.providerErrorRatio),
    `LiteLLM ${where}: calls to the provider of {{ $labels.model_group }} are failing`,
    `{{ $value | humanizePercentage }} of calls to the provider of model {{ $labels.model_group }} failed over 5 minutes (threshold ${pct(t.providerErrorRatio)}). `
    + 'Look at the exception_class and exception_status of litellm_deployment_failure_responses_total: 5xx or connection errors mean the provider or the path to it is down '
    + '(check the provider\'s status page and the proxy\'s egress NetworkPolicy); 401/403 a wrong or revoked provider key (the Secret behind the model\'s apiKey); '
    + '429 the provider\'s own quota; 408 timeouts (requestTimeoutSeconds). A second deployment of the model (models[] with the same name), or fallbacks to another model group (router.fallbacks), keeps clients served; this alert counts the provider\'s calls, so it fires all the same.');

  add(ProxyAlertName.RATE_LIMIT_REJECTIONS, 'warning', '10m',
    ratio(`litellm_proxy_failed_requests_metric_total{${S}, exception_status="429", ${FROM_PROXY}}`,
      `litellm_proxy_total_requests_metric_total{${S}}`, 'namespace', t.rateLimitRejectionRatio),
    `LiteLLM ${where}: the gateway's own limits reject many requests`,
    `{{ $value | humanizePercentage }} of client requests were answered 429 by the proxy's own limits over 5 minutes (threshold ${pct(t.rateLimitRejectionRatio)}). `
    + 'See which requested_model, team or api_key_alias of litellm_proxy_failed_requests_metric_total{exception_status="429"} is rejected: '
    + 'a model\'s rpm/tpm (models[].rpm/tpm), a key\'s or team\'s rpmLimit/tpmLimit/maxParallelRequests. Raise the limit if the traffic is legitimate, '
    + 'or talk to the client that exceeds it. Without Redis, limits count per process.');

  add(ProxyAlertName.PROXY_OVERHEAD, 'warning', '10m',
    `(\n  histogram_quantile(0.95, sum by (namespace, le) (rate(litellm_request_total_latency_metric_bucket{${S}}[5m])))\n  -\n`
    + `  histogram_quantile(0.95, sum by (namespace, le) (rate(litellm_llm_api_latency_metric_bucket{${S}}[5m])))\n) > ${t.proxyOverheadSeconds}`,
    `LiteLLM ${where}: the proxy adds latency`,
    `The 95th percentile of total request time exceeds that of the provider calls by {{ $value | humanizeDuration }} (threshold ${t.proxyOverheadSeconds} s). `
    + 'Time spent in the proxy itself: check CPU throttling and usage of the proxy pods (a worker per CPU), slow Redis (LiteLLMRedisSlow) or database calls '
    + 'on the request path (key auth, budgets), requests queued behind maxInFlightRequestsPerWorker (litellm_request_queue_time_seconds), and retries (router.numRetries).');

  // The gauge counts every HTTP request a pod serves, the scrape too: one per pod is taken out (as the ScaledObject does).
  const inFlight = `litellm_in_flight_requests{${S}}`;
  add(ProxyAlertName.IN_FLIGHT_SATURATED, 'warning', '10m',
    `(\n  sum by (namespace) (${inFlight})\n  -\n  count by (namespace) (${inFlight})\n)\n/\n`
    + `(count by (namespace) (${inFlight}) * ${proxy.workers}) > ${t.inFlightPerWorker}`,
    `LiteLLM ${where}: more requests in flight per worker than a worker carries well`,
    `{{ $value | humanize }} requests are in flight per worker process (threshold ${t.inFlightPerWorker}, what one worker carried within its latency target in the load test). `
    + 'The workers queue: latency grows for everyone. Add capacity (autoscaling.maxReplicas, or scale on this signal with ScalingSignal.inFlightRequests), '
    + 'or check for a slow provider (in-flight requests pile up when one slows down: litellm_llm_api_latency_metric by model) and long streams.');

  if (proxy.redis !== undefined && proxy.serviceMetricsEnabled) {
    // Not the PING a worker sends once while it starts (caching/redis_cache.py _setup_health_pings: call types async_ping,
    // sync_ping): a starting worker can miss its short timeout on a healthy Redis, and on a quiet gateway that one
    // failure would be more than the threshold for minutes. A Redis that is really gone fails the requests' operations too.
    add(ProxyAlertName.REDIS_UNREACHABLE, 'warning', '2m',
      ratio(`litellm_redis_failed_requests_total{${S}, function_name!~"${STARTUP_PINGS}"}`, `litellm_redis_total_requests_total{${S}}`, 'namespace', t.redisErrorRatio, 1),
      `LiteLLM ${where}: Redis operations are failing`,
      `{{ $value | humanizePercentage }} of the proxy's Redis operations failed over 5 minutes (threshold ${pct(t.redisErrorRatio)}). `
      + 'While Redis is unreachable, rate limits and budgets count in each process on its own (N processes let N times the limit through, unless failClosed) '
      + 'and the response cache is off. Check the Redis pod or service (error_class of litellm_redis_failed_requests_total: ConnectionError, '
      + 'TimeoutError, RedisCircuitBreakerOpenError), its memory (maxmemory, evictions), the password Secret, and the NetworkPolicies between proxy and Redis.');
    add(ProxyAlertName.REDIS_SLOW, 'warning', '10m',
      `histogram_quantile(0.95, sum by (namespace, le) (rate(litellm_redis_latency_bucket{${S}}[5m]))) > ${t.redisLatencySeconds}`,
      `LiteLLM ${where}: Redis is slow`,
      `The 95th percentile of the proxy's Redis operations takes {{ $value | humanizeDuration }} (threshold ${t.redisLatencySeconds} s); `
      + 'every request waits for Redis (limits, cache). Check Redis CPU and memory, a large or hot key, persistence (fork latency), and the network between the nodes.');
  }

  if (proxy.database !== undefined && proxy.serviceMetricsEnabled) {
    add(ProxyAlertName.DATABASE_ERRORS, 'critical', '5m',
      ratio(`litellm_postgres_failed_requests_total{${S}}`, `litellm_postgres_total_requests_total{${S}}`, 'namespace', t.databaseErrorRatio, 1),
      `LiteLLM ${where}: the database is failing`,
      `{{ $value | humanizePercentage }} of the proxy's PostgreSQL operations failed over 5 minutes (threshold ${pct(t.databaseErrorRatio)}). `
      + 'Virtual keys that are not cached cannot be checked, and spend is not written. Check the database (the CloudNativePG Cluster or the external server), '
      + 'the connection limit (database_connection_pool_limit × workers × pods against max_connections), the credentials Secret, '
      + 'and function_name/error_class of litellm_postgres_failed_requests_total.');
  }

  add(ProxyAlertName.POD_RESTARTING, 'warning', '5m',
    `increase(kube_pod_container_status_restarts_total{${s.containerSelector}}[1h]) >= ${t.restartsPerHour}`,
    `LiteLLM ${where}: proxy pod {{ $labels.pod }} keeps restarting`,
    `The proxy container of {{ $labels.pod }} restarted {{ $value | humanize }} times in the last hour (threshold ${t.restartsPerHour}). `
    + 'Check `kubectl logs --previous` and the last termination reason: OOMKilled (see LiteLLMPodOOMKilled), a liveness probe timing out under load '
    + '(CPU starvation: more CPU or more pods), or a config error at start-up.');

  add(ProxyAlertName.POD_OOM_KILLED, 'warning', '0m',
    `(increase(kube_pod_container_status_restarts_total{${s.containerSelector}}[15m]) > 0)\nand on (namespace, pod, container)\n`
    + `(kube_pod_container_status_last_terminated_reason{${s.containerSelector}, reason="OOMKilled"} == 1)`,
    `LiteLLM ${where}: proxy pod {{ $labels.pod }} was OOM-killed`,
    'The proxy container ran out of memory and was killed, cutting every stream it served. LiteLLM\'s memory grows under sustained load '
    + '(litellm#12685): raise memoryLimit, or recycle workers with maxRequestsBeforeRestart; check for very large requests or responses.');

  // KEDA's HPA carries the proxy's name too (advanced.horizontalPodAutoscalerConfig.name).
  if (proxy.autoscaler !== undefined || proxy.scaledObject !== undefined) {
    add(ProxyAlertName.AUTOSCALER_AT_MAX, 'warning', '15m',
      `kube_horizontalpodautoscaler_status_current_replicas{namespace="${s.namespace}", horizontalpodautoscaler="${s.name}"}\n>=\n`
      + `kube_horizontalpodautoscaler_spec_max_replicas{namespace="${s.namespace}", horizontalpodautoscaler="${s.name}"}`,
      `LiteLLM ${where}: the autoscaler is at its maximum`,
      `The proxy has run at autoscaling.maxReplicas ({{ $value }}) for 15 minutes: it cannot add capacity. Check in-flight requests per worker and CPU per pod against the targets, `
      + 'raise maxReplicas (and the database connection budget with it), or find the client driving the load (litellm_proxy_total_requests_metric_total by api_key_alias).');
  }

  if (proxy.database !== undefined) {
    // Budget gauges are per worker process (label pid) and per pod: min of what is left, max of the budget.
    const budget = (alert: ProxyAlertName, who: string, by: string, remaining: string, max: string, whom: string): void =>
      add(alert, 'warning', '5m',
        `(\n  min by (${by}) (${remaining}{${S}})\n  /\n  max by (${by}) (${max}{${S}} > 0)\n) < ${t.budgetRemainingRatio}`,
        `LiteLLM ${where}: ${who} {{ $labels.${whom} }} has nearly spent its budget`,
        `Only {{ $value | humanizePercentage }} of the max budget is left (threshold ${pct(t.budgetRemainingRatio)}); when it is spent, requests are refused `
        + `(BudgetExceededError) until the budget resets (budgetDuration). Raise maxBudget in the declaration, or check what spends it (litellm_spend_metric_total by requested_model).`);
    budget(ProxyAlertName.TEAM_BUDGET_NEARLY_SPENT, 'team', 'namespace, team, team_alias', 'litellm_remaining_team_budget_metric', 'litellm_team_max_budget_metric', 'team_alias');
    budget(ProxyAlertName.KEY_BUDGET_NEARLY_SPENT, 'key', 'namespace, hashed_api_key, api_key_alias', 'litellm_remaining_api_key_budget_metric', 'litellm_api_key_max_budget_metric', 'api_key_alias');
    // The GovernanceReconciler's Job, `<proxy>-access-<8 hex>` (governance-reconciler.ts); without one the series never exists.
    const accessJob = `${`${s.name}-access`.slice(0, 54)}-[0-9a-f]{8}`;
    add(ProxyAlertName.ACCESS_RECONCILE_FAILED, 'warning', '0m',
      `kube_job_failed{namespace="${s.namespace}", job_name=~"${accessJob}", condition="true"} == 1`,
      `LiteLLM ${where}: the governance Job {{ $labels.job_name }} failed`,
      'The Job that makes teams, users, keys and budgets match the declarations (GovernanceReconciler) failed, so what LiteLLM holds may differ from Git. '
      + 'Check its log (`kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }}`): one line per object, and a last line '
      + '"litellm-access summary: result=... created=N updated=N deleted=N failed=N ... exit=N". Exit 1: some changes failed (listed; a refused '
      + 'value, another owner\'s object, a team holding keys made by hand, or faults of the admin API); 2: the current state could not be read '
      + 'completely, so nothing was changed (the proxy or its database failing: see LiteLLMDatabaseErrors); 3: configuration (the master key '
      + 'Secret); 4: the proxy was not ready in time. Runs are idempotent: fix the cause and sync again.');
  }
  return rules;
}
