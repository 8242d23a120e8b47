import { createHash } from 'crypto';
import { Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ScaledObject } from '../../imports/keda.sh';
import { ServiceMonitor } from '../../imports/monitoring.coreos.com';
import { SECRET_ENV_NAME, credentialKind } from '../credentials';
import { LiteLLMConfigError, hidden, inStack } from '../errors';
import { selectorLabels, standardLabels } from '../labels';
import { EgressRule, NetworkPeer, dnsEgress, renderEgress, renderPeer, renderPorts, validatePeer } from '../network';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { boolean, dns1035Label, dns1123Label, dns1123Subdomain, enumValue, envName, integer, labelMap, list, optionalObject, port as checkPort, positiveNumber, redisNamespace } from '../validate';
import { IProxyDatabase, IProxyRedis, canBind } from './bindings';
import { resolveCache } from './cache';
import { ConfigSection, LiteLLMConfigDocument, envRef } from './config';
import { fittingPoolLimit } from './connection-budget';
import { FallbackPlan, fallbackSettings, hasFallbacks, resolveFallbacks, slowestRequest } from './fallbacks';
import { GovernanceSettings, applyGovernance } from './governance-settings';
import { ImageReference, parseImage } from '../image';
import { SITECUSTOMIZE_FILE, SITECUSTOMIZE_SOURCE } from './gunicorn-log';
import { DEFAULT_PROXY_IMAGE, PROXY_UID } from './image';
import { PROXY_CONTAINER } from './pod-names';
import { ModelDeployment, renderModel, secretEnvName } from './model';
import { LiteLLMProxyProps, LogLevel, ProxyAutoscaling, ProxyMetrics, RouterOptions, RoutingStrategy, SpreadPolicy } from './proxy-props';
import { ScalingSignal, ScalingSignalKind, inFlightQuery, resolveInFlight } from './scaling-signal';
import { GroupTiming, NonStreamingBound, assertCovers } from './timing';
import { MEMORY_BASE_BYTES, MEMORY_PER_WORKER_BYTES, WorkerSizing, memoryRequestBytes } from './workers';
import { ServiceType } from 'cdk8s-plus-28';

/** Where LiteLLM serves Prometheus metrics: `/metrics` redirects here (litellm/integrations/prometheus.py mounts it at /metrics/). */
export const METRICS_PATH = '/metrics/';

const DEFAULTS = {
  cpu: '1',
  port: 4000,
  requestTimeoutSeconds: 600,
  numRetries: 2,
  preStopSeconds: 10,
  graceMarginSeconds: 15,
  minReplicas: 2,
  cpuUtilization: 70,
  /** How often KEDA reads the in-flight query, seconds (its own default is 30: too slow for a burst). */
  kedaPollingSeconds: 15,
} as const;

const CONFIG_DIR = '/etc/litellm';

/** Env names the construct sets itself; `env`/`secretEnv` may not reuse them. */
const RESERVED_ENV = new Set(['LITELLM_MASTER_KEY', 'LITELLM_SALT_KEY', 'LITELLM_MODE', 'LITELLM_LOG', 'GRACEFUL_SHUTDOWN_TIMEOUT',
  'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_SSL', 'REDIS_USERNAME', 'REDIS_URL', 'REDIS_DB',
  'REDIS_CLUSTER_NODES', 'REDIS_SENTINEL_NODES', 'REDIS_SERVICE_NAME', 'REDIS_SENTINEL_PASSWORD',
  'DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_USERNAME', 'DATABASE_PASSWORD', 'ENFORCE_PRISMA_MIGRATION_CHECK', 'DATABASE_URL', 'DISABLE_SCHEMA_UPDATE', 'LITELLM_NON_ROOT', 'HOME',
  'XDG_CACHE_HOME', 'NPM_CONFIG_CACHE', 'LITELLM_LOCAL_MODEL_COST_MAP', 'LITELLM_UI_PATH', 'LITELLM_ASSETS_PATH', 'LITELLM_MIGRATION_DIR', 'PORT', 'NUM_WORKERS',
  'LITELLM_MAX_STREAMING_DURATION_SECONDS', 'REDIS_SOCKET_TIMEOUT', 'REDIS_SOCKET_CONNECT_TIMEOUT', 'REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT',
  'REDIS_CIRCUIT_BREAKER_FAILURE_THRESHOLD', 'REDIS_CIRCUIT_BREAKER_TIMEOUT_MIN_DURATION']);
/** Env names LiteLLM reads that would silently break a promise the library makes, with the reason. */
const REFUSED_ENV: Record<string, string> = {
  // Retry backoff (litellm/constants.py): the timeout agreement could not count them.
  INITIAL_RETRY_DELAY: 'it changes the retry backoff, so the edge and drain timeouts derived from the non-streaming bound would be wrong',
  MAX_RETRY_DELAY: 'it changes the retry backoff, so the edge and drain timeouts derived from the non-streaming bound would be wrong',
  JITTER: 'it changes the retry backoff, so the edge and drain timeouts derived from the non-streaming bound would be wrong',
  // litellm/proxy/hooks/__init__.py: switches to the v1 limiter, which let 4 of 6 requests through a limit of 2 (measured).
  LEGACY_MULTI_INSTANCE_RATE_LIMITING: 'it replaces the rate limiter with the legacy one, which lets requests through over its limits on 1.108.14',
  // caching/redis_cache.py RedisCircuitBreaker: without it a hung Redis costs every request its timeouts.
  REDIS_CIRCUIT_BREAKER_ENABLED: 'a hung Redis would cost every request a socket timeout per Redis call instead of one per worker (redis.clientTimeoutSeconds)',
};
/** gunicorn's master kills workers this long after GRACEFUL_SHUTDOWN_TIMEOUT (constants.py GRACEFUL_SHUTDOWN_TEARDOWN_HEADROOM_SECONDS). */
const GUNICORN_TEARDOWN_SECONDS = 10;
/** The longest wait the timeout agreement accepts (a drain, an edge timeout): a day. */
const MAX_WAIT_SECONDS = 86400;

/**
 * A set of LiteLLM proxy replicas: config.yaml from typed props, workers sized
 * from CPU, secrets by reference, probes, a rollout that lets streams finish,
 * Service, NetworkPolicy, and optionally an HPA, a PDB (when more than one replica
 * can run) and a ServiceMonitor.
 */
export class LiteLLMProxy extends Construct {
  /** Base name of the objects. */
  public readonly name: string;
  /** The Deployment (the primary child, id `Resource`). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The HorizontalPodAutoscaler (the CPU signal). */
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The KEDA ScaledObject (the in-flight signal); KEDA creates an HPA of the proxy's name from it. */
  public readonly scaledObject?: ScaledObject;
  public readonly serviceMonitor?: ServiceMonitor;
  /** Whether `/metrics/` is on (the `metrics` prop was given). */
  public readonly metricsEnabled: boolean;
  /** Whether LiteLLM's Redis/PostgreSQL health metrics (`service_callback: [prometheus_system]`) are on. */
  public readonly serviceMetricsEnabled: boolean;
  /** The config.yaml being built; rendered at synth time. */
  public readonly config: LiteLLMConfigDocument;

  /** Uvicorn workers per pod. */
  public readonly workers: number;
  /** Container port. */
  public readonly port: number;
  /** `litellm_settings.request_timeout`, seconds: one attempt, or one gap of a stream. */
  public readonly requestTimeoutSeconds: number;
  /** `router_settings.num_retries`. */
  public readonly numRetries: number;
  /** The longest a non-streaming request can take (every fallback included), with how it is made up. */
  public readonly nonStreamingBound: NonStreamingBound;
  /** `LITELLM_MAX_STREAMING_DURATION_SECONDS`. */
  public readonly maxStreamSeconds: number;
  /** `GRACEFUL_SHUTDOWN_TIMEOUT`, seconds. */
  public readonly drainTimeoutSeconds: number;
  public readonly preStopSeconds: number;
  public readonly terminationGracePeriodSeconds: number;
  /** Most pods that can run at once (replicas or the autoscaler's max): used for connection budgets. Paused, what it runs when resumed. */
  public readonly maxReplicas: number;
  /** Whether the proxy is paused (0 replicas). */
  public readonly paused: boolean;
  /** The image reference. */
  public readonly image: ImageReference;
  /** Names of the image pull Secrets. */
  public readonly imagePullSecrets: string[];
  /** The database, when one is wired. */
  public readonly database?: IProxyDatabase;
  /** The Redis, when one is wired. */
  public readonly redis?: IProxyRedis;
  /** The prefix of this proxy's Redis keys, when it has a Redis. */
  public readonly redisNamespace?: string;
  /** Labels that select the proxy pods. */
  public readonly podSelector: { [key: string]: string };
  /** In-cluster DNS name of the Service (relative to the namespace). */
  public readonly serviceName: string;

  private readonly env: k8s.EnvVar[] = [];
  /** The validated `router.fallbacks` / `router.defaultFallbacks`. */
  private fallbacks: FallbackPlan = { chains: new Map(), defaults: [] };
  /** Sources admitted to the proxy port: `allowFrom` first, then Prometheus (its own rule, for readability). */
  private readonly ingressPeers: NetworkPeer[] = [];
  private readonly metricsPeers: NetworkPeer[] = [];
  private readonly egressRules: EgressRule[] = [];

  constructor(scope: Construct, id: string, props: LiteLLMProxyProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'LiteLLMProxy needs props with at least models and masterKey');
      }
      // Plain-JavaScript callers get our error, never a TypeError, for a wrongly typed prop.
      for (const key of ['autoscaling', 'router', 'cache', 'metrics', 'extraConfig', 'env', 'secretEnv', 'redis', 'database', 'governance'] as const) {
        optionalObject(key, props[key]);
      }
      if (props.workers !== undefined && !(props.workers instanceof WorkerSizing)) {
        throw new LiteLLMConfigError('workers', props.workers, 'must be WorkerSizing.perCpu(), WorkerSizing.onePerPod() or WorkerSizing.fixed(n)');
      }
      const allowFrom = list('allowFrom', props.allowFrom, true);
      const extraEgress = list('extraEgress', props.extraEgress, true);
      const imagePullSecrets = list('imagePullSecrets', props.imagePullSecrets);
      this.imagePullSecrets = imagePullSecrets.map((n, i) => dns1123Subdomain(`imagePullSecrets[${i}]`, n));
      this.redis = props.redis;
      this.database = props.database;
      // The Service carries this name, and Service names must start with a letter.
      this.name = dns1035Label('name', props.name ?? id.toLowerCase(), 47);
      if (props.redis !== undefined) {
        this.redisNamespace = redisNamespace('redisNamespace', props.redisNamespace ?? `${Chart.of(this).namespace ?? 'default'}/${this.name}`);
      } else if (props.redisNamespace !== undefined) {
        throw new LiteLLMConfigError('redisNamespace', props.redisNamespace, 'is the prefix of the keys written into Redis: give `redis` too, or leave it unset');
      }
      this.image = parseImage('image', props.image ?? DEFAULT_PROXY_IMAGE, { example: DEFAULT_PROXY_IMAGE });
      const metrics = props.metrics !== undefined && boolean('metrics.enabled', props.metrics.enabled ?? true) ? props.metrics : undefined;
      this.port = checkPort('port', props.port ?? DEFAULTS.port);
      this.podSelector = selectorLabels(this.name, 'proxy');
      this.serviceName = this.name;
      const labels = standardLabels(this.name, 'proxy');

      // --- sizing -----------------------------------------------------------
      const cpuMillis = parseCpuMillis('cpu', props.cpu ?? DEFAULTS.cpu);
      this.workers = (props.workers ?? WorkerSizing.perCpu()).workersFor(cpuMillis, 'workers');
      const memoryBytes = props.memory !== undefined ? parseMemoryBytes('memory', props.memory) : memoryRequestBytes(this.workers);
      const memoryLimitBytes = props.memoryLimit !== undefined ? parseMemoryBytes('memoryLimit', props.memoryLimit) : 2 * memoryBytes;
      // Every worker is a full copy of the proxy: below the measured rule the pod is OOM-killed as it starts.
      const needed = memoryRequestBytes(this.workers);
      for (const [prop, bytes, given] of [['memory', memoryBytes, props.memory], ['memoryLimit', memoryLimitBytes, props.memoryLimit]] as const) {
        if (bytes < needed) {
          throw new LiteLLMConfigError(prop, given,
            `must be at least ${formatMemory(needed)} for ${this.workers} worker(s) (${formatMemory(MEMORY_BASE_BYTES)} + ${formatMemory(MEMORY_PER_WORKER_BYTES)} per worker: `
            + 'each worker is a full copy of the proxy, measured at ~320 MB resident on 1.108.14, and grows under load); '
            + `raise ${prop}, or run fewer workers (less cpu, or WorkerSizing.fixed(n))`);
        }
      }
      if (memoryLimitBytes < memoryBytes) {
        throw new LiteLLMConfigError('memoryLimit', props.memoryLimit, `must be at least the memory request (${formatMemory(memoryBytes)})`);
      }
      let cpuLimitMillis: number | undefined;
      if (props.cpuLimit !== undefined) {
        cpuLimitMillis = parseCpuMillis('cpuLimit', props.cpuLimit);
        if (cpuLimitMillis < cpuMillis) {
          throw new LiteLLMConfigError('cpuLimit', props.cpuLimit, `must be at least the CPU request (${formatCpu(cpuMillis)})`);
        }
      }

      // --- replicas ---------------------------------------------------------
      if (props.replicas !== undefined && props.autoscaling !== undefined) {
        throw new LiteLLMConfigError('replicas', props.replicas, 'leave replicas unset when autoscaling is given: the autoscaler owns the count');
      }
      if (props.replicas === 0) {
        throw new LiteLLMConfigError('replicas', 0, 'must be at least 1; to stop the gateway without removing it, set `paused: true` (on a LiteLLMStack or a fleet tenant): '
          + 'it scales the Deployment to 0 and drops the autoscaler, which would scale it back up, and the alerts that would fire on no replicas');
      }
      const replicas = integer('replicas', props.replicas ?? 1, 1);
      this.paused = props.paused !== undefined && boolean('paused', props.paused);
      let minReplicas = replicas;
      this.maxReplicas = replicas;
      if (props.autoscaling !== undefined) {
        minReplicas = integer('autoscaling.minReplicas', props.autoscaling.minReplicas ?? DEFAULTS.minReplicas, 1);
        this.maxReplicas = integer('autoscaling.maxReplicas', props.autoscaling.maxReplicas, 1);
        if (this.maxReplicas < 2) {
          throw new LiteLLMConfigError('autoscaling.maxReplicas', this.maxReplicas, 'must be at least 2 for an autoscaler to have a range; for one pod use replicas: 1');
        }
        if (minReplicas > this.maxReplicas) {
          throw new LiteLLMConfigError('autoscaling.minReplicas', minReplicas, `must not exceed autoscaling.maxReplicas (${this.maxReplicas})`);
        }
      }
      // Paused: nothing to disrupt, and nothing to autoscale (an HPA would scale the Deployment back up).
      const replicated = this.maxReplicas > 1 && !this.paused;
      // Each worker process keeps its own in-memory counters: without Redis, limits and
      // cooldowns are per process, so replicas x workers processes allow that many times the limit.
      const processes = this.maxReplicas * this.workers;
      if (processes > 1 && props.redis === undefined && props.acceptPerReplicaLimits !== true) {
        const prop = this.maxReplicas > 1 ? (props.autoscaling ? 'autoscaling.maxReplicas' : 'replicas') : 'workers';
        throw new LiteLLMConfigError(prop, this.maxReplicas > 1 ? this.maxReplicas : this.workers,
          `${this.maxReplicas} replica(s) x ${this.workers} worker(s) = ${processes} processes need \`redis\` so rpm/tpm limits and cooldowns are shared `
          + `(otherwise each process counts on its own and ${processes} processes allow ${processes} times the limit); `
          + 'pass redis, or set acceptPerReplicaLimits: true to accept per-process limits');
      }

      // --- config.yaml ------------------------------------------------------
      this.config = new LiteLLMConfigDocument();
      this.renderModels(props.models);
      this.addSecretEnv('LITELLM_MASTER_KEY', secretKeyRef('masterKey', props.masterKey));
      this.config.set(ConfigSection.GENERAL_SETTINGS, 'master_key', envRef('LITELLM_MASTER_KEY'), 'masterKey');
      if (props.saltKey !== undefined) this.addSecretEnv('LITELLM_SALT_KEY', secretKeyRef('saltKey', props.saltKey));
      // Production guide (docs/proxy/prod.md): no verbose logging, JSON logs.
      this.config.set(ConfigSection.LITELLM_SETTINGS, 'set_verbose', false, 'LiteLLMProxy');
      this.config.set(ConfigSection.LITELLM_SETTINGS, 'json_logs', true, 'LiteLLMProxy');
      this.renderAdmission(props);
      this.numRetries = integer('router.numRetries', props.router?.numRetries ?? DEFAULTS.numRetries, 0, 10);
      this.renderRouter(props.router ?? {}, props.models);

      // --- timing: the timeout agreement (see timing.ts) ----------------------
      this.requestTimeoutSeconds = integer('requestTimeoutSeconds', props.requestTimeoutSeconds ?? DEFAULTS.requestTimeoutSeconds, 1, 86400);
      // Every group a request can reach, each with its retries (timing.ts, fallbacks.ts).
      this.nonStreamingBound = slowestRequest(this.fallbacks, this.groupTimings(), this.numRetries);
      if (this.nonStreamingBound.seconds > MAX_WAIT_SECONDS) {
        const walk = (this.nonStreamingBound.modelGroups ?? []).length > 1;
        throw new LiteLLMConfigError(walk ? 'router.fallbacks' : 'requestTimeoutSeconds', walk ? this.nonStreamingBound.modelGroups : this.requestTimeoutSeconds,
          `a non-streaming request could take ${this.nonStreamingBound.explanation}, more than a day (${MAX_WAIT_SECONDS} s) that a drain or an edge may wait; `
          + `lower requestTimeoutSeconds, the models' timeoutSeconds or router.numRetries${walk ? ', or fall back to fewer groups' : ''}`);
      }
      this.maxStreamSeconds = integer('maxStreamSeconds', props.maxStreamSeconds ?? this.nonStreamingBound.seconds, 1, MAX_WAIT_SECONDS);
      const longest = Math.max(this.nonStreamingBound.seconds, this.maxStreamSeconds);
      this.drainTimeoutSeconds = integer('drainTimeoutSeconds', props.drainTimeoutSeconds ?? longest, 1, MAX_WAIT_SECONDS);
      // A drain shorter than the longest request cuts it on every rollout.
      assertCovers('drainTimeoutSeconds', this.drainTimeoutSeconds, this.nonStreamingBound, 'a terminating pod must let the slowest non-streaming request finish');
      assertCovers('drainTimeoutSeconds', this.drainTimeoutSeconds, { seconds: this.maxStreamSeconds, explanation: `maxStreamSeconds ${this.maxStreamSeconds}` },
        'a terminating pod must let the longest stream LiteLLM allows finish');
      this.preStopSeconds = integer('preStopSeconds', props.preStopSeconds ?? DEFAULTS.preStopSeconds, 0, 300);
      const minGrace = this.preStopSeconds + this.drainTimeoutSeconds;
      this.terminationGracePeriodSeconds = integer('terminationGracePeriodSeconds',
        props.terminationGracePeriodSeconds ?? minGrace + DEFAULTS.graceMarginSeconds, 1);
      // gunicorn's master kills workers GRACEFUL_SHUTDOWN_TIMEOUT + 10 s after SIGTERM
      // (proxy_cli.py run_gunicorn_server, GRACEFUL_SHUTDOWN_TEARDOWN_HEADROOM_SECONDS): the grace covers that too.
      if (this.terminationGracePeriodSeconds <= minGrace + GUNICORN_TEARDOWN_SECONDS) {
        throw new LiteLLMConfigError('terminationGracePeriodSeconds', this.terminationGracePeriodSeconds,
          `must exceed preStopSeconds + drainTimeoutSeconds + ${GUNICORN_TEARDOWN_SECONDS} s of process teardown (${this.preStopSeconds} + ${this.drainTimeoutSeconds} + ${GUNICORN_TEARDOWN_SECONDS} = ${minGrace + GUNICORN_TEARDOWN_SECONDS}), or the kubelet kills streams mid-drain`);
      }
      this.config.set(ConfigSection.LITELLM_SETTINGS, 'request_timeout', this.requestTimeoutSeconds, 'requestTimeoutSeconds');

      // --- environment ------------------------------------------------------
      const logLevel = enumValue('logLevel', props.logLevel ?? LogLevel.ERROR, LogLevel, 'LogLevel');
      this.addEnv('LITELLM_MODE', 'PRODUCTION');
      this.addEnv('LITELLM_LOG', logLevel);
      // Drain on SIGTERM (litellm/proxy/shutdown/graceful_shutdown_manager.py, default 30 s):
      // uvicorn's timeout_graceful_shutdown, gunicorn's graceful_timeout less 10 s (proxy_cli.py).
      this.addEnv('GRACEFUL_SHUTDOWN_TIMEOUT', String(this.drainTimeoutSeconds));
      // The only bound on a whole stream (litellm/constants.py, checked per chunk in streaming_handler.py).
      this.addEnv('LITELLM_MAX_STREAMING_DURATION_SECONDS', String(this.maxStreamSeconds));
      // Writable paths of the non-root image, so the root filesystem can be read-only
      // (docker/Dockerfile.non_root sets HOME=/app; the UI is
      // copied into LITELLM_UI_PATH at start-up, proxy_server.py).
      this.addEnv('LITELLM_NON_ROOT', 'true');
      // Not /app/.cache: the image keeps its Prisma engines there (PRISMA_BINARY_CACHE_DIR,
      // docker/Dockerfile.non_root) and an emptyDir over it would hide them.
      this.addEnv('XDG_CACHE_HOME', '/var/cache/litellm');
      this.addEnv('NPM_CONFIG_CACHE', '/var/cache/litellm/npm');
      this.addEnv('LITELLM_UI_PATH', '/var/lib/litellm/ui');
      this.addEnv('LITELLM_ASSETS_PATH', '/var/lib/litellm/assets');
      // Use the model price map bundled with the pinned release instead of downloading it at
      // start-up (litellm_core_utils/get_model_cost_map.py): reproducible, and no start-up
      // dependency on GitHub being reachable.
      this.addEnv('LITELLM_LOCAL_MODEL_COST_MAP', 'True');
    // Several workers run under gunicorn (see args below), whose master logs every worker it stops gracefully
    // at ERROR: a start-up hook from the ConfigMap reports that one message at INFO (gunicorn-log.ts).
    const gunicorn = this.workers > 1;
    if (gunicorn) this.addEnv('PYTHONPATH', CONFIG_DIR);

      // --- network: who may call us, whom we call ----------------------------
      for (const [i, peer] of (props.allowFrom === undefined ? [{}] : allowFrom).entries()) this.allowFrom(peer, `allowFrom[${i}]`);
      for (const [i, rule] of extraEgress.entries()) {
        list(`extraEgress[${i}].peers`, rule.peers, true).forEach((p, j) => validatePeer(`extraEgress[${i}].peers[${j}]`, p));
        const ports = list(`extraEgress[${i}].ports`, rule.ports);
        if (ports.length === 0) throw new LiteLLMConfigError(`extraEgress[${i}].ports`, rule.ports, 'must list at least one TCP port');
        renderPorts(`extraEgress[${i}].ports`, ports);
        this.addEgress({ peers: rule.peers ?? [], ports: rule.ports ?? [], reason: rule.reason ?? 'extraEgress' });
      }

      if (props.redis !== undefined) {
        if (!canBind(props.redis)) throw new LiteLLMConfigError('redis', props.redis, 'must be a Redis endpoint (RedisInstance or ExternalRedis)');
        props.redis.bind(this, {
          cache: props.cache !== undefined ? resolveCache('cache', props.cache) : undefined,
          namespace: this.redisNamespace!,
        });
      } else if (props.cache !== undefined) {
        throw new LiteLLMConfigError('cache', props.cache, 'response caching needs `redis`: an in-memory cache per replica would answer differently per pod');
      }
      if (props.failClosed !== undefined && boolean('failClosed', props.failClosed)) {
        if (props.redis === undefined) {
          throw new LiteLLMConfigError('failClosed', true, 'is about limits shared through Redis: give `redis` too (without it every process counts on its own anyway)');
        }
        this.config.set(ConfigSection.GENERAL_SETTINGS, 'fail_closed_rate_limit_enforcement', true, 'failClosed');
      }
      if (props.database !== undefined) {
        if (!canBind(props.database)) throw new LiteLLMConfigError('database', props.database, 'must be a database endpoint (ExternalPostgres or CloudNativePgDatabase)');
        props.database.bind(this);
      }
      this.metricsEnabled = metrics !== undefined;
      this.serviceMetricsEnabled = metrics !== undefined && boolean('metrics.serviceMetrics', metrics.serviceMetrics ?? true);
      const podAnnotations = metrics !== undefined && boolean('metrics.podAnnotations', metrics.podAnnotations ?? false);
      if (metrics !== undefined) this.serviceMonitor = this.enableMetrics(metrics);

      for (const [k, v] of Object.entries(props.env ?? {})) {
        if (typeof v !== 'string') throw new LiteLLMConfigError(`env.${k}`, v, 'must be a string');
        const kind = credentialKind(v);
        if (kind !== undefined || (SECRET_ENV_NAME.test(k) && v !== '')) {
          throw new LiteLLMConfigError(`env.${k}`, hidden('a literal value'),
            'credentials must come from a Secret: move this variable to secretEnv with a { name, key } reference'
            + (kind !== undefined ? ` (this value looks like ${kind})` : ` (${k} is named like a credential)`));
        }
        this.addEnv(envName(`env.${k}`, k), v, `env.${k}`);
      }
      for (const [k, ref] of Object.entries(props.secretEnv ?? {})) {
        this.addSecretEnv(envName(`secretEnv.${k}`, k), secretKeyRef(`secretEnv.${k}`, ref), `secretEnv.${k}`);
      }
      // After secretEnv (a licence may come from there), before the escape hatch (which must not override it).
      this.applyGovernance(props.database, props.governance);
      if (props.extraConfig !== undefined) this.config.mergeExtra(props.extraConfig, 'extraConfig');

      // --- objects ----------------------------------------------------------
      this.configMap = new k8s.KubeConfigMap(this, 'Config', {
        metadata: { name: `${this.name}-config`, labels },
        data: {
        'config.yaml': Lazy.any({ produce: () => this.renderConfig() }),
        ...(gunicorn ? { [SITECUSTOMIZE_FILE]: SITECUSTOMIZE_SOURCE } : {}),
      },
      });

      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: { name: this.name, labels },
        // The proxy never calls the Kubernetes API.
        automountServiceAccountToken: false,
      });

      const args = ['--port', String(this.port), '--config', `${CONFIG_DIR}/config.yaml`, '--num_workers', String(this.workers)];
      // Several workers run under gunicorn: uvicorn's own supervisor keeps the listening socket
      // open after SIGTERM until every worker has exited, so new connections hang instead of
      // being refused (measured on 1.108.14: 12.5 s, then a reset); gunicorn's master closes
      // it at once (gunicorn/arbiter.py) and its workers drain like uvicorn's (proxy_cli.py).
      if (gunicorn) args.push('--run_gunicorn');
      if (props.maxRequestsBeforeRestart !== undefined) {
        const limit = integer('maxRequestsBeforeRestart', props.maxRequestsBeforeRestart, 1);
        // proxy_cli.py single_worker_max_requests_warning: a lone worker is not replaced, the pod stops serving.
        if (this.workers < 2) {
          throw new LiteLLMConfigError('maxRequestsBeforeRestart', limit,
            `needs at least 2 workers per pod (this pod runs ${this.workers}): with one worker LiteLLM does not recycle it, the pod stops answering after ${limit} requests; request more CPU or use WorkerSizing.fixed(2)`);
        }
        args.push('--max_requests_before_restart', String(limit));
      }

      const resources: k8s.ResourceRequirements = {
        requests: { cpu: k8s.Quantity.fromString(formatCpu(cpuMillis)), memory: k8s.Quantity.fromString(formatMemory(memoryBytes)) },
        limits: {
          ...(cpuLimitMillis !== undefined ? { cpu: k8s.Quantity.fromString(formatCpu(cpuLimitMillis)) } : {}),
          memory: k8s.Quantity.fromString(formatMemory(memoryLimitBytes)),
        },
      };

      const emptyDir = (name: string, sizeLimit: string): k8s.Volume => ({ name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } });
      const spreadMode = enumValue('spread', props.spread ?? SpreadPolicy.PREFERRED, SpreadPolicy, 'SpreadPolicy');

      this.deployment = new k8s.KubeDeployment(this, 'Resource', {
        metadata: { name: this.name, labels },
        spec: {
          // The autoscaler owns the count when present; a fixed value here would fight it on every sync.
          ...(this.paused ? { replicas: 0 } : props.autoscaling === undefined ? { replicas } : {}),
          revisionHistoryLimit: 5,
          selector: { matchLabels: this.podSelector },
          // Never remove a serving pod before its replacement is ready.
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
          template: {
            metadata: {
              labels,
              // A config change rolls the pods: LiteLLM reads config.yaml only at start-up.
              annotations: {
                'checksum/config': Lazy.any({ produce: () => sha256(this.renderConfig() + (gunicorn ? SITECUSTOMIZE_SOURCE : '')) }),
                // Annotation-based discovery (no prometheus-operator): the path matters, /metrics answers with a redirect.
                ...(podAnnotations ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(this.port), 'prometheus.io/path': METRICS_PATH } : {}),
              },
            },
            spec: {
              serviceAccountName: this.serviceAccount.name,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: this.terminationGracePeriodSeconds,
              securityContext: restrictedPodSecurityContext(PROXY_UID, PROXY_UID),
              ...(this.imagePullSecrets.length
                ? { imagePullSecrets: this.imagePullSecrets.map(name => ({ name })) }
                : {}),
              topologySpreadConstraints: [
                {
                  topologyKey: 'kubernetes.io/hostname',
                  maxSkew: 1,
                  whenUnsatisfiable: spreadMode === SpreadPolicy.REQUIRED ? 'DoNotSchedule' : 'ScheduleAnyway',
                  labelSelector: { matchLabels: this.podSelector },
                },
                // Zones where the nodes carry the label; a single-zone cluster is unaffected.
                {
                  topologyKey: 'topology.kubernetes.io/zone',
                  maxSkew: 1,
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: this.podSelector },
                },
              ],
              containers: [{
                name: PROXY_CONTAINER,
                image: this.image.reference,
                imagePullPolicy: 'IfNotPresent',
                args,
                ports: [{ name: 'http', containerPort: this.port, protocol: 'TCP' }],
                env: Lazy.any({ produce: () => this.env }),
                resources,
                securityContext: restrictedContainerSecurityContext(),
                // Generous: first start copies the UI and may wait for the database.
                startupProbe: {
                  httpGet: { path: '/health/liveliness', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60,
                },
                // Readiness reports the database; it takes a pod out of the Service, never restarts it.
                readinessProbe: {
                  httpGet: { path: '/health/readiness', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3, successThreshold: 1,
                },
                // Liveness only proves the event loop answers; no dependency checks, so an outage never restarts every pod.
                livenessProbe: {
                  httpGet: { path: '/health/liveliness', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4,
                },
                // Endpoints controllers and ingress controllers need a moment to stop routing here.
                // exec sleep: the image is Wolfi-based (busybox sleep); preStop.sleep is not in the 1.28 API.
                ...(this.preStopSeconds > 0
                  ? { lifecycle: { preStop: { exec: { command: ['sleep', String(this.preStopSeconds)] } } } }
                  : {}),
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'cache', mountPath: '/var/cache/litellm' },
                  { name: 'ui', mountPath: '/var/lib/litellm/ui' },
                  { name: 'assets', mountPath: '/var/lib/litellm/assets' },
                ],
              }],
              volumes: [
                { name: 'config', configMap: { name: this.configMap.name } },
                emptyDir('tmp', '1Gi'),
                emptyDir('cache', '512Mi'),
                emptyDir('ui', '256Mi'),
                emptyDir('assets', '64Mi'),
              ],
            },
          },
        },
      });

      this.service = new k8s.KubeService(this, 'Service', {
        metadata: { name: this.serviceName, labels },
        spec: {
          type: enumValue('serviceType', props.serviceType ?? ServiceType.CLUSTER_IP, ServiceType, 'ServiceType',
            [ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER]),
          selector: this.podSelector,
          ports: [{ name: 'http', port: this.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP', appProtocol: 'http' }],
        },
      });

      if (props.autoscaling !== undefined) {
        const autoscaler = this.addAutoscaler(props.autoscaling, minReplicas, labels);
        // Paused: checked as it would run, not emitted (it would scale the Deployment back up).
        if (this.paused) this.node.tryRemoveChild(autoscaler.node.id);
        // By kind: cdk8s's ApiObject answers instanceof for every ApiObject (Symbol.hasInstance), a ScaledObject check included.
        else if (autoscaler.kind === ScaledObject.GVK.kind) this.scaledObject = autoscaler as ScaledObject;
        else this.autoscaler = autoscaler as k8s.KubeHorizontalPodAutoscalerV2;
      }
      if (replicated) {
        this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
          metadata: { name: this.name, labels },
          spec: {
            maxUnavailable: k8s.IntOrString.fromNumber(1),
            selector: { matchLabels: this.podSelector },
            // A crash-looping pod must not block node drains.
            unhealthyPodEvictionPolicy: 'AlwaysAllow',
          },
        });
      }

      this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: { name: this.name, labels },
        spec: {
          podSelector: { matchLabels: this.podSelector },
          policyTypes: ['Ingress', 'Egress'],
          ingress: Lazy.any({ produce: () => this.renderIngress() }),
          egress: Lazy.any({ produce: () => [dnsEgress(), ...this.mergedEgress().map((r, i) => renderEgress(r, `egress[${i}]`))] }),
        },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** Admits a peer to the proxy port. */
  public allowFrom(peer: NetworkPeer, prop = 'allowFrom'): void {
    this.named(() => {
      validatePeer(prop, peer);
      this.ingressPeers.push(peer);
    });
  }

  /** Opens egress from the proxy pods. */
  public addEgress(rule: EgressRule): void {
    this.egressRules.push(rule);
  }

  /** Adds a plain environment variable; a repeated name is an error. */
  public addEnv(name: string, value: string, prop = name): void {
    this.named(() => {
      this.assertNewEnv(name, prop);
      this.env.push({ name, value });
    });
  }

  /** Adds an environment variable from a Secret key; a repeated name is an error. */
  public addSecretEnv(name: string, ref: SecretKeyRef, prop = name): void {
    this.named(() => {
      this.assertNewEnv(name, prop);
      this.env.push({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
    });
  }

  /** Sets one config.yaml key, owned by `owner` (a second writer is an error). */
  public setConfig(section: ConfigSection, key: string, value: any, owner: string): void {
    this.named(() => this.config.set(section, key, value, owner));
  }

  /** Runs `change`, naming this proxy's stack in any error it raises (methods may be called after construction). */
  private named(change: () => void): void {
    try {
      change();
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** The environment as rendered (for tests and for other constructs that mirror it, e.g. the migration Job). */
  public get environment(): k8s.EnvVar[] {
    return this.env;
  }

  private assertNewEnv(name: string, prop: string): void {
    if (this.env.some(e => e.name === name)) {
      throw new LiteLLMConfigError(prop, name, 'environment variable names must be unique; this one is already set'
        + (RESERVED_ENV.has(name) ? ' by the construct itself' : ''));
    }
    if (prop !== name && RESERVED_ENV.has(name)) {
      throw new LiteLLMConfigError(prop, name, 'this variable is set by the construct from its typed props');
    }
    if (prop !== name && REFUSED_ENV[name] !== undefined) {
      throw new LiteLLMConfigError(prop, name, `not settable: ${REFUSED_ENV[name]}`);
    }
  }

  /**
   * Governance settings, and with a database a connection pool that fits it
   * (unless the settings give one): every worker of every pod, a rollout's
   * surge pod and the migration within the database's connections.
   */
  private applyGovernance(database: IProxyDatabase | undefined, settings: GovernanceSettings | undefined): void {
    if (database === undefined) {
      if (settings !== undefined) applyGovernance(this, settings);
      return;
    }
    applyGovernance(this, {
      databaseConnectionPoolLimit: fittingPoolLimit(this.workers, this.maxReplicas, database.maxConnections),
      ...(settings ?? {}),
    });
  }

  private renderModels(models: ModelDeployment[]): void {
    if (!Array.isArray(models) || models.length === 0) {
      throw new LiteLLMConfigError('models', models, 'must list at least one model deployment');
    }
    const keyEnvs = new Map<string, SecretKeyRef>();
    const ports = new Set<number>();
    const rendered = new Map<string, number>();
    models.forEach((m, i) => {
      const { entry, keyRef, port } = renderModel(`models[${i}]`, m);
      // Deployments sharing a name are load balancing; identical ones are a copy-paste slip. LiteLLM
      // derives a deployment's id from its name and litellm_params, so both would get the same id.
      const key = canonicalJson(entry);
      const first = rendered.get(key);
      if (first !== undefined) {
        throw new LiteLLMConfigError(`models[${i}]`, m,
          `is identical to models[${first}] (same name and litellm_params after rendering): remove the repeat, `
          + 'or make the deployments differ (e.g. apiBase, apiKey or params) to balance load between them');
      }
      rendered.set(key, i);
      this.config.addModel(entry);
      ports.add(port);
      if (keyRef) keyEnvs.set(secretEnvName(keyRef), keyRef);
    });
    // utils.py get_order_filtered_deployments: once one deployment of a group has an order, those without one serve only while all with one cool down.
    models.forEach((m, i) => {
      const ordered = (d: ModelDeployment): boolean => d.params?.order !== undefined;
      const other = models.findIndex(d => d.name === m.name && ordered(d) !== ordered(m));
      if (ordered(m) && other !== -1) {
        throw new LiteLLMConfigError(`models[${other}].params.order`, undefined,
          `must be set like models[${i}].params.order (both are deployments of "${m.name}"): LiteLLM routes to a deployment without an order `
          + 'only while every deployment of its group that has one is cooling down; give every deployment of the group an order (equal orders balance, higher ones are fallbacks)');
      }
    });
    // A group named like a model would make `models: [name]` ambiguous (LiteLLM reads it as the group).
    const names = new Set(models.map(m => m.name));
    models.forEach((m, i) => {
      const groups: readonly string[] = m.accessGroups ?? [];
      groups.forEach((g, j) => {
        if (names.has(g)) throw new LiteLLMConfigError(`models[${i}].accessGroups[${j}]`, g, 'is also a model name; give the access group a name of its own');
      });
    });
    // One variable per distinct Secret key, however many models share it.
    for (const [envVar, ref] of keyEnvs) this.addSecretEnv(envVar, ref, `models (${ref.name}/${ref.key})`);
    this.addEgress({ peers: [], ports: [...ports].sort((a, b) => a - b), reason: 'model provider endpoints' });
  }

  /**
   * Per-worker admission control. LiteLLM ignores an invalid value (logs and turns the whole
   * feature off, admission_control_middleware.py), so every value is checked here.
   */
  private renderAdmission(props: LiteLLMProxyProps): void {
    const { maxInFlightRequestsPerWorker: inFlight, maxQueuedRequestsPerWorker: queued, admissionQueueTimeoutSeconds: wait } = props;
    if (inFlight === undefined) {
      for (const [prop, value] of [['maxQueuedRequestsPerWorker', queued], ['admissionQueueTimeoutSeconds', wait]] as const) {
        if (value !== undefined) throw new LiteLLMConfigError(prop, value, 'needs maxInFlightRequestsPerWorker: it shapes the queue in front of that limit');
      }
      return;
    }
    const owner = 'maxInFlightRequestsPerWorker';
    this.config.set(ConfigSection.GENERAL_SETTINGS, 'max_in_flight_requests_per_worker', integer(owner, inFlight, 1), owner);
    if (queued !== undefined) this.config.set(ConfigSection.GENERAL_SETTINGS, 'max_queued_requests_per_worker', integer('maxQueuedRequestsPerWorker', queued, 0), 'maxQueuedRequestsPerWorker');
    if (wait !== undefined) this.config.set(ConfigSection.GENERAL_SETTINGS, 'admission_queue_timeout_seconds', positiveNumber('admissionQueueTimeoutSeconds', wait), 'admissionQueueTimeoutSeconds');
  }

  private renderRouter(router: RouterOptions, models: ModelDeployment[]): void {
    const owner = 'router';
    this.config.set(ConfigSection.ROUTER_SETTINGS, 'num_retries', this.numRetries, `${owner}.numRetries`);
    const noRateLimitRetries = !boolean('router.retryRateLimited', router.retryRateLimited ?? false) && this.numRetries > 0;
    if (noRateLimitRetries) {
      // get_retry_from_policy.py: a policy entry for RateLimitError only; every other error falls back to num_retries.
      this.config.set(ConfigSection.ROUTER_SETTINGS, 'retry_policy', { RateLimitErrorRetries: 0 }, `${owner}.retryRateLimited`);
    }
    const strategy = enumValue('router.routingStrategy', router.routingStrategy ?? RoutingStrategy.SIMPLE_SHUFFLE, RoutingStrategy, 'RoutingStrategy');
    this.config.set(ConfigSection.ROUTER_SETTINGS, 'routing_strategy', strategy, `${owner}.routingStrategy`);
    if (router.allowedFails !== undefined) this.config.set(ConfigSection.ROUTER_SETTINGS, 'allowed_fails', integer('router.allowedFails', router.allowedFails, 0), `${owner}.allowedFails`);
    if (router.cooldowns !== undefined && !boolean('router.cooldowns', router.cooldowns)) {
      if (router.cooldownSeconds !== undefined || router.allowedFails !== undefined) {
        throw new LiteLLMConfigError('router.cooldowns', false, 'leave cooldownSeconds and allowedFails unset when cooldowns are off: they tune the cooldowns');
      }
      this.config.set(ConfigSection.ROUTER_SETTINGS, 'disable_cooldowns', true, `${owner}.cooldowns`);
    }
    if (router.cooldownSeconds !== undefined) this.config.set(ConfigSection.ROUTER_SETTINGS, 'cooldown_time', integer('router.cooldownSeconds', router.cooldownSeconds, 0), `${owner}.cooldownSeconds`);
    const hasLimits = models.some(m => m.rpm !== undefined || m.tpm !== undefined);
    const enforce = router.enforceModelRateLimits === undefined ? hasLimits : boolean('router.enforceModelRateLimits', router.enforceModelRateLimits);
    if (enforce && !hasLimits) {
      throw new LiteLLMConfigError('router.enforceModelRateLimits', true, 'needs at least one model with rpm or tpm to enforce');
    }
    // optional_pre_call_checks values: litellm/types/router.py (OptionalPreCallChecks).
    if (enforce) this.config.set(ConfigSection.ROUTER_SETTINGS, 'optional_pre_call_checks', ['enforce_model_rate_limits'], `${owner}.enforceModelRateLimits`);
    if (enforce && noRateLimitRetries) {
      // Every attempt passes the rpm/tpm pre-call check (router_utils/pre_call_checks/model_rate_limit_check.py:
      // increment first), and within the retry loop a RateLimitError is slept on for its Retry-After (60 s) whatever
      // the policy says (router.py async_function_with_retries, _time_to_sleep_before_retry): a limited model is
      // therefore never retried. The policy of a model group replaces retry_policy for it (get_retry_from_policy.py
      // resolve_retry_policy); DefaultRetries covers every exception class.
      const limited = [...new Set(models.filter(m => m.rpm !== undefined || m.tpm !== undefined).map(m => m.name))];
      this.config.set(ConfigSection.ROUTER_SETTINGS, 'model_group_retry_policy', Object.fromEntries(limited.map(name => [name, { DefaultRetries: 0 }])),
        `${owner}.retryRateLimited`);
    }
    this.fallbacks = resolveFallbacks(owner, router.fallbacks, router.defaultFallbacks,
      { names: this.config.modelNames, accessGroups: this.config.accessGroupNames });
    if (hasFallbacks(this.fallbacks)) {
      for (const { key, value } of fallbackSettings(this.fallbacks)) this.config.set(ConfigSection.ROUTER_SETTINGS, key, value, `${owner}.fallbacks`);
    }
  }

  /**
   * Each model group's longest attempt (the proxy's requestTimeoutSeconds, or a
   * deployment's longer timeoutSeconds) and its `order` levels.
   */
  private groupTimings(): GroupTiming[] {
    return this.config.modelNames.map(name => {
      const params = this.config.models.filter(m => m.model_name === name).map(m => m.litellm_params as Record<string, unknown>);
      const timeouts = params.map(p => p.timeout).filter((t): t is number => typeof t === 'number');
      const orders = new Set(params.map(p => p.order).filter(o => o !== undefined && o !== null));
      return { name, perAttemptSeconds: Math.max(this.requestTimeoutSeconds, ...timeouts), orderLevels: Math.max(1, orders.size) };
    });
  }

  private enableMetrics(metrics: ProxyMetrics): ServiceMonitor | undefined {
    const ns = dns1123Label('metrics.prometheusNamespace', metrics.prometheusNamespace ?? 'monitoring');
    this.config.append(ConfigSection.LITELLM_SETTINGS, 'callbacks', 'prometheus', 'metrics');
    // /metrics needs the master key by default (require_auth_for_metrics_endpoint, default true).
    // Prometheus has no key, so the endpoint is opened and the NetworkPolicy admits only
    // Prometheus's namespace to it instead.
    this.config.set(ConfigSection.LITELLM_SETTINGS, 'require_auth_for_metrics_endpoint', false, 'metrics');
    // Redis, PostgreSQL and internal health (litellm_redis_*, litellm_postgres_*, the Redis circuit
    // breaker): only with this service callback (litellm/_service_logger.py,
    // litellm/integrations/prometheus_services.py).
    if (this.serviceMetricsEnabled) this.config.append(ConfigSection.LITELLM_SETTINGS, 'service_callback', 'prometheus_system', 'metrics.serviceMetrics');
    this.metricsPeers.push({ namespace: ns });
    if (!boolean('metrics.serviceMonitor', metrics.serviceMonitor ?? true)) {
      if (metrics.serviceMonitorLabels !== undefined) {
        throw new LiteLLMConfigError('metrics.serviceMonitorLabels', metrics.serviceMonitorLabels, 'label the ServiceMonitor: leave it unset when serviceMonitor is false');
      }
      return undefined;
    }
    const interval = metrics.interval ?? '30s';
    if (!/^\d+(ms|s|m|h)$/.test(interval)) {
      throw new LiteLLMConfigError('metrics.interval', interval, 'must be a Prometheus duration such as "30s" or "1m"');
    }
    const extraLabels = labelMap('metrics.serviceMonitorLabels', metrics.serviceMonitorLabels ?? {});
    return new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: this.name, labels: { ...extraLabels, ...standardLabels(this.name, 'proxy') } },
      spec: {
        selector: { matchLabels: this.podSelector },
        endpoints: [{ port: 'http', path: METRICS_PATH, interval }],
      },
    });
  }

  private addAutoscaler(a: ProxyAutoscaling, minReplicas: number, labels: { [key: string]: string }): k8s.KubeHorizontalPodAutoscalerV2 | ScaledObject {
    const cpu = integer('autoscaling.cpuUtilization', a.cpuUtilization ?? DEFAULTS.cpuUtilization, 1, 100);
    // No memory target unless asked: memory grows per worker with requests served and adding pods never lowers it.
    const memory = a.memoryUtilization === undefined ? undefined : integer('autoscaling.memoryUtilization', a.memoryUtilization, 1, 100);
    const window = integer('autoscaling.scaleDownStabilizationSeconds',
      // 3600 s is the API's maximum (HPAScalingRules.stabilizationWindowSeconds).
      a.scaleDownStabilizationSeconds ?? Math.min(3600, Math.max(300, this.requestTimeoutSeconds)), 0, 3600);
    const behavior = {
      // Remove at most one pod a minute after a quiet window: each removal drains streams.
      scaleDown: { stabilizationWindowSeconds: window, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    };
    const signal = a.signal ?? ScalingSignal.cpu();
    if (!(signal instanceof ScalingSignal)) {
      throw new LiteLLMConfigError('autoscaling.signal', signal, 'must be ScalingSignal.cpu() or ScalingSignal.inFlightRequests({ prometheusUrl })');
    }
    const kind = enumValue('autoscaling.signal.kind', signal.kind, ScalingSignalKind, 'ScalingSignalKind');
    if (kind === ScalingSignalKind.IN_FLIGHT_REQUESTS) {
      const s = resolveInFlight('autoscaling.signal', signal.inFlight);
      if (!this.metricsEnabled) {
        throw new LiteLLMConfigError('autoscaling.signal', 'ScalingSignal.inFlightRequests(...)',
          'needs metrics: the signal is litellm_in_flight_requests on the proxy\'s /metrics/ (give metrics, or use ScalingSignal.cpu())');
      }
      const namespace = Chart.of(this).namespace;
      if (namespace === undefined) {
        throw new LiteLLMConfigError('autoscaling.signal', 'ScalingSignal.inFlightRequests(...)',
          'needs the chart\'s namespace: the Prometheus query selects the proxy\'s pods by it (give the chart or stack a namespace, or use ScalingSignal.cpu())');
      }
      return new ScaledObject(this, 'Autoscaler', {
        metadata: { name: this.name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
          minReplicaCount: minReplicas,
          maxReplicaCount: this.maxReplicas,
          pollingInterval: DEFAULTS.kedaPollingSeconds,
          advanced: {
            // The HPA KEDA creates carries the proxy's name, as ours would (the alerts select it by name).
            horizontalPodAutoscalerConfig: { name: this.name, behavior },
          },
          triggers: [
            {
              type: 'prometheus', name: 'in-flight-per-worker', metricType: 'AverageValue',
              metadata: { serverAddress: s.prometheusUrl, query: inFlightQuery(namespace, this.name, this.workers), threshold: String(s.targetPerWorker) },
            },
            ...(s.cpuBackstop ? [{ type: 'cpu', name: 'cpu-backstop', metricType: 'Utilization', metadata: { value: String(cpu) } }] : []),
            ...(memory !== undefined ? [{ type: 'memory', name: 'memory', metricType: 'Utilization', metadata: { value: String(memory) } }] : []),
          ],
        },
      });
    }
    return new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
      metadata: { name: this.name, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
        minReplicas,
        maxReplicas: this.maxReplicas,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } },
          ...(memory !== undefined ? [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: memory } } }] : []),
        ],
        behavior,
      },
    });
  }

  private renderIngress(): k8s.NetworkPolicyIngressRule[] {
    return [this.ingressPeers, this.metricsPeers]
      .filter(peers => peers.length > 0)
      .map(peers => ({ from: peers.map(renderPeer), ports: renderPorts('port', [this.port]) }));
  }

  /** Egress rules, deduplicated (two models on one port need one rule). */
  private mergedEgress(): EgressRule[] {
    const seen = new Set<string>();
    return this.egressRules.filter(r => {
      const key = JSON.stringify([r.peers, r.ports]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private renderConfig(): string {
    return this.config.render();
  }
}

/** JSON with object keys sorted, so `{ a, b }` and `{ b, a }` compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'object' && v !== null && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]]))
    : v));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
