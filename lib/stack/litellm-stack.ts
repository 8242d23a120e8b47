import { Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { GovernanceReconciler, GovernanceReconcilerOptions } from '../access/governance-reconciler';
import { keyValueEnv } from '../access/desired-state';
import { AppChecks } from '../app-checks';
import { SyncWave } from '../argocd';
import { Edge } from '../edge/edge-factory';
import { IEdge } from '../edge/edge';
import { EdgeController } from '../edge/edge-props';
import { LiteLLMConfigError, inStack, nameChildProps } from '../errors';
import { CNPG_NAME_MAX, CloudNativePgDatabase, CloudNativePgDatabaseProps } from '../governance/cloudnative-pg';
import { IDatabaseEndpoint } from '../governance/database-endpoint';
import { ExternalPostgres, ExternalPostgresProps } from '../governance/external-postgres';
import { MigrationJob } from '../governance/migration-job';
import { standardLabels } from '../labels';
import { ProxyDashboard, ProxyDashboardOptions } from '../observability/dashboard';
import { ProxyAlerts, ProxyAlertsOptions } from '../observability/proxy-alerts';
import { ProxyCache } from '../proxy/cache';
import { ExtraConfig } from '../proxy/config';
import { GovernanceSettings } from '../proxy/governance-settings';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { ModelDeployment } from '../proxy/model';
import { LiteLLMProxyOptions, ProxyMetrics, RouterOptions, SpreadPolicy } from '../proxy/proxy-props';
import { WorkerSizing } from '../proxy/workers';
import { ExternalRedis, ExternalRedisProps } from '../redis/external-redis';
import { IRedisEndpoint } from '../redis/redis-endpoint';
import { REDIS_NAME_MAX, RedisInstance, RedisInstanceOptions } from '../redis/redis-instance';
import { SecretKeyRef } from '../secret';
import { boolean, dns1035Label, dns1123Label, enumValue, labelMap, list, nonEmptyString, optionalObject, plainObject } from '../validate';
import { NamespaceQuota, NamespaceQuotaOptions } from './namespace-quota';
import { ExternalSecretsOptions, StackExternalSecrets, checkExternalSecretsOptions, stackExternalSecrets } from './external-secrets';
import { MetricsScrape, Presets, StackPreset } from './presets';
import { SecretInventory, SecretRequirement } from './secret-inventory';
import { ServiceType } from 'cdk8s-plus-28';

/** Redis for the stack: in-cluster (the presets' default) or external. */
export interface StackRedisOptions {
  /** Use this managed/external Redis instead of running one. @default run one in-cluster when the preset says so */
  readonly external?: ExternalRedisProps;
  /** Password Secret of the in-cluster Redis (required when it runs). @default none */
  readonly password?: SecretKeyRef;
  /** Further in-cluster Redis settings (memory, persistence, image). @default the preset's memory, no persistence */
  readonly inCluster?: RedisInstanceOptions;
}

/** The database for governance: external Postgres or a CloudNativePG cluster. */
export interface StackDatabaseOptions {
  /** An existing PostgreSQL. @default none */
  readonly external?: ExternalPostgresProps;
  /** An in-cluster PostgreSQL run by the CloudNativePG operator. @default none */
  readonly cloudNativePg?: CloudNativePgDatabaseProps;
  /**
   * Run the migration Job. One Job per database: when stacks share a
   * database, set false in all but one of them.
   * @default true
   */
  readonly migrations?: boolean;
}

/** Stack settings a fleet gives every tenant and a tenant may override (every one optional). */
export interface LiteLLMStackOptions {
  /** The starting point; every field can be overridden by the props below. @default Presets.production() */
  readonly preset?: StackPreset;
  /** Emit the Namespace itself, labelled to enforce Pod Security `restricted`. @default true */
  readonly createNamespace?: boolean;
  /** Proxy settings (CPU, replicas, timeouts, ...). @default the preset's */
  readonly proxy?: LiteLLMProxyOptions;
  /** Router settings (shortcut for proxy.router). @default simple-shuffle */
  readonly router?: RouterOptions;
  /** Redis. @default in-cluster when the preset says so (then `redis.password` is required) */
  readonly redis?: StackRedisOptions;
  /** Response caching in Redis. @default off */
  readonly cache?: ProxyCache;
  /**
   * Governance settings (limits, key defaults, budgets); need `database`.
   * With a database the proxy always sets `databaseConnectionPoolLimit` to the largest
   * pool (at most LiteLLM's 10) that fits the database, unless given here.
   * @default none
   */
  readonly governance?: GovernanceSettings;
  /**
   * Teams, users, virtual keys and budget tiers declared in code, reconciled by
   * a Job after each sync (needs `database`). @default none
   */
  readonly access?: GovernanceReconcilerOptions;
  /**
   * Prometheus metrics; `{ enabled: false }` turns them off. The production preset scrapes
   * through a prometheus-operator ServiceMonitor, the edge preset through pod annotations.
   * @default on in both presets, as the preset's `metricsScrape` says
   */
  readonly metrics?: ProxyMetrics;
  /**
   * Alerts for the proxy, as a prometheus-operator PrometheusRule (see {@link ProxyAlerts}); needs metrics.
   * `{ enabled: false }` turns them off.
   * @default on when metrics are scraped through a ServiceMonitor (prometheus-operator is there), off otherwise; labelled with metrics.serviceMonitorLabels
   */
  readonly alerts?: ProxyAlertsOptions;
  /** A Grafana dashboard ConfigMap for the Grafana sidecar (see {@link ProxyDashboard}); needs metrics. `{ enabled: false }` turns it off. @default on when metrics are on */
  readonly dashboard?: ProxyDashboardOptions;
  /** config.yaml keys not modelled yet. @default none */
  readonly extraConfig?: ExtraConfig;
  /**
   * Annotate objects with Argo CD sync waves (state, migrations, proxy, edge). The migration Job's
   * hook and wave annotations, and the CloudNativePG Cluster's wave, are set by those constructs
   * and stay either way: they keep migrations ordered after the database under Argo CD.
   * @default true
   */
  readonly syncWaves?: boolean;
  /**
   * Stop serving without removing the gateway: the proxy at 0 replicas with no autoscaler and
   * no disruption budget, the governance Job not emitted (it waits for a ready proxy), and
   * LiteLLMNoReadyReplicas not emitted. Redis, the database, the edge and every other object
   * stay, so Argo CD keeps syncing the stack and resuming (`false`) brings back the same pods.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * A ResourceQuota and a LimitRange for the namespace, sized from the stack's own objects at
   * their largest (see {@link NamespaceQuota}); `{}` for the defaults, `{ enabled: false }` to
   * turn off a fleet's.
   * @default none
   */
  readonly quota?: NamespaceQuotaOptions;
  /**
   * Write an External Secrets Operator `ExternalSecret` for every Secret the
   * stack's objects read that you would otherwise create by hand (see
   * {@link LiteLLMStack.secretInventory}). @default none: you create those Secrets
   */
  readonly externalSecrets?: ExternalSecretsOptions;
}

/** Props of {@link LiteLLMStack}. */
export interface LiteLLMStackProps extends LiteLLMStackOptions {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The model deployments. */
  readonly models: ModelDeployment[];
  /** The admin master key, from an existing Secret. */
  readonly masterKey: SecretKeyRef;
  /** The salt key that encrypts stored credentials; never change it once set. @default none */
  readonly saltKey?: SecretKeyRef;
  /** The edge (ingress or route) for one controller, e.g. `Edge.gatewayApi({ gateway })`. @default none */
  readonly edge?: Edge;
  /** Host names the edge serves. Required with `edge`. @default none */
  readonly hosts?: string[];
  /** A database for virtual keys, teams and budgets; adds the migration Job. @default none */
  readonly database?: StackDatabaseOptions;
  /** Labels on every object of the stack (cdk8s chart labels). @default none */
  readonly labels?: { [key: string]: string };
  /** Append a hash to every object name (cdk8s's default for charts). @default false: names are exactly as documented */
  readonly disableResourceNameHashes?: boolean;
}

/** Proxy props a stack passes through under the same name (everything else it was given under `proxy.`, or the preset's). */
const TOP_LEVEL_PROXY_PROPS = ['models', 'masterKey', 'saltKey', 'cache', 'metrics', 'governance', 'redis', 'database'];
/** Proxy props a preset supplies unless `proxy` gives them. */
const PRESET_PROXY_PROPS: Record<string, keyof StackPreset> = {
  cpu: 'cpu', workers: 'workers', serviceType: 'serviceType', spread: 'spread', replicas: 'replicas', autoscaling: 'autoscaling',
};

/**
 * The whole gateway in one chart and one namespace: the proxy, Redis, the
 * database and its migrations, the edge and monitoring, wired together, with
 * Argo CD sync waves so a GitOps sync brings them up in order. Errors name
 * the stack by its construct path, and the prop as it was given here.
 */
export class LiteLLMStack extends Chart {
  /**
   * Whether `x` is a LiteLLMStack. Not `instanceof`: cdk8s's Chart answers
   * `instanceof` for every chart (Symbol.hasInstance), subclasses included.
   */
  public static isStack(x: any): boolean {
    return typeof x === 'object' && x !== null && Object.prototype.isPrototypeOf.call(LiteLLMStack.prototype, x);
  }

  /** The preset the stack started from. */
  public readonly preset: StackPreset;
  /** The Namespace, when the stack emits it. */
  public readonly namespaceObject?: k8s.KubeNamespace;
  /** The proxy. */
  public readonly proxy: LiteLLMProxy;
  /** The Redis the proxy uses, in-cluster or external. */
  public readonly redis?: IRedisEndpoint;
  /** The in-cluster Redis, when the stack runs one. */
  public readonly redisInstance?: RedisInstance;
  /** The database, when the stack has one. */
  public readonly database?: IDatabaseEndpoint;
  /** The migration Job, when the stack runs one. */
  public readonly migrations?: MigrationJob;
  /** The reconciler of the declared teams, users, keys and budgets, when `access` is given. */
  public readonly access?: GovernanceReconciler;
  /** The edge, when the stack has one. */
  public readonly edge?: IEdge;
  /** The proxy's alerting rules, when the stack emits them. */
  public readonly alerts?: ProxyAlerts;
  /** The proxy's Grafana dashboard, when the stack emits it. */
  public readonly dashboard?: ProxyDashboard;
  /** The namespace's ResourceQuota and LimitRange, when `quota` is given. */
  public readonly quota?: NamespaceQuota;
  /** Whether the stack is paused. */
  public readonly paused: boolean;
  /** The ExternalSecrets, with `externalSecrets`. */
  public readonly externalSecrets?: StackExternalSecrets;

  constructor(scope: Construct, id: string, props: LiteLLMStackProps) {
    super(scope, id, stackChartProps(scope, id, props));
    try {
      const namespace = this.namespace!;
      // One stack per namespace across the App (checked at synth).
      AppChecks.of(this).claimNamespace(this, namespace);

      this.preset = plainObject('preset', props.preset ?? Presets.production()) as unknown as StackPreset;
      const preset = this.preset;
      validatePreset(preset);
      for (const key of ['proxy', 'router', 'redis', 'cache', 'database', 'governance', 'access', 'extraConfig', 'metrics', 'alerts', 'dashboard', 'quota'] as const) {
        optionalObject(key, props[key]);
      }
      this.paused = props.paused !== undefined && boolean('paused', props.paused);
      if (props.edge !== undefined && !(props.edge instanceof Edge)) {
        throw new LiteLLMConfigError('edge', props.edge, 'must be Edge.ingressNginx(), Edge.nginxInc(), Edge.traefik() or Edge.gatewayApi() with its options');
      }
      if ((props.edge === undefined) !== (props.hosts === undefined)) {
        throw new LiteLLMConfigError(props.edge === undefined ? 'hosts' : 'hosts', props.hosts,
          props.edge === undefined ? 'are served through an edge: give `edge` too, or leave hosts unset' : 'required with `edge`: the host names clients use, e.g. ["llm.example.com"]');
      }
      const proxyOptions: LiteLLMProxyOptions = props.proxy ?? {};

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
        this.redis = child(this, 'Redis', p => `redis.external.${p}`, () => new ExternalRedis(this, 'Redis', redisOptions.external!));
      } else if (preset.inClusterRedis || redisOptions.password !== undefined || redisOptions.inCluster !== undefined) {
        if (redisOptions.password === undefined) {
          throw new LiteLLMConfigError('redis.password', undefined,
            'the in-cluster Redis needs a password Secret reference { name, key } (or give redis.external)');
        }
        const inCluster = redisOptions.inCluster ?? {};
        const redisName = derivedName(proxyName, 'redis');
        const redisProp = (p: string): string => (p === 'password' || p.startsWith('password.') ? `redis.${p}`
          : p === 'memory' && inCluster.memory === undefined ? 'preset.redisMemory' : `redis.inCluster.${p}`);
        this.redisInstance = child(this, 'Redis', redisProp, () => new RedisInstance(this, 'Redis', {
          memory: preset.redisMemory,
          ...inCluster,
          name: redisName,
          password: redisOptions.password!,
        }));
        this.redis = this.redisInstance;
      }

      // --- database ----------------------------------------------------------------
      if (props.database !== undefined) {
        const db = props.database;
        if ((db.external === undefined) === (db.cloudNativePg === undefined)) {
          throw new LiteLLMConfigError('database', Object.keys(db).join(', ') || '{}', 'give exactly one of database.external or database.cloudNativePg');
        }
        const cnpgName = db.cloudNativePg !== undefined ? db.cloudNativePg.name ?? derivedName(proxyName, 'database') : undefined;
        this.database = db.external !== undefined
          ? child(this, undefined, p => p.replace(/^database\b/, 'database.external'), () => new ExternalPostgres(db.external!))
          : child(this, 'Database', p => `database.cloudNativePg.${p}`,
            () => new CloudNativePgDatabase(this, 'Database', { ...db.cloudNativePg, name: cnpgName }));
      }

      // --- proxy ---------------------------------------------------------------------
      // The preset says how Prometheus finds the pods; explicit metrics props win.
      const scrape: ProxyMetrics = preset.metricsScrape === MetricsScrape.POD_ANNOTATIONS ? { serviceMonitor: false, podAnnotations: true } : {};
      const metricsOn = props.metrics !== undefined ? boolean('metrics.enabled', props.metrics.enabled ?? true) : preset.metrics;
      const metrics: ProxyMetrics | undefined = !metricsOn ? undefined : { ...scrape, ...(props.metrics ?? {}) };
      const usesPresetScaling = proxyOptions.replicas === undefined && proxyOptions.autoscaling === undefined;
      const proxyProp = (p: string): string => {
        const root = /^[A-Za-z]+/.exec(p)?.[0] ?? p;
        if (TOP_LEVEL_PROXY_PROPS.includes(root)) return p;
        if ((root === 'router' && props.router !== undefined) || (root === 'extraConfig' && props.extraConfig !== undefined)) return p;
        const presetKey = PRESET_PROXY_PROPS[root];
        if (presetKey !== undefined && (proxyOptions as Record<string, unknown>)[root] === undefined
          && !((root === 'replicas' || root === 'autoscaling') && !usesPresetScaling)) {
          return `preset.${p.replace(/^[A-Za-z]+/, presetKey)}`;
        }
        return `proxy.${p}`;
      };
      this.proxy = child(this, 'Proxy', proxyProp, () => new LiteLLMProxy(this, 'Proxy', {
        cpu: preset.cpu,
        workers: preset.workers,
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
        governance: this.governanceOf(props),
        metrics,
        extraConfig: props.extraConfig ?? proxyOptions.extraConfig,
        paused: this.paused,
      }));

      if (this.database !== undefined && boolean('database.migrations', props.database?.migrations ?? true)) {
        this.migrations = child(this, 'Migrations', p => `database.${p}`,
          // With ExternalSecrets the sync writes the database's Secret first: migrate after it, in the Sync phase.
          () => new MigrationJob(this, 'Migrations', {
            proxy: this.proxy, database: this.database!, ...(props.externalSecrets !== undefined ? { runInSyncPhase: true } : {}),
          }));
      }
      if (props.access !== undefined) {
        if (this.database === undefined) {
          throw new LiteLLMConfigError('access', Object.keys(props.access).join(', '),
            'teams, users, keys and budgets live in the database: give `database`');
        }
        this.access = child(this, 'Access', p => `access.${p}`,
          () => new GovernanceReconciler(this, 'Access', { ...props.access, proxy: this.proxy }));
        // Paused: the declarations are checked and their ConfigMap kept, but no Job waits for a proxy that is not there.
        if (this.paused) this.access.node.tryRemoveChild(this.access.job.node.id);
      }

      // --- observability -----------------------------------------------------------------
      const alertsOn = props.alerts !== undefined ? boolean('alerts.enabled', props.alerts.enabled ?? true) : this.proxy.serviceMonitor !== undefined;
      const dashboardOn = props.dashboard !== undefined ? boolean('dashboard.enabled', props.dashboard.enabled ?? true) : true;
      for (const [key, asked] of [['alerts', props.alerts !== undefined && alertsOn], ['dashboard', props.dashboard !== undefined && dashboardOn]] as const) {
        if (asked && metrics === undefined) {
          throw new LiteLLMConfigError(key, props[key], 'needs metrics: the alerts and the dashboard read the proxy\'s /metrics/ (give metrics, or leave it to the preset)');
        }
      }
      if (metrics !== undefined && alertsOn) {
        this.alerts = child(this, 'Alerts', p => `alerts.${p}`, () => new ProxyAlerts(this, 'Alerts', {
          ...(metrics.serviceMonitorLabels !== undefined ? { labels: metrics.serviceMonitorLabels } : {}),
          ...(props.alerts ?? {}),
          proxy: this.proxy,
          namespace,
        }));
      }
      if (metrics !== undefined && dashboardOn) {
        this.dashboard = child(this, 'Dashboard', p => `dashboard.${p}`,
          () => new ProxyDashboard(this, 'Dashboard', { ...(props.dashboard ?? {}), proxy: this.proxy, namespace }));
      }

      // --- edge ----------------------------------------------------------------------
      if (props.edge !== undefined) {
        const edge = props.edge;
        if (preset.requireTls && edge.controller !== EdgeController.GATEWAY_API && edge.options?.tls === undefined) {
          throw new LiteLLMConfigError('edge.tls', undefined,
            `the "${preset.description}" preset serves over TLS: give tls { secretName } or { clusterIssuer }, or use a preset with requireTls: false`);
        }
        this.edge = child(this, 'Edge', p => (/^(hosts|edge)\b/.test(p) ? p : `edge.${p}`), () => edge.bind(this, 'Edge', this.proxy, props.hosts!));
      }

      // --- namespace housekeeping -----------------------------------------------------------
      if (props.quota !== undefined && boolean('quota.enabled', props.quota.enabled ?? true)) {
        this.quota = child(this, 'Quota', p => (/^quota\b/.test(p) ? p : `quota.${p}`), () => new NamespaceQuota(this, 'Quota', { ...props.quota, name: proxyName }));
        // Paused, the proxy and the governance Job keep their room: resuming is never refused by the quota.
        if (this.paused) {
          this.quota.reserveReplicas(this.proxy.deployment, this.proxy.maxReplicas);
          if (this.access) this.quota.reserveReplicas(this.access.job, 1);
        }
      }

      // --- Secrets ---------------------------------------------------------------------
      if (props.externalSecrets !== undefined) {
        checkExternalSecretsOptions(props.externalSecrets);
        // The reconciler renders once, at synth (declarations may still be added): its key Secrets are read
        // from the stack's props here, and every Secret is checked against the rendered objects at synth.
        const access = this.access;
        const skip = (c: IConstruct): boolean => access !== undefined && (c === access || c.node.scopes.includes(access));
        const extra = (props.access?.keys ?? []).map((k, i) => ({ secret: k.value.name, key: k.value.key, object: 'GovernanceReconciler/Access', env: keyValueEnv(i) }));
        this.externalSecrets = stackExternalSecrets(this, props.externalSecrets, this.proxy.name, skip, extra);
      }

      // --- Argo CD ordering ------------------------------------------------------------
      if (props.syncWaves ?? true) {
        if (this.namespaceObject) SyncWave.apply(this.namespaceObject, SyncWave.NAMESPACE);
        // Limits in place before any pod is created.
        if (this.quota) SyncWave.apply(this.quota, SyncWave.NAMESPACE);
        if (this.externalSecrets) SyncWave.apply(this.externalSecrets, SyncWave.SECRETS);
        if (this.redisInstance) SyncWave.apply(this.redisInstance, SyncWave.STATE);
        if (this.database instanceof CloudNativePgDatabase) SyncWave.apply(this.database, SyncWave.STATE);
        SyncWave.apply(this.proxy, SyncWave.PROXY);
        // The desired state, ServiceAccount and NetworkPolicy; the Job is a PostSync hook.
        if (this.access) SyncWave.apply(this.access, SyncWave.PROXY);
        if (this.alerts) SyncWave.apply(this.alerts, SyncWave.PROXY);
        if (this.dashboard) SyncWave.apply(this.dashboard, SyncWave.PROXY);
        if (this.edge) SyncWave.apply(this.edge, SyncWave.EDGE);
      }
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /**
   * Every Secret the stack's objects read, from the objects as they synthesize:
   * name, type, keys, what each key is for, who reads it, and who makes it
   * (you, an ExternalSecret of the stack, CloudNativePG, cert-manager). Sorted.
   * Reading it renders the objects as synth does: declare everything first.
   */
  public get secretInventory(): SecretRequirement[] {
    return SecretInventory.of(this).requirements;
  }

  /** The governance settings, refused without a database with the stack's own explanation. */
  private governanceOf(props: LiteLLMStackProps): GovernanceSettings | undefined {
    if (props.governance !== undefined && this.database === undefined) {
      throw new LiteLLMConfigError('governance', Object.keys(props.governance).join(', '),
        'governance (virtual keys, teams, budgets) needs `database`: LiteLLM keeps keys and spend in Postgres');
    }
    return props.governance;
  }
}

/** The Chart's props, checked before the chart exists (an error here names the stack by the path it would have). */
function stackChartProps(scope: Construct, id: string, props: LiteLLMStackProps): { namespace: string; labels?: { [key: string]: string }; disableResourceNameHashes: boolean } {
  const path = scope.node.path === '' ? id : `${scope.node.path}/${id}`;
  try {
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError(id, props, 'LiteLLMStack needs props with namespace, models and masterKey');
    }
    return {
      namespace: dns1123Label('namespace', props.namespace),
      ...(props.labels !== undefined ? { labels: labelMap('labels', props.labels) } : {}),
      disableResourceNameHashes: !(props.disableResourceNameHashes === false),
    };
  } catch (e) {
    throw e instanceof LiteLLMConfigError ? e.in(path) : e;
  }
}

/**
 * Builds a construct from the stack's props, naming its props as the stack's
 * user wrote them: in errors raised now, and in its synth-time checks (by the
 * construct id `id`, when it is a construct).
 */
function child<T>(stack: LiteLLMStack, id: string | undefined, map: (prop: string) => string, build: () => T): T {
  let built: T;
  try {
    built = build();
  } catch (e) {
    throw e instanceof LiteLLMConfigError ? e.withProp(map(e.prop)).in(stack.node.path) : e;
  }
  if (id !== undefined) nameChildProps(stack.node.findChild(id) as IConstruct, map);
  return built;
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

/** The preset's fields, checked: a preset is data a user may write by hand. */
function validatePreset(p: StackPreset): void {
  nonEmptyString('preset.description', p.description);
  if (!(p.workers instanceof WorkerSizing)) {
    throw new LiteLLMConfigError('preset.workers', p.workers, 'must be WorkerSizing.perCpu(), WorkerSizing.onePerPod() or WorkerSizing.fixed(n)');
  }
  for (const key of ['inClusterRedis', 'requireTls', 'metrics'] as const) boolean(`preset.${key}`, p[key]);
  if (p.metricsScrape !== undefined) enumValue('preset.metricsScrape', p.metricsScrape, MetricsScrape, 'MetricsScrape');
  if (!Array.isArray(p.allowCidrs)) throw new LiteLLMConfigError('preset.allowCidrs', p.allowCidrs, 'must be a list of CIDRs (empty to admit none)');
  enumValue('preset.serviceType', p.serviceType, ServiceType, 'ServiceType', [ServiceType.CLUSTER_IP, ServiceType.LOAD_BALANCER]);
  enumValue('preset.spread', p.spread, SpreadPolicy, 'SpreadPolicy');
}
