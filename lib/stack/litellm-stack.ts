import { Chart, ChartProps, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EDGE_CONTROLLERS, Edge, EdgeOptions } from '../edge/edge-factory';
import { IEdge } from '../edge/edge';
import { AppChecks } from '../app-checks';
import { LiteLLMConfigError, namesConstructPathInErrors } from '../errors';
import { CNPG_NAME_MAX, CloudNativePgDatabase, CloudNativePgDatabaseProps } from '../governance/cloudnative-pg';
import { IDatabaseEndpoint } from '../governance/database-endpoint';
import { ExternalPostgres, ExternalPostgresProps } from '../governance/external-postgres';
import { GovernanceSettings, applyGovernance } from '../governance/governance-settings';
import { MigrationJob } from '../governance/migration-job';
import { DEFAULT_POOL_LIMIT, MIGRATION_CONNECTIONS, ROLLOUT_SURGE_PODS } from '../governance/connection-budget';
import { standardLabels } from '../labels';
import { ExtraConfig } from '../proxy/config';
import { LiteLLMProxy, LiteLLMProxyProps, ProxyMetrics, RouterOptions } from '../proxy/litellm-proxy';
import { ModelDeployment } from '../proxy/model';
import { WorkerSizing } from '../proxy/workers';
import { ExternalRedis, ExternalRedisProps } from '../redis/external-redis';
import { IRedisEndpoint } from '../redis/redis-endpoint';
import { REDIS_NAME_MAX, RedisInstance, RedisInstanceProps } from '../redis/redis-instance';
import { ProxyCache } from '../proxy/cache';
import { SecretKeyRef } from '../secret';
import { boolean, dns1035Label, dns1123Label, list, nonEmptyString, oneOf, optionalObject, plainObject } from '../validate';
import { Presets, StackPreset } from './presets';
import { SYNC_WAVES, applySyncWave } from '../argocd';
import { GovernanceReconciler, GovernanceReconcilerProps } from '../access/governance-reconciler';
import { ProxyAlerts, ProxyAlertsOptions } from '../observability/proxy-alerts';
import { ProxyDashboard, ProxyDashboardOptions } from '../observability/dashboard';

/** Redis for the stack: in-cluster (the presets' default) or external. */
export interface StackRedisOptions {
  /** Use this managed/external Redis instead of running one. @default run one in-cluster when the preset says so */
  readonly external?: ExternalRedisProps;
  /** Password Secret of the in-cluster Redis (required when it runs). */
  readonly password?: SecretKeyRef;
  /** Further in-cluster Redis settings (memory, persistence, image). @default the preset's memory, no persistence */
  readonly inCluster?: Omit<RedisInstanceProps, 'password' | 'name'>;
}

/** The database for governance: external Postgres or a CloudNativePG cluster. */
export interface StackDatabaseOptions {
  /** An existing PostgreSQL. */
  readonly external?: ExternalPostgresProps;
  /** An in-cluster PostgreSQL run by the CloudNativePG operator. */
  readonly cloudNativePg?: CloudNativePgDatabaseProps;
  /**
   * Run the migration Job. One Job per database: when stacks share a
   * database, set false in all but one of them.
   * @default true
   */
  readonly migrations?: boolean;
}

/** Teams, users, keys and budgets declared for the stack's proxy (see {@link GovernanceReconciler}). */
export type StackAccessOptions = Omit<GovernanceReconcilerProps, 'proxy'>;

/** Proxy settings a stack passes through; the stack wires Redis, the database and the edge itself. */
export type StackProxyOptions = Omit<LiteLLMProxyProps, 'models' | 'masterKey' | 'saltKey' | 'redis' | 'database' | 'cache' | 'metrics'>;

export interface LiteLLMStackProps extends Omit<ChartProps, 'namespace'> {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Emit the Namespace itself, labelled to enforce Pod Security `restricted`. @default true */
  readonly createNamespace?: boolean;
  /** The starting point; every field can be overridden by the props below. @default Presets.production */
  readonly preset?: StackPreset;
  /** The model deployments. */
  readonly models: readonly ModelDeployment[];
  /** The admin master key, from an existing Secret. */
  readonly masterKey: SecretKeyRef;
  /** The salt key that encrypts stored credentials; never change it once set. @default none */
  readonly saltKey?: SecretKeyRef;
  /** Proxy overrides (CPU, replicas, timeouts, ...). @default the preset's */
  readonly proxy?: StackProxyOptions;
  /** Router settings (shortcut for proxy.router). @default simple-shuffle */
  readonly router?: RouterOptions;
  /** Redis. @default in-cluster when the preset says so (then `redis.password` is required) */
  readonly redis?: StackRedisOptions;
  /** Response caching in Redis. @default off */
  readonly cache?: ProxyCache;
  /** The edge (ingress or route), for one controller. @default none */
  readonly edge?: EdgeOptions;
  /** A database for virtual keys, teams and budgets; adds the migration Job. @default none */
  readonly database?: StackDatabaseOptions;
  /**
   * Governance settings (limits, key defaults, budgets); need `database`.
   * With a database the stack always sets `databaseConnectionPoolLimit` to the largest
   * pool (at most LiteLLM's 10) that fits the database, unless given here.
   * @default none
   */
  readonly governance?: GovernanceSettings;
  /**
   * Teams, users, virtual keys and budget tiers declared in code, reconciled by
   * a Job after each sync (needs `database`). @default none
   */
  readonly access?: StackAccessOptions;
  /**
   * Prometheus metrics. The production preset scrapes through a prometheus-operator
   * ServiceMonitor, the edge preset through pod annotations (`prometheus.io/scrape`).
   * @default on in both presets, as the preset's `metricsScrape` says
   */
  readonly metrics?: ProxyMetrics | false;
  /**
   * Alerts for the proxy, as a prometheus-operator PrometheusRule (see {@link ProxyAlerts}); needs metrics.
   * @default on when metrics are scraped through a ServiceMonitor (prometheus-operator is there), off otherwise; labelled with metrics.serviceMonitorLabels
   */
  readonly alerts?: ProxyAlertsOptions | false;
  /** A Grafana dashboard ConfigMap for the Grafana sidecar (see {@link ProxyDashboard}); needs metrics. @default on when metrics are on */
  readonly dashboard?: ProxyDashboardOptions | false;
  /** config.yaml keys not modelled yet. @default none */
  readonly extraConfig?: ExtraConfig;
  /**
   * Annotate objects with Argo CD sync waves (state, migrations, proxy, edge). The migration Job's
   * hook and wave annotations, and the CloudNativePG Cluster's wave, are set by those constructs
   * and stay either way: they keep migrations ordered after the database under Argo CD.
   * @default true
   */
  readonly syncWaves?: boolean;
}

/**
 * The whole gateway in one chart and one namespace: the proxy, Redis, the
 * database and its migrations, the edge and monitoring, wired together, with
 * Argo CD sync waves so a GitOps sync brings them up in order. Errors name
 * the stack by its construct path.
 */
@namesConstructPathInErrors
export class LiteLLMStack extends Chart {
  public readonly preset: StackPreset;
  public readonly namespaceObject?: k8s.KubeNamespace;
  public readonly proxy: LiteLLMProxy;
  public readonly redis?: IRedisEndpoint;
  /** The in-cluster Redis, when the stack runs one. */
  public readonly redisInstance?: RedisInstance;
  public readonly database?: IDatabaseEndpoint;
  public readonly migrations?: MigrationJob;
  /** The reconciler of the declared teams, users, keys and budgets, when `access` is given. */
  public readonly access?: GovernanceReconciler;
  public readonly edge?: IEdge;
  /** The proxy's alerting rules, when the stack emits them. */
  public readonly alerts?: ProxyAlerts;
  /** The proxy's Grafana dashboard, when the stack emits it. */
  public readonly dashboard?: ProxyDashboard;

  constructor(scope: Construct, id: string, props: LiteLLMStackProps) {
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError(id, props, 'LiteLLMStack needs props with namespace, models and masterKey');
    }
    const namespace = dns1123Label('namespace', props.namespace);
    super(scope, id, { ...props, namespace, disableResourceNameHashes: props.disableResourceNameHashes ?? true });
    // One stack per namespace across the App (checked at synth).
    AppChecks.of(this).claimNamespace(this, namespace);

    this.preset = plainObject('preset', props.preset ?? Presets.production) as unknown as StackPreset;
    const preset = this.preset;
    validatePreset(preset);
    for (const key of ['proxy', 'router', 'redis', 'cache', 'edge', 'database', 'governance', 'access', 'extraConfig'] as const) {
      optionalObject(key, props[key]);
    }
    const proxyOptions: StackProxyOptions = props.proxy ?? {};

    if (props.createNamespace ?? true) {
      this.namespaceObject = new k8s.KubeNamespace(this, 'Namespace', {
        metadata: {
          name: namespace,
          labels: {
            ...standardLabels(namespace, 'namespace'),
            // Pod Security admission: every pod here must meet `restricted` (they all do).
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      });
      // A Namespace is cluster-scoped: cdk8s must not stamp the chart's namespace on it.
      this.namespaceObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    const redisOptions = props.redis ?? {};
    // The stack names the in-cluster Redis and database after the proxy: checked here, so a name that fits
    // the proxy but not `<name>-redis` is reported against proxy.name, the prop to change.
    const proxyName = dns1035Label('proxy.name', proxyOptions.name ?? 'litellm', 47);

    // --- Redis ---------------------------------------------------------------
    if (redisOptions.external !== undefined) {
      if (redisOptions.inCluster !== undefined || redisOptions.password !== undefined) {
        throw new LiteLLMConfigError('redis', Object.keys(redisOptions).join(', '), 'give either redis.external, or redis.password/inCluster for an in-cluster Redis, not both');
      }
      this.redis = new ExternalRedis(this, 'Redis', redisOptions.external);
    } else if (preset.inClusterRedis || redisOptions.password !== undefined || redisOptions.inCluster !== undefined) {
      if (redisOptions.password === undefined) {
        throw new LiteLLMConfigError('redis.password', undefined,
          'the in-cluster Redis needs a password Secret reference { name, key } (or give redis.external)');
      }
      this.redisInstance = new RedisInstance(this, 'Redis', {
        memory: preset.redisMemory,
        ...(redisOptions.inCluster ?? {}),
        name: derivedName(proxyName, 'redis'),
        password: redisOptions.password,
      });
      this.redis = this.redisInstance;
    }

    // --- database ----------------------------------------------------------------
    if (props.database !== undefined) {
      const db = props.database;
      if ((db.external === undefined) === (db.cloudNativePg === undefined)) {
        throw new LiteLLMConfigError('database', Object.keys(db).join(', ') || '{}', 'give exactly one of database.external or database.cloudNativePg');
      }
      this.database = db.external !== undefined
        ? new ExternalPostgres(db.external)
        : new CloudNativePgDatabase(this, 'Database', { ...db.cloudNativePg, name: db.cloudNativePg?.name ?? derivedName(proxyName, 'database') });
    }

    // --- proxy ---------------------------------------------------------------------
    if (props.metrics !== false) optionalObject('metrics', props.metrics);
    // The preset says how Prometheus finds the pods; explicit metrics props win.
    const scrape: ProxyMetrics = preset.metricsScrape === 'podAnnotations' ? { serviceMonitor: false, podAnnotations: true } : {};
    const metrics: ProxyMetrics | undefined = props.metrics === false ? undefined
      : props.metrics !== undefined ? { ...scrape, ...props.metrics }
        : preset.metrics ? scrape : undefined;
    const usesPresetScaling = proxyOptions.replicas === undefined && proxyOptions.autoscaling === undefined;
    this.proxy = new LiteLLMProxy(this, 'Proxy', {
      cpu: preset.cpu,
      workers: preset.workers === 'onePerPod' ? WorkerSizing.onePerPod() : WorkerSizing.perCpu(),
      serviceType: preset.serviceType,
      spread: preset.spread,
      ...(usesPresetScaling ? { replicas: preset.replicas, autoscaling: preset.autoscaling } : {}),
      // Keys under "<namespace>/<stack id>": stacks sharing a Redis never share counters.
      ...(this.redis !== undefined ? { redisNamespace: `${namespace}/${id.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'stack'}` } : {}),
      ...proxyOptions,
      // The name checked above (the Redis and database are named after it), also when proxy.name is given as undefined.
      name: proxyName,
      allowFrom: [
        ...list('proxy.allowFrom', proxyOptions.allowFrom, true),
        ...list('preset.allowCidrs', preset.allowCidrs).map(cidr => ({ cidr })),
        ...(proxyOptions.allowFrom === undefined && preset.allowCidrs.length === 0 && props.edge === undefined ? [{}] : []),
      ],
      router: props.router ?? proxyOptions.router,
      models: props.models,
      masterKey: props.masterKey,
      saltKey: props.saltKey,
      redis: this.redis,
      cache: props.cache,
      database: this.database,
      metrics,
      extraConfig: props.extraConfig ?? proxyOptions.extraConfig,
    });

    if (props.governance !== undefined && this.database === undefined) {
      throw new LiteLLMConfigError('governance', Object.keys(props.governance).join(', '),
        'governance (virtual keys, teams, budgets) needs `database`: LiteLLM keeps keys and spend in Postgres');
    }
    if (this.database !== undefined) {
      applyGovernance(this.proxy, {
        // Unless set, size each worker's pool so every pod of a full rollout fits the database
        // (LiteLLM's default of 10 per worker overruns a 100-connection Postgres at 2 workers x 7 pods).
        databaseConnectionPoolLimit: fittingPoolLimit(this.proxy, this.database),
        ...(props.governance ?? {}),
      });
    }
    if (this.database !== undefined && boolean('database.migrations', props.database?.migrations ?? true)) {
      this.migrations = new MigrationJob(this, 'Migrations', { proxy: this.proxy, database: this.database });
    }
    if (props.access !== undefined) {
      if (this.database === undefined) {
        throw new LiteLLMConfigError('access', Object.keys(props.access).join(', '),
          'teams, users, keys and budgets live in the database: give `database`');
      }
      this.access = new GovernanceReconciler(this, 'Access', { ...props.access, proxy: this.proxy });
    }

    // --- observability -----------------------------------------------------------------
    for (const key of ['alerts', 'dashboard'] as const) {
      if (props[key] === false || props[key] === undefined) continue;
      optionalObject(key, props[key]);
      if (metrics === undefined) {
        throw new LiteLLMConfigError(key, props[key], 'needs metrics: the alerts and the dashboard read the proxy\'s /metrics/ (give metrics, or leave it to the preset)');
      }
    }
    if (metrics !== undefined && props.alerts !== false && (props.alerts !== undefined || this.proxy.serviceMonitor !== undefined)) {
      this.alerts = new ProxyAlerts(this, 'Alerts', {
        ...(metrics.serviceMonitorLabels !== undefined ? { labels: metrics.serviceMonitorLabels } : {}),
        ...(props.alerts || {}),
        proxy: this.proxy,
        namespace,
      });
    }
    if (metrics !== undefined && props.dashboard !== false) {
      this.dashboard = new ProxyDashboard(this, 'Dashboard', { ...(props.dashboard || {}), proxy: this.proxy, namespace });
    }

    // --- edge ----------------------------------------------------------------------
    if (props.edge !== undefined) {
      oneOf('edge.controller', props.edge.controller, EDGE_CONTROLLERS);
      if (preset.requireTls && props.edge.controller !== 'gateway-api' && props.edge.tls === undefined) {
        throw new LiteLLMConfigError('edge.tls', undefined,
          `the "${preset.description}" preset serves over TLS: give tls { secretName } or { clusterIssuer }, or use a preset with requireTls: false`);
      }
      this.edge = Edge.forController(this, 'Edge', this.proxy, props.edge);
    }

    // --- Argo CD ordering ------------------------------------------------------------
    if (props.syncWaves ?? true) {
      if (this.namespaceObject) applySyncWave(this.namespaceObject, SYNC_WAVES.namespace);
      if (this.redisInstance) applySyncWave(this.redisInstance, SYNC_WAVES.state);
      if (this.database instanceof CloudNativePgDatabase) applySyncWave(this.database, SYNC_WAVES.state);
      applySyncWave(this.proxy, SYNC_WAVES.proxy);
      // The desired state, ServiceAccount and NetworkPolicy; the Job is a PostSync hook.
      if (this.access) applySyncWave(this.access, SYNC_WAVES.proxy);
      if (this.alerts) applySyncWave(this.alerts, SYNC_WAVES.proxy);
      if (this.dashboard) applySyncWave(this.dashboard, SYNC_WAVES.proxy);
      if (this.edge) applySyncWave(this.node.findChild('Edge'), SYNC_WAVES.edge);
    }
  }
}

/**
 * The largest per-worker pool (at most LiteLLM's default) with which every
 * worker of every pod, a rollout's surge pod and the migration fit the
 * database. At least 1: when even that does not fit, the connection-budget
 * check explains the numbers.
 */
function fittingPoolLimit(proxy: LiteLLMProxy, database: IDatabaseEndpoint): number {
  const processes = proxy.workers * (proxy.maxReplicas + ROLLOUT_SURGE_PODS);
  return Math.max(1, Math.min(DEFAULT_POOL_LIMIT, Math.floor((database.maxConnections - MIGRATION_CONNECTIONS) / processes)));
}

/** Objects a stack names after its proxy, with their constructs' longest names. */
const DERIVED_NAMES = { redis: { suffix: '-redis', max: REDIS_NAME_MAX }, database: { suffix: '-db', max: CNPG_NAME_MAX } } as const;

/** `<proxy name>-redis` / `-db`, or an error against proxy.name when it would be too long for that object. */
function derivedName(proxyName: string, what: keyof typeof DERIVED_NAMES): string {
  const { suffix, max } = DERIVED_NAMES[what];
  if (proxyName.length + suffix.length > max) {
    throw new LiteLLMConfigError('proxy.name', proxyName,
      `must be at most ${max - suffix.length} characters here: the stack names the in-cluster ${what} "${proxyName}${suffix}", which must fit ${max}`);
  }
  return `${proxyName}${suffix}`;
}

/** The preset's fields, checked: a preset is data a user may write (or load from YAML) by hand. */
function validatePreset(p: StackPreset): void {
  nonEmptyString('preset.description', p.description);
  oneOf('preset.workers', p.workers, ['perCpu', 'onePerPod'] as const);
  for (const key of ['inClusterRedis', 'requireTls', 'metrics'] as const) boolean(`preset.${key}`, p[key]);
  if (p.metricsScrape !== undefined) oneOf('preset.metricsScrape', p.metricsScrape, ['serviceMonitor', 'podAnnotations'] as const);
  if (!Array.isArray(p.allowCidrs)) throw new LiteLLMConfigError('preset.allowCidrs', p.allowCidrs, 'must be a list of CIDRs (empty to admit none)');
  oneOf('preset.serviceType', p.serviceType, ['ClusterIP', 'LoadBalancer'] as const);
  oneOf('preset.spread', p.spread, ['preferred', 'required'] as const);
}
