import { ScalingSignal } from './scaling-signal';
import { ServiceType } from 'cdk8s-plus-28';
import type { GovernanceSettings } from './governance-settings';
import { EgressRule, NetworkPeer } from '../network';
import { SecretKeyRef } from '../secret';
import { IProxyDatabase, IProxyRedis } from './bindings';
import { ProxyCache } from './cache';
import { ExtraConfig } from './config';
import { ModelFallback } from './fallbacks';
import { ModelDeployment } from './model';
import { WorkerSizing } from './workers';

/** LiteLLM's log level (`LITELLM_LOG`). */
export enum LogLevel {
  /** Errors only: the production guide's setting. */
  ERROR = 'ERROR',
  /** Errors and warnings. */
  WARNING = 'WARNING',
  /** Every request, at some CPU cost per request. */
  INFO = 'INFO',
  /** Everything, including request bodies: never in production. */
  DEBUG = 'DEBUG',
}

/** How the router picks a deployment among those sharing a model name (`routing_strategy`, litellm/router.py). */
export enum RoutingStrategy {
  /** Random, weighted by rpm/tpm when given: LiteLLM's recommended default for production. */
  SIMPLE_SHUFFLE = 'simple-shuffle',
  /** The deployment with the fewest requests in flight. */
  LEAST_BUSY = 'least-busy',
  /** The deployment with the most rpm/tpm headroom (reads usage from Redis on every request). */
  USAGE_BASED_ROUTING_V2 = 'usage-based-routing-v2',
  /** The deployment with the lowest recent latency. */
  LATENCY_BASED_ROUTING = 'latency-based-routing',
  /** The cheapest deployment. */
  COST_BASED_ROUTING = 'cost-based-routing',
}

/** How strictly replicas spread across nodes. */
export enum SpreadPolicy {
  /** Prefer different nodes, still schedule on one (`ScheduleAnyway`). */
  PREFERRED = 'preferred',
  /** Keep extra replicas pending rather than share a node (`DoNotSchedule`). */
  REQUIRED = 'required',
}

/** Horizontal autoscaling of the proxy (autoscaling/v2, or KEDA for the in-flight signal). */
export interface ProxyAutoscaling {
  /** Fewest replicas. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /**
   * What the autoscaler follows: CPU (a HorizontalPodAutoscaler), or in-flight
   * requests per worker (a KEDA ScaledObject reading Prometheus; the earlier
   * signal for a gateway that mostly waits on providers).
   * @default ScalingSignal.cpu()
   */
  readonly signal?: ScalingSignal;
  /**
   * Target average CPU utilisation, percent of the request: the signal of
   * `ScalingSignal.cpu()`, the backstop of `ScalingSignal.inFlightRequests()`.
   * Measured (docs/capacity/results.md): a worker's p99 added latency stays
   * within 100 ms up to ~85-90 % of its CPU, so 70 % scales before requests queue.
   * @default 70
   */
  readonly cpuUtilization?: number;
  /**
   * Target average memory utilisation, percent of the request. Off unless
   * given: LiteLLM's memory grows per worker process with the requests it
   * served (litellm#27954, #25219) and adding pods never lowers it, so a
   * memory target scales up and never back down. Guard memory with
   * `memoryLimit` and `maxRequestsBeforeRestart` instead.
   * @default no memory target
   */
  readonly memoryUtilization?: number;
  /**
   * How long the autoscaler waits before removing pods. Long enough that a
   * quiet minute between long streams does not flap the pool.
   * @default the larger of 300 s and requestTimeoutSeconds, at most 3600 s (the API's maximum)
   */
  readonly scaleDownStabilizationSeconds?: number;
}

/** Router behaviour (`router_settings`). */
export interface RouterOptions {
  /** How a deployment is picked among those sharing a model name (`routing_strategy`). @default RoutingStrategy.SIMPLE_SHUFFLE */
  readonly routingStrategy?: RoutingStrategy;
  /**
   * Retries per request (`num_retries`): a request makes numRetries + 1
   * attempts, each up to requestTimeoutSeconds, so this multiplies how long a
   * request can take (the edge and the drain are derived from it). Written
   * explicitly so the agreement counts what LiteLLM does.
   * @default 2 (LiteLLM's own default, router.py)
   */
  readonly numRetries?: number;
  /**
   * Retry requests rejected with a 429, LiteLLM's own or the provider's. Off:
   * a 429 goes back to the client at once
   * (`retry_policy: {RateLimitErrorRetries: 0}`; other errors keep numRetries),
   * and models whose rpm/tpm the router enforces are not retried at all
   * (`model_group_retry_policy: {<model>: {DefaultRetries: 0}}`): every attempt
   * counts against the model's rpm, and an attempt that meets it is answered
   * only after the router slept its Retry-After of 60 s (measured on 1.108.14:
   * a timed-out request on a model with rpm got its 429 after 69 s, having
   * spent 3 of the rpm). On (LiteLLM's default): the router sleeps the Retry-After (up to 60 s)
   * before each retry, so a burst past the in-flight cap LiteLLM derives from a
   * model's rpm waits a minute or two instead of getting its 429 (measured on
   * 1.108.14: of 20 concurrent requests at rpm 5, 8 were held past 60 s;
   * router.py async_function_with_retries), holding a worker slot all along.
   * @default false
   */
  readonly retryRateLimited?: boolean;
  /** Failures per minute before a deployment is cooled down (`allowed_fails`). @default LiteLLM's default (3) */
  readonly allowedFails?: number;
  /** Seconds a failing deployment is taken out of rotation (`cooldown_time`). @default LiteLLM's default (5) */
  readonly cooldownSeconds?: number;
  /**
   * Take a failing deployment out of rotation for `cooldownSeconds`
   * (`disable_cooldowns` when false). Worth it when a model has several
   * deployments; with one, LiteLLM rarely cools it down. Cost while Redis
   * hangs: the cooldown is written through a synchronous client with retries
   * outside the circuit breaker, which stalls that worker for ~7 s per
   * cooldown (measured on 1.108.14; cooldown_cache.py).
   * @default true (LiteLLM's default)
   */
  readonly cooldowns?: boolean;
  /**
   * Reject requests over a deployment's rpm/tpm before calling the provider
   * (`optional_pre_call_checks: [enforce_model_rate_limits]`) instead of only
   * routing around it. @default true when any model has rpm or tpm
   */
  readonly enforceModelRateLimits?: boolean;
  /**
   * Model groups a failed request moves on to, per group and kind of failure
   * (`fallbacks`, `context_window_fallbacks`, `content_policy_fallbacks`).
   * Every group a request can reach is tried with numRetries retries of its
   * own, so each adds a full group's time to the proxy's `nonStreamingBound`
   * (and so to the edge timeout, the drain and the grace period).
   * @default none
   */
  readonly fallbacks?: ModelFallback[];
  /**
   * Model groups every group without `FallbackTrigger.ERRORS` fallbacks of its
   * own moves on to after an error (LiteLLM's `default_fallbacks`, written as
   * the `"*"` entry of `fallbacks`). A group's own fallbacks replace these.
   * @default none
   */
  readonly defaultFallbacks?: string[];
}

/** Prometheus metrics (`/metrics/` with the `prometheus` callback). */
export interface ProxyMetrics {
  /** Serve metrics at all; `false` turns them off (e.g. against a preset that has them). @default true */
  readonly enabled?: boolean;
  /** Emit a prometheus-operator ServiceMonitor. @default true */
  readonly serviceMonitor?: boolean;
  /**
   * Labels on the ServiceMonitor besides the standard ones, e.g. `{ release: 'kube-prometheus-stack' }`
   * for a Prometheus whose `serviceMonitorSelector` matches its Helm release.
   * @default none
   */
  readonly serviceMonitorLabels?: { [key: string]: string };
  /**
   * Annotate the pods with `prometheus.io/scrape`, `prometheus.io/port` and `prometheus.io/path`,
   * for a Prometheus without prometheus-operator that discovers pods by annotation (the
   * `kubernetes-pods` job of the Prometheus Helm chart).
   * @default false
   */
  readonly podAnnotations?: boolean;
  /**
   * LiteLLM's health metrics of Redis, PostgreSQL and its own internals (`litellm_redis_*`,
   * `litellm_postgres_*`, Redis circuit breaker): `litellm_settings.service_callback:
   * [prometheus_system]` (litellm/_service_logger.py). The Redis and database alerts need them.
   * @default true
   */
  readonly serviceMetrics?: boolean;
  /** Namespace Prometheus scrapes from; admitted by the NetworkPolicy on the proxy port. @default 'monitoring' */
  readonly prometheusNamespace?: string;
  /** Scrape interval, a Prometheus duration. @default '30s' */
  readonly interval?: string;
}

/**
 * Every proxy setting but what a {@link LiteLLMStack} wires itself (models,
 * keys, Redis, database, cache, metrics, governance): the stack's `proxy` prop.
 */
export interface LiteLLMProxyOptions {
  /** Base name of every object. @default the construct id, lower-cased */
  readonly name?: string;
  /** Image, pinned by tag or digest. @default `ghcr.io/berriai/litellm-non_root:v1.108.14` (LiteLLMRelease.IMAGE) */
  readonly image?: string;
  /** Registry credentials (names of existing `kubernetes.io/dockerconfigjson` Secrets). @default none */
  readonly imagePullSecrets?: string[];

  /** Fixed replica count. Mutually exclusive with autoscaling. @default 1 */
  readonly replicas?: number;
  /** Horizontal autoscaling; replaces `replicas`. @default none */
  readonly autoscaling?: ProxyAutoscaling;
  /**
   * Per-process limits: without Redis every worker process of every replica
   * counts rpm/tpm and cooldowns on its own, so N processes let N times the
   * limit through. More than one process without `redis` is an error unless
   * this is true.
   * @default false
   */
  readonly acceptPerReplicaLimits?: boolean;

  /** CPU each pod requests; the worker count derives from it. @default '1' */
  readonly cpu?: string;
  /** CPU limit. @default none: throttling a streaming proxy stalls every open stream */
  readonly cpuLimit?: string;
  /**
   * Memory request; at least what the workers need (256Mi + 512Mi per worker, measured).
   * @default 256Mi + 512Mi per worker
   */
  readonly memory?: string;
  /** Memory limit; at least the memory request. @default twice the memory request */
  readonly memoryLimit?: string;
  /** Worker processes per pod. @default WorkerSizing.perCpu() */
  readonly workers?: WorkerSizing;
  /**
   * Recycle a worker after this many requests (`--max_requests_before_restart`),
   * the documented mitigation for memory growth under load (litellm#12685).
   * @default no recycling
   */
  readonly maxRequestsBeforeRestart?: number;

  /** Container and Service port. @default 4000 */
  readonly port?: number;
  /**
   * Longest single attempt at a provider, in seconds
   * (`litellm_settings.request_timeout`). For a stream it bounds each gap
   * between chunks, not the stream. A non-streaming request can take
   * (router.numRetries + 1) attempts of this plus backoff, for every model
   * group it can fall back to: see the proxy's `nonStreamingBound`.
   * @default 600 (the production guide's value)
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * Longest stream, in seconds (`LITELLM_MAX_STREAMING_DURATION_SECONDS`).
   * LiteLLM ends a longer stream itself with an SSE error event
   * ("Stream exceeded max streaming duration", code 408) and no `[DONE]`;
   * a rollout waits for every stream up to this long.
   * @default the non-streaming bound (1983 s with the defaults)
   */
  readonly maxStreamSeconds?: number;
  /**
   * How long a terminating pod lets in-flight requests finish
   * (`GRACEFUL_SHUTDOWN_TIMEOUT`: uvicorn's timeout_graceful_shutdown in
   * 1.108.14, proxy_cli.py). Past it, open streams are cut without an error
   * event, so it must cover both the non-streaming bound and maxStreamSeconds.
   * @default the larger of the two (1983 s with the defaults)
   */
  readonly drainTimeoutSeconds?: number;
  /** Pause before SIGTERM so endpoints stop routing to the pod first. @default 10 */
  readonly preStopSeconds?: number;
  /** Pod grace period. Must exceed preStop + drain + 10 s of process teardown. @default preStop + drain + 15 s */
  readonly terminationGracePeriodSeconds?: number;

  /**
   * Most requests one worker process handles at once
   * (`general_settings.max_in_flight_requests_per_worker`); a stream holds its
   * slot until it ends. Beyond it requests wait in a queue, then get 503 with
   * `Retry-After: 1` (probes and /metrics are exempt; admission_control_middleware.py).
   * The pod's capacity is this × workers.
   * @default no limit
   */
  readonly maxInFlightRequestsPerWorker?: number;
  /** Requests that may wait for a slot per worker (`max_queued_requests_per_worker`); 0 refuses at once. @default maxInFlightRequestsPerWorker (LiteLLM's default) */
  readonly maxQueuedRequestsPerWorker?: number;
  /** Seconds a queued request waits for a slot before its 503 (`admission_queue_timeout_seconds`). @default 1 (LiteLLM's default) */
  readonly admissionQueueTimeoutSeconds?: number;

  /** Router settings. @default LiteLLM's defaults, simple-shuffle */
  readonly router?: RouterOptions;
  /**
   * Prefix of every key this proxy writes into Redis (`<namespace>:<key>`), so
   * that stacks sharing one Redis never share counters, cooldowns or cached
   * responses. Only used with `redis`.
   * @default `<the chart's namespace>/<name>` (LiteLLMStack: `<namespace>/<stack id>`)
   */
  readonly redisNamespace?: string;
  /**
   * Refuse requests (503) whose rate limits cannot be checked because Redis is
   * unreachable, instead of counting them in each process's own memory (which
   * lets processes × the limit through) (`general_settings.fail_closed_rate_limit_enforcement`,
   * hooks/parallel_request_limiter_v3.py). It covers the limits of virtual
   * keys, users, teams, team members, end users and tags (rpm, tpm, parallel
   * requests); a deployment's own `rpm`/`tpm` stays per process while Redis is
   * down. Needs `redis`.
   * @default false: a Redis outage loosens limits but serves traffic
   */
  readonly failClosed?: boolean;
  /** LiteLLM's log level (`LITELLM_LOG`). @default LogLevel.ERROR (production guide) */
  readonly logLevel?: LogLevel;

  /**
   * Who may connect to the proxy port. Kubelet probes are not affected.
   * @default pods of the proxy's own namespace
   */
  readonly allowFrom?: NetworkPeer[];
  /** Further egress (e.g. an in-cluster model server). Provider endpoints from `models` are opened automatically. @default none */
  readonly extraEgress?: EgressRule[];
  /** Service type: ClusterIP, NodePort or LoadBalancer. @default ServiceType.CLUSTER_IP */
  readonly serviceType?: ServiceType;
  /** How strictly replicas spread across nodes. @default SpreadPolicy.PREFERRED */
  readonly spread?: SpreadPolicy;

  /** Plain, non-secret environment variables. @default none */
  readonly env?: { [name: string]: string };
  /** Environment variables from Secret keys. @default none */
  readonly secretEnv?: { [name: string]: SecretKeyRef };
  /** config.yaml keys not modelled yet; a key a typed prop sets is refused. @default none */
  readonly extraConfig?: ExtraConfig;
}

/** Props of {@link LiteLLMProxy}. */
export interface LiteLLMProxyProps extends LiteLLMProxyOptions {
  /** The model deployments (`model_list`). At least one. */
  readonly models: ModelDeployment[];
  /** The admin master key (`general_settings.master_key`), from an existing Secret. LiteLLM requires the value to start with `sk-` (the library never sees it). */
  readonly masterKey: SecretKeyRef;
  /**
   * Key that encrypts provider credentials stored in the database
   * (`LITELLM_SALT_KEY`). Never change it once models are stored.
   * @default none (LiteLLM falls back to the master key)
   */
  readonly saltKey?: SecretKeyRef;
  /** Shared Redis for rate limits, cooldowns and the cache (a `RedisInstance` or `ExternalRedis`). @default none */
  readonly redis?: IProxyRedis;
  /** Response caching in Redis; needs `redis`. @default off */
  readonly cache?: ProxyCache;
  /** Database for virtual keys, teams and budgets (an `ExternalPostgres` or `CloudNativePgDatabase`). @default none */
  readonly database?: IProxyDatabase;
  /**
   * Governance settings (key defaults and limits, budgets, priorities); need `database`.
   * With a database the proxy sets `databaseConnectionPoolLimit` to the largest pool
   * (at most LiteLLM's 10) with which every worker of every pod, a rollout's surge pod
   * and the migration fit the database, unless given here.
   * @default none
   */
  readonly governance?: GovernanceSettings;
  /** Prometheus metrics. @default off */
  readonly metrics?: ProxyMetrics;
  /**
   * Stop the proxy without removing it: the Deployment at 0 replicas, no autoscaler (it would
   * scale it back up) and no disruption budget; everything else, config.yaml included, stays as
   * it would run, so resuming changes the replica count only.
   * @default false
   */
  readonly paused?: boolean;
}
