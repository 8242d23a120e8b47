import { stackEdge, buildEdge } from '../support/edges';
import { ApiObject, Chart, Testing } from 'cdk8s';
import {
  CloudNativePgDatabase, CloudNativePgDatabaseProps, Edge, ExternalPostgres, GatewayImplementation, GitOpsApp, GitOpsArgoCdOptions, ExternalPostgresProps, ExternalRedis, ExternalRedisProps,
  GovernanceSettings, LiteLLMConfigError, LiteLLMFleet, LiteLLMFleetProps, LiteLLMProxy, LiteLLMProxyProps, LiteLLMStack, LiteLLMStackProps, MigrationJob,
  MigrationJobProps, PostgresServer, PostgresServerProps, PriorityShare, Presets, RedisInstance, RedisInstanceProps, ScalingSignal, WorkerSizing,
} from '../../lib';
import { EdgeCase } from '../support/edges';
import { expectNoCredential } from '../support/expectations';

/**
 * The bad-input catalogue (issue 8): one row per invalid configuration, across
 * every construct. Each must end in LiteLLMConfigError at synth time naming
 * the prop, the value received and what is allowed; never a TypeError, never
 * a manifest the cluster rejects later. Values differ from the per-construct
 * tests on purpose: the catalogue widens what is checked.
 */

interface BadInput {
  /** The construct the input is given to. */
  readonly construct: 'LiteLLMStack' | 'LiteLLMProxy' | 'RedisInstance' | 'ExternalRedis' | 'ingress-nginx' | 'nginx-inc' | 'traefik' | 'gateway-api'
    | 'ExternalPostgres' | 'CloudNativePgDatabase' | 'MigrationJob' | 'governance' | 'PostgresServer' | 'LiteLLMFleet'
    /** A check across the whole App (several stacks). */
    | 'App';
  /** What is wrong, as a user would put it. */
  readonly mistake: string;
  /** Builds and synthesizes the configuration. */
  readonly build: () => unknown;
  /** LiteLLMConfigError.prop. */
  readonly prop: string;
  /** The whole message: prop, value received, what is allowed. */
  readonly message: RegExp;
  /** The construct path the message names, where the row is about which stack is blamed. @default not checked */
  readonly path?: string;
}

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai'), rpm: 100 }];
const masterKey = secret('litellm-master', 'master-key');
const chart = (): Chart => new Chart(Testing.app(), 'test', { namespace: 'llm', disableResourceNameHashes: true });
const synthAll = (c: Chart): unknown => Testing.synth(c);

const stack = (props: Partial<LiteLLMStackProps>) => () =>
  Testing.synth(new LiteLLMStack(Testing.app(), 'stack', {
    namespace: 'llm', models, masterKey, redis: { password: secret('redis-auth', 'password') }, ...props,
  } as LiteLLMStackProps));
const proxy = (props: Partial<LiteLLMProxyProps>) => () => {
  const c = chart();
  new LiteLLMProxy(c, 'litellm', { models, masterKey, ...props } as LiteLLMProxyProps);
  return synthAll(c);
};
const redisInstance = (props: Partial<RedisInstanceProps>) => () => {
  const c = chart();
  new RedisInstance(c, 'redis', { password: secret('redis-auth', 'password'), ...props } as RedisInstanceProps);
  return synthAll(c);
};
const externalRedis = (props: ExternalRedisProps | Record<string, unknown>) => () => {
  const c = chart();
  new ExternalRedis(c, 'redis', props as ExternalRedisProps);
  return synthAll(c);
};
/** An edge for one controller in front of a default proxy (request timeout 600 s), or the proxy given. */
const edge = (options: EdgeCase, proxyProps: Partial<LiteLLMProxyProps> = {}) => () => {
  const c = chart();
  const p = new LiteLLMProxy(c, 'litellm', { models, masterKey, ...proxyProps } as LiteLLMProxyProps);
  buildEdge(c, 'edge', p, { hosts: ['llm.example.com'], ...options });
  return synthAll(c);
};
const gateway = { name: 'public', namespace: 'gateway' };
const externalPostgres = (props: ExternalPostgresProps | Record<string, unknown>) => () => new ExternalPostgres(props as ExternalPostgresProps);
const cnpg = (props: CloudNativePgDatabaseProps | Record<string, unknown>) => () => {
  const c = chart();
  new CloudNativePgDatabase(c, 'db', props as CloudNativePgDatabaseProps);
  return synthAll(c);
};
const migration = (job: Partial<MigrationJobProps>, mismatched = false) => () => {
  const c = chart();
  const database = new ExternalPostgres({ url: secret('litellm-db', 'url') });
  const p = new LiteLLMProxy(c, 'litellm', { models, masterKey, database });
  new MigrationJob(c, 'migrations', { proxy: p, database: mismatched ? new ExternalPostgres({ url: secret('other-db', 'url') }) : database, ...job });
  return synthAll(c);
};
/** Governance settings on a proxy with a database (maxConnections 5000), or without one. */
const governance = (settings: GovernanceSettings | Record<string, unknown>, withDatabase = true, maxConnections = 5000) => () => {
  const c = chart();
  const database = withDatabase ? new ExternalPostgres({ url: secret('litellm-db', 'url'), maxConnections }) : undefined;
  new LiteLLMProxy(c, 'litellm', { models, masterKey, database, cpu: '2', replicas: 3, acceptPerReplicaLimits: true, governance: settings as GovernanceSettings });
  return synthAll(c);
};

const BAD_INPUTS: BadInput[] = [
  // --- LiteLLMStack -------------------------------------------------------------------------------------------
  { construct: 'LiteLLMStack', mistake: 'namespace with a dot', build: stack({ namespace: 'team.llm' }), prop: 'namespace',
    message: /^namespace: received "team\.llm"; must be a DNS-1123 label: lower-case letters, digits and '-'.*at most 63 characters$/ },
  { construct: 'LiteLLMStack', mistake: 'namespace missing', build: stack({ namespace: undefined }), prop: 'namespace',
    message: /^namespace: received undefined; must be a DNS-1123 label/ },
  { construct: 'LiteLLMStack', mistake: 'external Redis and in-cluster Redis settings together',
    build: stack({ redis: { external: { host: 'cache.example.com' }, password: secret('redis-auth', 'password'), inCluster: { memory: '1Gi' } } }), prop: 'redis',
    message: /^redis: received .*; give either redis\.external, or redis\.password\/inCluster for an in-cluster Redis, not both$/ },
  { construct: 'LiteLLMStack', mistake: 'in-cluster Redis memory below the floor', build: stack({ redis: { password: secret('redis-auth', 'password'), inCluster: { memory: '48Mi' } } }),
    prop: 'redis.inCluster.memory', message: /^redis\.inCluster\.memory: received "48Mi"; must be at least 64Mi: maxmemory is 75% of it/ },
  { construct: 'LiteLLMStack', mistake: 'database of both kinds', build: stack({ database: { external: { url: secret('db', 'url') }, cloudNativePg: { instances: 3 } } }),
    prop: 'database', message: /^database: received .*; give exactly one of database\.external or database\.cloudNativePg$/ },
  { construct: 'LiteLLMStack', mistake: 'budgets without a database', build: stack({ governance: { proxyBudget: { maxBudget: 500, budgetDuration: '30d' } } }),
    prop: 'governance', message: /^governance: received .*; governance \(virtual keys, teams, budgets\) needs `database`: LiteLLM keeps keys and spend in Postgres$/ },
  { construct: 'LiteLLMStack', mistake: 'production preset, plain-HTTP nginx-inc edge', build: stack({ ...stackEdge({ controller: 'nginx-inc', hosts: ['llm.example.com'] }) }),
    prop: 'edge.tls', message: /^edge\.tls: received undefined; the "cluster: .*" preset serves over TLS: give tls \{ secretName \} or \{ clusterIssuer \}, or use a preset with requireTls: false$/ },
  { construct: 'LiteLLMStack', mistake: 'preset given by name', build: stack({ preset: 'edge' as any }), prop: 'preset',
    message: /^preset: received "edge"; must be a plain object$/ },
  { construct: 'LiteLLMStack', mistake: 'preset cpu not a quantity', build: stack({ preset: { ...Presets.edge(), cpu: '2 cores' } }), prop: 'preset.cpu',
    message: /^preset\.cpu: received "2 cores"; must be a CPU quantity such as "500m", "1" or "2\.5"$/ },
  { construct: 'LiteLLMStack', mistake: 'production preset without Redis, no consent', build: stack({ preset: { ...Presets.production(), inClusterRedis: false }, redis: undefined }),
    prop: 'preset.autoscaling.maxReplicas', message: /^preset\.autoscaling\.maxReplicas: received 6; 6 replica\(s\) x 2 worker\(s\) = 12 processes need `redis`.*acceptPerReplicaLimits: true/ },
  { construct: 'LiteLLMStack', mistake: 'production preset, external Redis without a password (issue 16)',
    build: stack({ redis: { external: { host: 'cache.example.com' } } }), prop: 'redis.external.password',
    message: /^redis\.external\.password: received undefined; an external Redis needs AUTH: give password as a Secret reference \{ name, key \}, or set allowNoAuth: true \(redis\.external\.allowNoAuth in a LiteLLMStack\) for a Redis that nothing but these pods can reach/ },
  { construct: 'LiteLLMStack', mistake: 'proxy name leaving no room for the Redis name', build: stack({ proxy: { name: 'gateway-'.repeat(5) + 'abcdefg' } }), prop: 'proxy.name',
    message: /^proxy\.name: received "(gateway-){5}abcdefg"; must be at most 46 characters here: the stack names the in-cluster redis "(gateway-){5}abcdefg-redis", which must fit 52$/ },
  { construct: 'LiteLLMStack', mistake: 'proxy.replicas and proxy.autoscaling together', build: stack({ proxy: { replicas: 2, autoscaling: { maxReplicas: 4 } } }),
    prop: 'proxy.replicas', message: /^proxy\.replicas: received 2; leave replicas unset when autoscaling is given: the autoscaler owns the count$/ },

  // --- LiteLLMProxy -------------------------------------------------------------------------------------------
  { construct: 'LiteLLMProxy', mistake: 'cpu with a space before the unit', build: proxy({ cpu: '250 m' }), prop: 'cpu',
    message: /^cpu: received "250 m"; must be a CPU quantity/ },
  { construct: 'LiteLLMProxy', mistake: 'more fixed workers than CPUs', build: proxy({ cpu: '2', workers: WorkerSizing.fixed(3), acceptPerReplicaLimits: true }), prop: 'workers',
    message: /^workers: received 3; at most 2 worker\(s\) for a CPU request of 2: a worker is one busy process/ },
  { construct: 'LiteLLMProxy', mistake: 'in-flight scaling without a Prometheus URL',
    build: proxy({ metrics: {}, autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'prometheus:9090' }) }, redis: undefined, acceptPerReplicaLimits: true }),
    prop: 'autoscaling.signal.prometheusUrl', message: /^autoscaling\.signal\.prometheusUrl: received "prometheus:9090"; must use http or https, e\.g\. "http:\/\/prometheus-operated/ },
  { construct: 'LiteLLMProxy', mistake: 'in-flight scaling with credentials in the Prometheus URL',
    build: proxy({ metrics: {}, autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://admin:hunter2@prometheus:9090' }) }, acceptPerReplicaLimits: true }),
    prop: 'autoscaling.signal.prometheusUrl', message: /^autoscaling\.signal\.prometheusUrl: received \(a URL with credentials, hidden\); must not embed credentials.*TriggerAuthentication/ },
  { construct: 'LiteLLMProxy', mistake: 'in-flight target below one request per worker',
    build: proxy({ metrics: {}, autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prometheus:9090', targetPerWorker: 0.5 }) }, acceptPerReplicaLimits: true }),
    prop: 'autoscaling.signal.targetPerWorker', message: /^autoscaling\.signal\.targetPerWorker: received 0\.5; must be at least 1: .*the default is 10\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'in-flight scaling with metrics off',
    build: proxy({ autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prometheus:9090' }) }, acceptPerReplicaLimits: true }),
    prop: 'autoscaling.signal', message: /^autoscaling\.signal: received "ScalingSignal\.inFlightRequests\(\.\.\.\)"; needs metrics: the signal is litellm_in_flight_requests/ },
  { construct: 'LiteLLMProxy', mistake: 'a memory target above 100 %',
    build: proxy({ autoscaling: { maxReplicas: 4, memoryUtilization: 120 }, acceptPerReplicaLimits: true }),
    prop: 'autoscaling.memoryUtilization', message: /^autoscaling\.memoryUtilization: received 120; / },
  { construct: 'LiteLLMProxy', mistake: 'request timeout longer than a day', build: proxy({ requestTimeoutSeconds: 90000 }), prop: 'requestTimeoutSeconds',
    message: /^requestTimeoutSeconds: received 90000; must be an integer from 1 to 86400$/ },
  { construct: 'LiteLLMProxy', mistake: 'grace period equal to preStop + drain + teardown',
    build: proxy({ requestTimeoutSeconds: 120, router: { numRetries: 0 }, preStopSeconds: 5, terminationGracePeriodSeconds: 135 }), prop: 'terminationGracePeriodSeconds',
    message: /^terminationGracePeriodSeconds: received 135; must exceed preStopSeconds \+ drainTimeoutSeconds \+ 10 s of process teardown \(5 \+ 120 \+ 10 = 135\)/ },
  { construct: 'LiteLLMProxy', mistake: 'drain shorter than the slowest non-streaming request', build: proxy({ requestTimeoutSeconds: 900, drainTimeoutSeconds: 300 }),
    prop: 'drainTimeoutSeconds',
    message: /^drainTimeoutSeconds: received 300; must be at least 2883 s: a terminating pod must let the slowest non-streaming request finish \(3 attempt\(s\) × 900 s \+ 182\.25 s backoff = 2883 s\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'drain shorter than the longest stream', build: proxy({ maxStreamSeconds: 3600, drainTimeoutSeconds: 1983 }),
    prop: 'drainTimeoutSeconds', message: /^drainTimeoutSeconds: received 1983; must be at least 3600 s: a terminating pod must let the longest stream LiteLLM allows finish/ },
  { construct: 'LiteLLMProxy', mistake: 'retries × timeout over a day', build: proxy({ requestTimeoutSeconds: 86400, router: { numRetries: 1 } }),
    prop: 'requestTimeoutSeconds', message: /^requestTimeoutSeconds: received 86400; a non-streaming request could take 2 attempt\(s\) × 86400 s \+ 121\.5 s backoff = 172922 s, more than a day/ },
  { construct: 'LiteLLMProxy', mistake: 'worker recycling with a single worker', build: proxy({ cpu: '1', maxRequestsBeforeRestart: 1000 }),
    prop: 'maxRequestsBeforeRestart', message: /^maxRequestsBeforeRestart: received 1000; needs at least 2 workers per pod \(this pod runs 1\)/ },
  { construct: 'LiteLLMProxy', mistake: 'retry backoff changed through env', build: proxy({ env: { MAX_RETRY_DELAY: '60' } }),
    prop: 'env.MAX_RETRY_DELAY', message: /^env\.MAX_RETRY_DELAY: received "MAX_RETRY_DELAY"; not settable: it changes the retry backoff/ },
  { construct: 'LiteLLMProxy', mistake: 'master key as a literal', build: proxy({ masterKey: 'sk-1234567890abcdef' as any }), prop: 'masterKey',
    message: /^masterKey: received \(a literal string, hidden\)/ },
  { construct: 'LiteLLMProxy', mistake: 'env variable the construct owns', build: proxy({ env: { DATABASE_URL: 'postgresql://db' } }), prop: 'env.DATABASE_URL',
    message: /^env\.DATABASE_URL: received .*/ },
  { construct: 'LiteLLMProxy', mistake: 'response cache without Redis', build: proxy({ cache: { ttlSeconds: 60 } }), prop: 'cache',
    message: /^cache: received \{"ttlSeconds":60\}; response caching needs `redis`/ },
  { construct: 'LiteLLMProxy', mistake: 'model without a provider prefix', build: proxy({ models: [{ name: 'mistral', model: 'mistral-large' }] }), prop: 'models[0].model',
    message: /^models\[0\]\.model: received "mistral-large"; / },
  { construct: 'LiteLLMProxy', mistake: 'Slack webhook URL in extraConfig.environmentVariables (issue 16)',
    build: proxy({ extraConfig: { environmentVariables: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX' } } }),
    prop: 'extraConfig.environmentVariables.SLACK_WEBHOOK_URL',
    message: /^extraConfig\.environmentVariables\.SLACK_WEBHOOK_URL: received \(a literal value, hidden\); environment_variables becomes the proxy's process environment and its values would be written into the ConfigMap: set a plain value with the proxy's env prop \(env: \{ SLACK_WEBHOOK_URL: '\.\.\.' \}\) or a credential with secretEnv \(secretEnv: \{ SLACK_WEBHOOK_URL: \{ name, key \} \}, a Secret reference\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'Slack webhook URL as general_settings.alerting_webhook (issue 16)',
    build: proxy({ extraConfig: { generalSettings: { alerting: ['slack'], alerting_webhook: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX' } } }),
    prop: 'extraConfig.generalSettings.alerting_webhook',
    message: /^extraConfig\.generalSettings\.alerting_webhook: received \(a literal value, hidden\); credentials must be `os\.environ\/NAME` references whose variable comes from a Secret \(add the variable with secretEnv: \{ NAME: \{ name, key \} \}\); this value looks like a Slack webhook URL, whose path is the credential$/ },
  { construct: 'LiteLLMProxy', mistake: 'Teams webhook URL in a model param (issue 16)',
    build: proxy({ models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', params: { metadata: { notify: 'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d' } } }] }),
    prop: 'models[0].params.metadata.notify',
    message: /^models\[0\]\.params\.metadata\.notify: received \(a literal value, hidden\); credentials must be `os\.environ\/NAME` references .*; this value looks like a Microsoft Teams webhook URL, whose path is the credential$/ },
  { construct: 'LiteLLMProxy', mistake: 'user:password@ URL in extraConfig (issue 16)',
    build: proxy({ extraConfig: { litellmSettings: { proxy_url: 'http://litellm:hunter2@egress.example.com:3128' } } }), prop: 'extraConfig.litellmSettings.proxy_url',
    message: /^extraConfig\.litellmSettings\.proxy_url: received \(a literal value, hidden\); credentials must be `os\.environ\/NAME` references .*; this value looks like a URL with a password in its user part$/ },
  { construct: 'LiteLLMProxy', mistake: 'token in a query parameter of apiBase (issue 16)',
    build: proxy({ models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiBase: 'https://llm.example.com/v1?access_token=abc123' }] }), prop: 'models[0].apiBase',
    message: /^models\[0\]\.apiBase: received \(a value that looks like a credential, hidden\); credentials belong in apiKey as a Secret reference \(this value looks like a URL with a credential in its query \("access_token="\)\)/ },
  { construct: 'LiteLLMProxy', mistake: 'Discord webhook URL as a plain env value (issue 16)',
    build: proxy({ env: { ALERTS_URL: 'https://discord.com/api/webhooks/123456789012345678/AbCdEf' } }), prop: 'env.ALERTS_URL',
    message: /^env\.ALERTS_URL: received \(a literal value, hidden\); credentials must come from a Secret: move this variable to secretEnv with a \{ name, key \} reference \(this value looks like a Discord webhook URL, whose path is the credential\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'invalid label value in allowFrom podLabels (issue 16)',
    build: proxy({ allowFrom: [{ namespace: 'apps', podLabels: { app: 'b c' } }] }), prop: 'allowFrom[0].podLabels.app',
    message: /^allowFrom\[0\]\.podLabels\.app: received "b c"; must be a label value: at most 63 letters, digits, '-', '_' or '\.', starting and ending with a letter or digit \(or empty\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'the same model entry twice (issue 16)',
    build: proxy({ models: [...models, { name: 'claude', model: 'anthropic/claude-sonnet-4-5' }, { ...models[0] }] }), prop: 'models[2]',
    message: /^models\[2\]: received \{"name":"gpt-4o",.*\}; is identical to models\[0\] \(same name and litellm_params after rendering\): remove the repeat, or make the deployments differ/ },
  { construct: 'LiteLLMProxy', mistake: 'name that starts with a digit (the Service carries it)', build: proxy({ name: '1st-gateway' }), prop: 'name',
    message: /^name: received "1st-gateway"; must be a DNS-1123 label that starts with a letter \(RFC 1035, as Service names must\).*at most 47 characters; it starts with a digit$/ },
  { construct: 'LiteLLMProxy', mistake: 'metrics interval in words', build: proxy({ metrics: { interval: 'every 30s' } }), prop: 'metrics.interval',
    message: /^metrics\.interval: received "every 30s"; must be a Prometheus duration such as "30s" or "1m"$/ },

  // --- RedisInstance ------------------------------------------------------------------------------------------
  { construct: 'RedisInstance', mistake: 'Redis 6', build: redisInstance({ image: 'docker.io/library/redis:6.2.14-alpine' }), prop: 'image',
    message: /^image: received "docker\.io\/library\/redis:6\.2\.14-alpine"; must be Redis 7\.0 or newer/ },
  { construct: 'RedisInstance', mistake: 'rolling major tag', build: redisInstance({ image: 'redis:7-alpine' }), prop: 'image',
    message: /^image: received "redis:7-alpine"; must be pinned to a Redis release tag "X\.Y\.Z" or "X\.Y\.Z-variant".*"7-alpine" moves between releases$/ },
  { construct: 'RedisInstance', mistake: 'privileged port', build: redisInstance({ port: 637 }), prop: 'port',
    message: /^port: received 637; must be an integer from 1024 to 65535$/ },
  { construct: 'RedisInstance', mistake: 'AOF volume too small', build: redisInstance({ memory: '1Gi', persistence: { size: '2Gi' } }), prop: 'persistence.size',
    message: /^persistence\.size: received "2Gi"; must be at least .* \(3 x maxmemory .*\)/ },
  { construct: 'RedisInstance', mistake: 'name too long for StatefulSet revision labels', build: redisInstance({ name: 'r'.repeat(53) }), prop: 'name',
    message: /^name: received "r{53}"; must be a DNS-1123 label.*at most 52 characters$/ },
  { construct: 'RedisInstance', mistake: 'CPU limit below request', build: redisInstance({ cpu: '500m', cpuLimit: '250m' }), prop: 'cpuLimit',
    message: /^cpuLimit: received "250m"; must be at least the CPU request \(500m\)$/ },

  // --- ExternalRedis ------------------------------------------------------------------------------------------
  { construct: 'ExternalRedis', mistake: 'a redis:// URL as host', build: externalRedis({ host: 'rediss://cache.example.com:6380' }), prop: 'host',
    message: /^host: received "rediss:\/\/cache\.example\.com:6380"; must be a host name or IP address.*no scheme, port or path/ },
  { construct: 'ExternalRedis', mistake: 'ACL user without password', build: externalRedis({ host: 'cache.example.com', username: 'litellm' }), prop: 'username',
    message: /^username: received "litellm"; an ACL user needs a password; set password too$/ },
  { construct: 'ExternalRedis', mistake: 'cluster and sentinel together',
    build: externalRedis({ cluster: { nodes: [{ host: 'a.example.com' }] }, sentinel: { nodes: [{ host: 's.example.com' }], masterName: 'm' } }), prop: 'sentinel',
    message: /^sentinel: received .*; a Redis is either a cluster or behind sentinels, not both$/ },
  { construct: 'ExternalRedis', mistake: 'host beside cluster nodes', build: externalRedis({ host: 'cache.example.com', cluster: { nodes: [{ host: 'a.example.com' }] } }), prop: 'host',
    message: /^host: received "cache\.example\.com"; leave host unset with cluster: the addresses come from cluster\.nodes$/ },
  { construct: 'ExternalRedis', mistake: 'the same sentinel twice',
    build: externalRedis({ sentinel: { nodes: [{ host: 's1.example.com' }, { host: 'S1.example.com', port: 26379 }], masterName: 'mymaster' } }), prop: 'sentinel.nodes[1]',
    message: /^sentinel\.nodes\[1\]: received "s1\.example\.com:26379"; nodes must be unique/ },
  { construct: 'ExternalRedis', mistake: 'sentinel without a master name', build: externalRedis({ sentinel: { nodes: [{ host: 's1.example.com' }], masterName: ' ' } }),
    prop: 'sentinel.masterName', message: /^sentinel\.masterName: received " "; must be a non-empty string$/ },
  { construct: 'ExternalRedis', mistake: 'allowNoAuth beside a password', build: externalRedis({ host: 'cache.example.com', password: secret('redis-auth', 'password'), allowNoAuth: true }),
    prop: 'allowNoAuth', message: /^allowNoAuth: received true; contradicts password: leave allowNoAuth unset when the Redis has a password$/ },
  { construct: 'ExternalRedis', mistake: 'cidr without prefix length', build: externalRedis({ host: 'cache.example.com', cidr: '10.40.0.0' }), prop: 'cidr.cidr',
    message: /^cidr\.cidr: received "10\.40\.0\.0"; must be an IPv4 or IPv6 CIDR/ },

  // --- edges ---------------------------------------------------------------------------------------------------
  { construct: 'ingress-nginx', mistake: 'body size in MB', build: edge({ controller: 'ingress-nginx', maxRequestBodySize: '50MB' }), prop: 'maxRequestBodySize',
    message: /^maxRequestBodySize: received "50MB"; must be a size such as "10m", "512k" or "1g"/ },
  { construct: 'ingress-nginx', mistake: 'edge gives up before the proxy', build: edge({ controller: 'ingress-nginx', streamIdleTimeoutSeconds: 300 }), prop: 'streamIdleTimeoutSeconds',
    message: /^streamIdleTimeoutSeconds: received 300; must be at least 1983 s: a non-streaming response is silent until the proxy is done, retries included, and a shorter edge timeout cuts it \(3 attempt\(s\) × 600 s \+ 182\.25 s backoff = 1983 s\)$/ },
  { construct: 'gateway-api', mistake: 'a total cap shorter than the longest stream',
    build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'envoy-gateway-system', streamIdleTimeoutSeconds: 2500 } as any, { maxStreamSeconds: 3600, drainTimeoutSeconds: 3600 }),
    prop: 'streamIdleTimeoutSeconds', message: /^streamIdleTimeoutSeconds: received 2500; must be at least 3600 s: on Gateway API the timeout caps a whole response/ },
  { construct: 'ingress-nginx', mistake: 'connect timeout above nginx\'s 75 s', build: edge({ controller: 'ingress-nginx', connectTimeoutSeconds: 120 }), prop: 'connectTimeoutSeconds',
    message: /^connectTimeoutSeconds: received 120; must be an integer from 1 to 75$/ },
  { construct: 'ingress-nginx', mistake: 'an IP address as host (issue 16)', build: edge({ controller: 'ingress-nginx', hosts: ['203.0.113.10'] }), prop: 'hosts[0]',
    message: /^hosts\[0\]: received "203\.0\.113\.10"; must be a DNS host name, not an IP address: Ingress rules, HTTPRoute hostnames and Traefik Host\(\) rules match names only/ },
  { construct: 'ingress-nginx', mistake: 'invalid label value in controllerPodLabels (issue 16)',
    build: edge({ controller: 'ingress-nginx', controllerPodLabels: { 'app.kubernetes.io/name': 'bad value!' } }), prop: 'controllerPodLabels.app.kubernetes.io/name',
    message: /^controllerPodLabels\.app\.kubernetes\.io\/name: received "bad value!"; must be a label value: at most 63 letters/ },
  { construct: 'nginx-inc', mistake: 'an IP address as host (issue 16)', build: edge({ controller: 'nginx-inc', hosts: ['llm.example.com', '203.0.113.11'] }), prop: 'hosts[1]',
    message: /^hosts\[1\]: received "203\.0\.113\.11"; must be a DNS host name, not an IP address/ },
  { construct: 'nginx-inc', mistake: 'label key with a space in controllerPodLabels', build: edge({ controller: 'nginx-inc', controllerPodLabels: { 'app name': 'nginx' } }),
    prop: 'controllerPodLabels', message: /^controllerPodLabels: received "app name"; label keys must be qualified names: an optional DNS-1123 subdomain prefix and '\/'/ },
  { construct: 'nginx-inc', mistake: 'redirect to HTTPS without TLS', build: edge({ controller: 'nginx-inc', redirectHttpToHttps: true }), prop: 'redirectHttpToHttps',
    message: /^redirectHttpToHttps: received true; needs `tls`/ },
  { construct: 'nginx-inc', mistake: 'both issuer kinds', build: edge({ controller: 'nginx-inc', tls: { clusterIssuer: 'letsencrypt', issuer: 'local-ca' } }), prop: 'tls',
    message: /^tls: received .*; give either clusterIssuer or issuer, not both$/ },
  { construct: 'nginx-inc', mistake: 'empty source allow-list', build: edge({ controller: 'nginx-inc', allowSourceRanges: [] }), prop: 'allowSourceRanges',
    message: /^allowSourceRanges: received .*; must list at least one CIDR, or be left unset to admit everyone$/ },
  { construct: 'traefik', mistake: 'body limit (only via buffering)', build: edge({ controller: 'traefik', maxRequestBodySize: '20m' }), prop: 'maxRequestBodySize',
    message: /^maxRequestBodySize: received "20m"; not supported on traefik: / },
  { construct: 'traefik', mistake: 'single-label host', build: edge({ controller: 'traefik', hosts: ['litellm'] }), prop: 'hosts[0]',
    message: /^hosts\[0\]: received "litellm"; must be a fully qualified host name such as "llm\.example\.com"$/ },
  { construct: 'traefik', mistake: 'relative path', build: edge({ controller: 'traefik', path: 'v1' }), prop: 'path',
    message: /^path: received "v1"; must be an absolute URL path such as "\/" or "\/v1"/ },
  { construct: 'traefik', mistake: 'the same host twice', build: edge({ controller: 'traefik', hosts: ['llm.example.com', 'llm.example.com'] }), prop: 'hosts[1]',
    message: /^hosts\[1\]: received "llm\.example\.com"; host names must be unique/ },
  { construct: 'gateway-api', mistake: 'an IPv6 address as hostname', build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'eg', hosts: ['2001:db8::10'] }),
    prop: 'hosts[0]', message: /^hosts\[0\]: received "2001:db8::10"; must be a DNS host name, not an IP address/ },
  { construct: 'gateway-api', mistake: 'TLS on the route', build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'envoy-gateway-system', tls: { secretName: 'llm-tls' } }),
    prop: 'tls', message: /^tls: received \{"secretName":"llm-tls"\}; not supported on gateway-api: TLS terminates on the Gateway listener/ },
  { construct: 'gateway-api', mistake: 'no data-plane namespace', build: edge({ controller: 'gateway-api', gateway }), prop: 'controllerNamespace',
    message: /^controllerNamespace: received undefined; required on gateway-api: the namespace of the pods that proxy traffic/ },
  { construct: 'gateway-api', mistake: 'no Gateway', build: edge({ controller: 'gateway-api', controllerNamespace: 'envoy-gateway-system' }), prop: 'gateway',
    message: /^gateway: received undefined; must name the existing Gateway: \{ name, namespace\?, sectionName\? \}$/ },
  { construct: 'gateway-api', mistake: 'redirect listener equal to the serving one',
    build: edge({ controller: 'gateway-api', controllerNamespace: 'eg', redirectHttpToHttps: true, gateway: { ...gateway, sectionName: 'web', httpSectionName: 'web' } }),
    prop: 'gateway.httpSectionName', message: /^gateway\.httpSectionName: received "web"; must differ from gateway\.sectionName/ },
  { construct: 'gateway-api', mistake: 'an ingress class on a route', build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'eg', ingressClassName: 'nginx' }),
    prop: 'ingressClassName', message: /^ingressClassName: received "nginx"; not supported on gateway-api: the Gateway's gatewayClassName picks the implementation/ },

  // --- ExternalPostgres -------------------------------------------------------------------------------------
  { construct: 'ExternalPostgres', mistake: 'URL and parts together', build: externalPostgres({ url: secret('db', 'url'), host: 'db.example.com' }), prop: 'database.url',
    message: /^database\.url: received .*; give either `url` or the parts \(`host`, `database`, `username`, `password`\), not both$/ },
  { construct: 'ExternalPostgres', mistake: 'parts without a password',
    build: externalPostgres({ host: 'db.example.com', database: 'litellm', username: 'litellm' }), prop: 'database.password',
    message: /^database\.password: received undefined; is required when the connection is given in parts/ },
  { construct: 'ExternalPostgres', mistake: 'port inside the host',
    build: externalPostgres({ host: 'db.example.com:6432', database: 'litellm', username: 'litellm', password: secret('db', 'password') }), prop: 'database.host',
    message: /^database\.host: received "db\.example\.com:6432"; must be a bare host name or IPv4 address \(no scheme, port, user or path\)/ },
  { construct: 'ExternalPostgres', mistake: 'room for one connection only', build: externalPostgres({ url: secret('db', 'url'), maxConnections: 1 }), prop: 'database.maxConnections',
    message: /^database\.maxConnections: received 1; must be an integer >= 2$/ },
  { construct: 'ExternalPostgres', mistake: 'password as a literal',
    build: externalPostgres({ host: 'db.example.com', database: 'litellm', username: 'litellm', password: 'hunter2' }), prop: 'database.password',
    message: /^database\.password: received \(a literal string, hidden\); must be a Secret reference/ },

  // --- CloudNativePgDatabase ---------------------------------------------------------------------------------
  { construct: 'CloudNativePgDatabase', mistake: 'image tag without the major version', build: cnpg({ image: 'ghcr.io/cloudnative-pg/postgresql:trixie' }), prop: 'image',
    message: /^image: received "ghcr\.io\/cloudnative-pg\/postgresql:trixie"; CloudNativePG reads the PostgreSQL major version from the tag/ },
  { construct: 'CloudNativePgDatabase', mistake: 'reserving every connection', build: cnpg({ maxConnections: 50, reservedConnections: 50 }), prop: 'reservedConnections',
    message: /^reservedConnections: received 50; must be less than maxConnections \(50\)/ },
  { construct: 'CloudNativePgDatabase', mistake: 'max_connections as a parameter', build: cnpg({ parameters: { max_connections: '300' } }), prop: 'parameters.max_connections',
    message: /^parameters\.max_connections: received "300"; use the maxConnections prop/ },
  { construct: 'CloudNativePgDatabase', mistake: 'numeric parameter value', build: cnpg({ parameters: { work_mem: 64 } }), prop: 'parameters.work_mem',
    message: /^parameters\.work_mem: received 64; PostgreSQL parameters are strings, e.g\. "256MB"$/ },
  { construct: 'CloudNativePgDatabase', mistake: 'ten instances', build: cnpg({ instances: 10 }), prop: 'instances',
    message: /^instances: received 10; must be an integer from 1 to 9$/ },
  { construct: 'CloudNativePgDatabase', mistake: 'name leaving no room for CNPG suffixes', build: cnpg({ name: 'p'.repeat(41) }), prop: 'name',
    message: /^name: received "p{41}"; must be a DNS-1123 label.*at most 40 characters$/ },

  // --- MigrationJob -------------------------------------------------------------------------------------------
  { construct: 'MigrationJob', mistake: 'deadline within the wait', build: migration({ waitTimeoutSeconds: 600, activeDeadlineSeconds: 600 }), prop: 'activeDeadlineSeconds',
    message: /^activeDeadlineSeconds: received 600; must exceed waitTimeoutSeconds \(600\) so the migration itself has time to run$/ },
  { construct: 'MigrationJob', mistake: 'retrying forever', build: migration({ backoffLimit: 50 }), prop: 'backoffLimit',
    message: /^backoffLimit: received 50; must be an integer from 0 to 10$/ },
  { construct: 'MigrationJob', mistake: 'migrating another database than the proxy\'s', build: migration({}, true), prop: 'database',
    message: /^database: received .*; must be the database passed to the proxy \(its `database` prop\)$/ },
  { construct: 'MigrationJob', mistake: 'memory in gigabytes', build: migration({ memory: '1GB' }), prop: 'memory',
    message: /^memory: received "1GB"; must be a memory quantity such as "512Mi" or "2Gi"/ },

  // --- governance settings --------------------------------------------------------------------------------
  { construct: 'governance', mistake: 'budget reset without a budget', build: governance({ keyParamLimits: { budgetDuration: '7d' } }), prop: 'governance.keyParamLimits.budgetDuration',
    message: /^governance\.keyParamLimits\.budgetDuration: received "7d"; resets a budget: set maxBudget too$/ },
  { construct: 'governance', mistake: 'duration in words', build: governance({ defaultKeyParams: { duration: '90 days' } }), prop: 'governance.defaultKeyParams.duration',
    message: /^governance\.defaultKeyParams\.duration: received "90 days"; must be a LiteLLM duration/ },
  { construct: 'governance', mistake: 'default key lives longer than allowed',
    build: governance({ defaultKeyParams: { duration: '1mo' }, keyParamLimits: { duration: '30d' } }), prop: 'governance.defaultKeyParams.duration',
    message: /^governance\.defaultKeyParams\.duration: received "1mo"; must not be longer than keyParamLimits\.duration \("30d"\); months count as 28 to 31 days$/ },
  { construct: 'governance', mistake: 'priority shares over 100 %',
    build: governance({ priorityReservation: { shares: { prod: PriorityShare.fraction(0.7), dev: PriorityShare.percent(0.4) }, license: secret('litellm-license', 'key') } }),
    prop: 'governance.priorityReservation.shares', message: /^governance\.priorityReservation\.shares: received .*; fractional shares add up to 1\.1; they must add up to at most 1$/ },
  { construct: 'governance', mistake: 'priority reservation without a licence', build: governance({ priorityReservation: { shares: { prod: PriorityShare.fraction(1) } } }),
    prop: 'governance.priorityReservation.license', message: /^governance\.priorityReservation\.license: received undefined; priority reservation is a LiteLLM enterprise feature/ },
  { construct: 'governance', mistake: 'a parallel limit LiteLLM never reads', build: governance({ maxParallelRequests: 200 } as any),
    prop: 'governance.maxParallelRequests', message: /^governance\.maxParallelRequests: received 200; removed: general_settings\.max_parallel_requests has no effect in LiteLLM 1\.108\.14/ },
  { construct: 'LiteLLMProxy', mistake: 'an inert parallel limit through the escape hatch', build: proxy({ extraConfig: { generalSettings: { max_parallel_requests: 10 } } }),
    prop: 'extraConfig.generalSettings.max_parallel_requests', message: /^extraConfig\.generalSettings\.max_parallel_requests: received 10; not settable: LiteLLM 1\.108\.14 never reads it/ },
  { construct: 'LiteLLMProxy', mistake: 'fallbacks through the escape hatch', build: proxy({ extraConfig: { routerSettings: { fallbacks: [{ 'gpt-4o': ['claude'] }] } } }),
    prop: 'extraConfig.routerSettings.fallbacks', message: /^extraConfig\.routerSettings\.fallbacks: received an array of 1; not settable: fallbacks add attempts at other model groups, .*: use router\.fallbacks/ },
  { construct: 'LiteLLMProxy', mistake: 'a fallback to a model that is not there (issue 21)',
    build: proxy({ models: [...models, { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5' }], router: { fallbacks: [{ model: 'gpt-4o', to: ['claude-sonet'] }] } }),
    prop: 'router.fallbacks[0].to[0]', message: /^router\.fallbacks\[0\]\.to\[0\]: received "claude-sonet"; must be a model group of this proxy \(a models\[\]\.name: "gpt-4o", "claude-sonnet"\) \(did you mean "claude-sonnet"\?\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'a model falling back to itself',
    build: proxy({ router: { fallbacks: [{ model: 'gpt-4o', to: ['gpt-4o'] }] } }),
    prop: 'router.fallbacks[0].to[0]', message: /^router\.fallbacks\[0\]\.to\[0\]: received "gpt-4o"; is the group that failed; LiteLLM skips it/ },
  { construct: 'LiteLLMStack', mistake: 'two fallback entries for one model and trigger',
    build: stack({ models: [...models, { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5' }, { name: 'llama', model: 'hosted_vllm/llama-3' }],
      router: { fallbacks: [{ model: 'gpt-4o', to: ['claude-sonnet'] }, { model: 'gpt-4o', to: ['llama'] }] } }),
    prop: 'router.fallbacks[1].model', message: /^router\.fallbacks\[1\]\.model: received "gpt-4o"; already has fallbacks in router\.fallbacks\[0\]; LiteLLM would use only the first entry/ },
  { construct: 'LiteLLMProxy', mistake: 'a deployment retry count in params', build: proxy({ models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', params: { num_retries: 5 } }] }),
    prop: 'models[0].params.num_retries', message: /^models\[0\]\.params\.num_retries: received 5; "num_retries" changes how long a request can take/ },
  { construct: 'LiteLLMProxy', mistake: 'a queue without an in-flight limit', build: proxy({ maxQueuedRequestsPerWorker: 10 }),
    prop: 'maxQueuedRequestsPerWorker', message: /^maxQueuedRequestsPerWorker: received 10; needs maxInFlightRequestsPerWorker/ },
  { construct: 'LiteLLMProxy', mistake: 'an in-flight limit of zero', build: proxy({ maxInFlightRequestsPerWorker: 0 }),
    prop: 'maxInFlightRequestsPerWorker', message: /^maxInFlightRequestsPerWorker: received 0; must be an integer >= 1$/ },
  { construct: 'governance', mistake: 'misspelt key parameter', build: governance({ keyParamLimits: { rpm: 10 } }), prop: 'governance.keyParamLimits.rpm',
    message: /^governance\.keyParamLimits\.rpm: received "rpm"; is not a key parameter; use one of maxBudget, budgetDuration/ },
  { construct: 'governance', mistake: 'spend logs off without a database', build: governance({ disableSpendLogs: true }, false), prop: 'governance.disableSpendLogs',
    message: /^governance\.disableSpendLogs: received true; needs a database/ },
  { construct: 'governance', mistake: 'pools larger than the database',
    build: governance({ databaseConnectionPoolLimit: 20 }, true, 100), prop: 'governance.databaseConnectionPoolLimit',
    message: /^governance\.databaseConnectionPoolLimit: received 20; database_connection_pool_limit 20 × 2 worker\(s\) × 4 pod\(s\) .* = 161 connections, more than the database's maxConnections 100; set a pool limit of at most 12/ },
  { construct: 'governance', mistake: 'default key model not among the models (issue 16)', build: governance({ defaultKeyParams: { models: ['gpt-4o', 'gpt-4o-mini'] } }),
    prop: 'governance.defaultKeyParams.models[1]',
    message: /^governance\.defaultKeyParams\.models\[1\]: received "gpt-4o-mini"; must be a model_name of the proxy's models \("gpt-4o"\) or one of "all-proxy-models", "all-team-models", "no-default-models"$/ },
  { construct: 'governance', mistake: 'batch writes once a day', build: governance({ batchWriteIntervalSeconds: 86400 }), prop: 'governance.batchWriteIntervalSeconds',
    message: /^governance\.batchWriteIntervalSeconds: received 86400; must be an integer from 1 to 3600$/ },
];

const postgresServer = (props: Partial<PostgresServerProps>) => () => new PostgresServer({ name: 'pg', databases: [{ name: 'a' }], ...props } as PostgresServerProps);
const fleet = (props: Partial<LiteLLMFleetProps>) => () =>
  new LiteLLMFleet(Testing.app(), 'fleet', { models, masterKey, redis: { password: secret('redis-auth', 'password') }, tenants: [{ name: 'a' }], ...props } as LiteLLMFleetProps);
/** Two stacks in one App, synthesized: for the checks across the App. */
const twoStacks = (a: Partial<LiteLLMStackProps>, b: Partial<LiteLLMStackProps>) => () => {
  const app = Testing.app();
  for (const [id, props] of [['a', a], ['b', b]] as const) {
    new LiteLLMStack(app, id, { namespace: id, models, masterKey, redis: { password: secret('redis-auth', 'password') }, ...props } as LiteLLMStackProps);
  }
  return app.synthYaml();
};
const sharedDb = new PostgresServer({ name: 'pg', host: 'pg.example.com', databases: [{ name: 'litellm' }] });
const ingress = { ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls: { secretName: 'tls' } }) } as Partial<LiteLLMStackProps>;

BAD_INPUTS.push(
  { construct: 'PostgresServer', mistake: 'database shares beyond the server', build: postgresServer({ maxConnections: 20, databases: [{ name: 'a', maxConnections: 15 }, { name: 'b', maxConnections: 15 }] }),
    prop: 'server.databases', message: /^server\.databases: received "30 connections"; the databases' maxConnections add up to more than the server's maxConnections \(20\)/ },
  { construct: 'PostgresServer', mistake: 'server budget too small for its databases', build: postgresServer({ maxConnections: 5, databases: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    prop: 'server.maxConnections', message: /^server\.maxConnections: received 5; leaves 1 connection\(s\) for each of 3 database\(s\)/ },
  { construct: 'ExternalPostgres', mistake: 'a port of its own on a shared server', build: externalPostgres({ server: sharedDb, database: 'litellm', url: secret('db', 'url'), port: 5433 }),
    prop: 'database.port', message: /^database\.port: received 5433; comes from the server "pg"/ },
  { construct: 'LiteLLMFleet', mistake: 'two tenants with one name', build: fleet({ tenants: [{ name: 'a' }, { name: 'a' }] }),
    prop: 'tenants[1].name', message: /^tenants\[1\]\.name: received "a"; tenant names must be unique/ },
  { construct: 'LiteLLMFleet', mistake: 'a tenant without hosts behind an edge without a domain',
    build: fleet({ edge: Edge.gatewayApi({ gateway: { name: 'public' }, controllerNamespace: 'envoy-gateway-system' }) }),
    prop: 'tenants[0].hosts', message: /^tenants\[0\]\.hosts: received undefined; give the tenant its hosts, or the fleet a domain/ },
  // --- issue 21: Envoy Gateway policies, ExternalSecrets ------------------------------------------------------
  { construct: 'gateway-api', mistake: 'an implementation by a name of one\'s own', build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'eg', implementation: 'envoy' }),
    prop: 'implementation', message: /^implementation: received "envoy"; must be one of GatewayImplementation\.GENERIC \("generic"\), GatewayImplementation\.ENVOY_GATEWAY \("envoy-gateway"\)/ },
  { construct: 'gateway-api', mistake: 'a ClientTrafficPolicy for a Gateway in another namespace',
    build: edge({ controller: 'gateway-api', gateway, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY, clientTrafficPolicy: true }),
    prop: 'clientTrafficPolicy', message: /^clientTrafficPolicy: received true; needs a Gateway this stack owns, in its own namespace \("llm"\); Gateway gateway\/public is elsewhere/ },
  { construct: 'gateway-api', mistake: 'a ClientTrafficPolicy without the Envoy Gateway profile',
    build: edge({ controller: 'gateway-api', gateway: { name: 'llm' }, controllerNamespace: 'eg', clientTrafficPolicy: true }),
    prop: 'clientTrafficPolicy', message: /^clientTrafficPolicy: received true; is an Envoy Gateway policy: give implementation: GatewayImplementation\.ENVOY_GATEWAY/ },
  { construct: 'LiteLLMFleet', mistake: 'a ClientTrafficPolicy on the fleet\'s shared Gateway',
    build: fleet({ domain: 'llm.example.com', edge: Edge.gatewayApi({ gateway, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY, clientTrafficPolicy: true }) }),
    prop: 'edge.clientTrafficPolicy', path: 'fleet', message: /^edge\.clientTrafficPolicy: received true; needs a Gateway this stack owns/ },
  { construct: 'LiteLLMStack', mistake: 'an ExternalSecret refresh interval in days', build: stack({ externalSecrets: { storeRef: { name: 'vault' }, refreshInterval: '7d' } }),
    prop: 'externalSecrets.refreshInterval', message: /^externalSecrets\.refreshInterval: received "7d"; must be a Go duration such as "1h", "15m" or "1h30m"/ },
  { construct: 'LiteLLMStack', mistake: 'a secret store kind by a name of one\'s own', build: stack({ externalSecrets: { storeRef: { name: 'vault', kind: 'Vault' as any } } }),
    prop: 'externalSecrets.storeRef.kind', message: /^externalSecrets\.storeRef\.kind: received "Vault"; must be one of SecretStoreKind\.SECRET_STORE \("SecretStore"\), SecretStoreKind\.CLUSTER_SECRET_STORE/ },
  { construct: 'LiteLLMStack', mistake: 'a provider key pasted as a remote key',
    build: stack({ externalSecrets: { storeRef: { name: 'vault' }, remoteRefs: [{ secretName: 'provider-keys', key: 'openai', remoteKey: 'sk-proj-abcdefghijklmnopqrstuvwx' }] } }),
    prop: 'externalSecrets.remoteRefs[0].remoteKey', message: /^externalSecrets\.remoteRefs\[0\]\.remoteKey: received \(a value that looks like a credential, hidden\); must be the name of a secret in the provider/ },
  { construct: 'LiteLLMStack', mistake: 'an ExternalSecret exclusion naming no Secret of the stack',
    build: stack({ externalSecrets: { storeRef: { name: 'vault' }, exclude: ['redis-atuh'] } }),
    prop: 'externalSecrets.exclude[0]', message: /^externalSecrets\.exclude\[0\]: received "redis-atuh"; is not a Secret this stack reads \(it reads litellm-master, provider-keys, redis-auth\) \(did you mean "redis-auth"\?\)$/ },
  { construct: 'LiteLLMStack', mistake: 'a remote reference for a key the stack never reads',
    build: stack({ externalSecrets: { storeRef: { name: 'vault' }, remoteRefs: [{ secretName: 'provider-keys', key: 'anthropic', remoteKey: 'llm/anthropic' }] } }),
    prop: 'externalSecrets.remoteRefs[0].key', message: /^externalSecrets\.remoteRefs\[0\]\.key: received "anthropic"; is not a key the stack reads from Secret provider-keys \(it reads openai\)/ },
  { construct: 'MigrationJob', mistake: 'runInSyncPhase as a string', build: migration({ runInSyncPhase: 'true' as any }), prop: 'runInSyncPhase',
    message: /^runInSyncPhase: received "true"; must be true or false$/ },
  { construct: 'App', mistake: 'two stacks in one namespace', build: twoStacks({}, { namespace: 'a' }),
    prop: 'namespace', message: /^namespace: received "a"; already the namespace of stack a/ },
  { construct: 'App', mistake: 'one host twice on one ingress class', build: twoStacks(ingress, ingress),
    prop: 'hosts[0]', message: /^hosts\[0\]: received "llm\.example\.com"; stack a already routes llm\.example\.com\/ on ingress class "nginx"/ },
  { construct: 'App', mistake: 'two migration Jobs for one database',
    build: twoStacks(...[0, 1].map(() => ({ database: { external: { server: sharedDb, database: 'litellm', url: secret('db', 'url') } }, governance: { databaseConnectionPoolLimit: 1 } })) as [object, object]),
    prop: 'database.migrations', message: /^database\.migrations: received true; stack a already runs the migration Job for database "litellm"/ },
);

/** A fleet of two tenants whose declared keys, models and access are built from `tenantB` (tenant a is clean). */
const fleetOfTwo = (tenantB: Record<string, unknown>, fleetProps: Partial<LiteLLMFleetProps> = {}) => () => {
  const app = Testing.app();
  new LiteLLMFleet(app, 'fleet', {
    models: [...models, { name: 'claude', model: 'anthropic/claude-sonnet-4-5', apiKey: secret('provider-keys', 'anthropic') }],
    masterKey, redis: { password: secret('redis-auth', 'password') },
    database: { serverOptions: { name: 'pg', host: 'pg.example.com', maxConnections: 200 } },
    tenants: [{ name: 'team-a' }, { name: 'team-b', ...tenantB }],
    ...fleetProps,
  } as LiteLLMFleetProps);
  return app.synthYaml();
};
const keyOf = (over: Record<string, unknown>) => ({ alias: 'ci', value: secret('virtual-keys', 'ci'), ...over });
const withMaxTokens = [{ ...models[0], tpm: 100_000, params: { max_tokens: 8192 } }];

// Issue 20: credentials in messages, the tenant named, contradicting limits, and a suggestion where there is one.
BAD_INPUTS.push(
  { construct: 'ExternalRedis', mistake: 'a Redis URL with its password where the host goes (masked)',
    build: externalRedis({ host: 'rediss://default:Pa55-w0rd-xyz@cache.example.com:6380', password: secret('redis-auth', 'password') }), prop: 'host',
    message: /^host: received "rediss:\/\/default:\*\*\*@cache\.example\.com:6380"; must be a host name or IP address/ },
  { construct: 'LiteLLMStack', mistake: 'a Redis URL with its password as the external host (masked, stack named)',
    build: stack({ redis: { external: { host: 'redis://:hunter2-secret@cache.example.com:6379', password: secret('redis-auth', 'password') } } }),
    prop: 'redis.external.host', path: 'stack', message: /^redis\.external\.host: received "redis:\/\/:\*\*\*@cache\.example\.com:6379"; must be a host name/ },
  { construct: 'ExternalRedis', mistake: 'an AWS access key id where the host goes (a valid DNS label, still refused, hidden)',
    build: externalRedis({ host: 'AKIAIOSFODNN7EXAMPLE', password: secret('redis-auth', 'password') }), prop: 'host',
    message: /^host: received \(a value that looks like a credential, hidden\); must be a host name or IP address, and this value looks like an API key or token/ },
  { construct: 'LiteLLMStack', mistake: 'an sk- key as the external Redis host (hidden)',
    build: stack({ redis: { external: { host: 'sk-proj-Ab12Cd34Ef56Gh78Ij90', password: secret('redis-auth', 'password') } } }),
    prop: 'redis.external.host', path: 'stack', message: /^redis\.external\.host: received \(a value that looks like a credential, hidden\); must be a host name/ },
  { construct: 'LiteLLMFleet', mistake: 'an unknown model on a tenant\'s key (the tenant named)',
    build: fleetOfTwo({ access: { keys: [keyOf({ models: ['gpt-4'] })] } }), prop: 'access.keys[0].models[0]', path: 'fleet/team-b',
    message: /^access\.keys\[0\]\.models\[0\]: received "gpt-4"; is not a model of this proxy; use one of "gpt-4o", "claude" \(did you mean "gpt-4o"\?\)$/ },
  { construct: 'LiteLLMFleet', mistake: 'a model name in the wrong case on a tenant\'s key',
    build: fleetOfTwo({ access: { keys: [keyOf({ models: ['GPT-4o'] })] } }), prop: 'access.keys[0].models[0]', path: 'fleet/team-b',
    message: /^access\.keys\[0\]\.models\[0\]: received "GPT-4o"; is not a model of this proxy; .*\(did you mean "gpt-4o"\?\)$/ },
  { construct: 'LiteLLMFleet', mistake: 'a duplicate key alias in one tenant',
    build: fleetOfTwo({ access: { keys: [keyOf({}), keyOf({ value: secret('virtual-keys', 'other') })] } }), prop: 'access.keys[1].alias', path: 'fleet/team-b',
    message: /^access\.keys\[1\]\.alias: received "ci"; key aliases must be unique; keys\[0\]\.alias has it already$/ },
  { construct: 'LiteLLMFleet', mistake: 'two keys reading one Secret key in one tenant',
    build: fleetOfTwo({ access: { keys: [keyOf({}), keyOf({ alias: 'ci-2' })] } }), prop: 'access.keys[1].value', path: 'fleet/team-b',
    message: /^access\.keys\[1\]\.value: received "virtual-keys\/ci"; key value Secrets \(one key per Secret key\) must be unique/ },
  { construct: 'LiteLLMFleet', mistake: 'a fleet-wide Redis host that is wrong (the fleet named, not a tenant)',
    build: fleetOfTwo({}, { redis: { external: { host: 'cache example com', password: secret('redis-auth', 'password') } } }), prop: 'redis.external.host', path: 'fleet',
    message: /^redis\.external\.host: received "cache example com"; must be a host name or IP address .*\(found building tenant "team-a", tenants\[0\], which takes it from the fleet\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'a deployment tpm below its max_tokens',
    build: proxy({ models: [{ ...models[0], tpm: 4000, params: { max_tokens: 8192 } }] }), prop: 'models[0].tpm',
    message: /^models\[0\]\.tpm: received 4000; must be at least 8192, the max_tokens one request to this deployment may use \(models\[0\]\.params\.max_tokens\)/ },
  { construct: 'LiteLLMStack', mistake: 'a key tpm below the max_tokens of a model it may call',
    build: stack({ models: withMaxTokens, database: { external: { url: secret('db', 'url') } }, access: { keys: [keyOf({ tpmLimit: 2000 })] } }),
    prop: 'access.keys[0].tpmLimit', path: 'stack',
    message: /^access\.keys\[0\]\.tpmLimit: received 2000; must be at least 8192, the max_tokens of model "gpt-4o" \(models\[0\]\.params\.max_tokens\) it may call/ },
  { construct: 'governance', mistake: 'default key tpm below a model\'s max_tokens',
    build: () => { const c = chart(); new LiteLLMProxy(c, 'litellm', { models: withMaxTokens, masterKey, database: new ExternalPostgres({ url: secret('db', 'url') }), governance: { defaultKeyParams: { tpmLimit: 1000 } } }); return synthAll(c); },
    prop: 'governance.defaultKeyParams.tpmLimit', message: /^governance\.defaultKeyParams\.tpmLimit: received 1000; must be at least 8192, the max_tokens of model "gpt-4o"/ },
  { construct: 'LiteLLMStack', mistake: 'a key allowed more requests per minute than its team',
    build: stack({ database: { external: { url: secret('db', 'url') } }, access: { teams: [{ id: 'team', rpmLimit: 60 }], keys: [keyOf({ team: 'team', rpmLimit: 600 })] } }),
    prop: 'access.keys[0].rpmLimit', path: 'stack', message: /^access\.keys\[0\]\.rpmLimit: received 600; must not exceed the rpmLimit of its team "team" \(60\): LiteLLM applies both/ },
  { construct: 'LiteLLMStack', mistake: 'a key\'s team misspelt', build: stack({ database: { external: { url: secret('db', 'url') } }, access: { teams: [{ id: 'analytics' }], keys: [keyOf({ team: 'analytic' })] } }),
    prop: 'access.keys[0].team', path: 'stack', message: /^access\.keys\[0\]\.team: received "analytic"; must be the id of a declared team \(analytics\) \(did you mean "analytics"\?\)$/ },
  { construct: 'LiteLLMProxy', mistake: 'memory below what the workers need', build: proxy({ cpu: '2', memory: '512Mi', acceptPerReplicaLimits: true }), prop: 'memory',
    message: /^memory: received "512Mi"; must be at least 1280Mi for 2 worker\(s\) \(256Mi \+ 512Mi per worker: each worker is a full copy of the proxy/ },
  { construct: 'LiteLLMProxy', mistake: 'a memory limit below what the workers need', build: proxy({ cpu: '4', memoryLimit: '1Gi', acceptPerReplicaLimits: true }), prop: 'memoryLimit',
    message: /^memoryLimit: received "1Gi"; must be at least 2304Mi for 4 worker\(s\)/ },
  { construct: 'LiteLLMStack', mistake: 'a preset memory too small for proxy.cpu', build: stack({ proxy: { cpu: '3', memory: '1Gi' } }), prop: 'proxy.memory', path: 'stack',
    message: /^proxy\.memory: received "1Gi"; must be at least 1792Mi for 3 worker\(s\)/ },
  { construct: 'governance', mistake: 'an rpm priority share above a model\'s rpm',
    build: governance({ priorityReservation: { shares: { prod: PriorityShare.rpm(500) }, license: secret('litellm-license', 'key') } }),
    prop: 'governance.priorityReservation.shares.prod', message: /^governance\.priorityReservation\.shares\.prod: received 500; reserves 500 rpm of each model, more than model "gpt-4o" has \(models\[0\]\.rpm is 100\)/ },
  { construct: 'ingress-nginx', mistake: 'a host with a trailing dot', build: edge({ controller: 'ingress-nginx', hosts: ['llm.example.com.'] }), prop: 'hosts[0]',
    message: /^hosts\[0\]: received "llm\.example\.com\."; must be a DNS-1123 subdomain: .*; it ends with a dot \(the fully qualified DNS form, which the API server refuses\): use "llm\.example\.com"$/ },
  { construct: 'LiteLLMStack', mistake: 'a namespace in upper case with an underscore', build: stack({ namespace: 'Team_A' }), prop: 'namespace',
    message: /^namespace: received "Team_A"; must be a DNS-1123 label: .*; it has upper-case letters, it has '_': use "team-a"$/ },
  { construct: 'LiteLLMProxy', mistake: 'a routing strategy one letter off', build: proxy({ router: { routingStrategy: 'least_busy' as any } }), prop: 'router.routingStrategy',
    message: /^router\.routingStrategy: received "least_busy"; must be one of RoutingStrategy\.SIMPLE_SHUFFLE .* \(did you mean "least-busy"\?\)$/ },
  { construct: 'LiteLLMStack', mistake: 'last release\'s plain-object edge', build: stack({ edge: { controller: 'ingress-nginx', hosts: ['llm.example.com'] } as any, hosts: ['llm.example.com'] }),
    prop: 'edge', path: 'stack', message: /^edge: received .*; must be Edge\.ingressNginx\(\), Edge\.nginxInc\(\), Edge\.traefik\(\) or Edge\.gatewayApi\(\) with its options$/ },
  { construct: 'LiteLLMProxy', mistake: 'last release\'s snake_case extraConfig section', build: proxy({ extraConfig: { litellm_settings: { drop_params: true } } as any }),
    prop: 'extraConfig.litellm_settings', message: /^extraConfig\.litellm_settings: received "litellm_settings"; must be one of litellmSettings, .* \(did you mean "litellmSettings"\?\)$/ },
);

/** A GitOpsApp with Argo CD output and two stacks, `configure` applied, synthesized. */
const gitOpsApp = (argoCd: Partial<GitOpsArgoCdOptions>, configure: (a: Chart, b: Chart) => void = () => undefined) => () => {
  const app = new GitOpsApp({ outdir: '/nonexistent', argoCd: { repoURL: 'https://git.example.com/llm.git', ...argoCd } });
  const [a, b] = ['a', 'b'].map(id => new LiteLLMStack(app, id, { namespace: id, models, masterKey, redis: { password: secret('redis-auth', 'password') } }));
  configure(a, b);
  return app.synthFiles();
};

// Issue 21: Argo CD bootstrap, quotas, pausing, fleet settings merged and the fleet dashboard.
BAD_INPUTS.push(
  { construct: 'LiteLLMStack', mistake: 'paused as a string', build: stack({ paused: 'true' as any }), prop: 'paused', message: /^paused: received "true"; must be true or false$/ },
  { construct: 'LiteLLMStack', mistake: 'replicas 0 to stop the gateway (paused is the way)', build: stack({ proxy: { replicas: 0 } }), prop: 'proxy.replicas',
    message: /^proxy\.replicas: received 0; must be at least 1; to stop the gateway without removing it, set `paused: true` \(on a LiteLLMStack or a fleet tenant\): it scales the Deployment to 0 and drops the autoscaler/ },
  { construct: 'LiteLLMProxy', mistake: 'paused as a number', build: proxy({ paused: 1 as any }), prop: 'paused', message: /^paused: received 1; must be true or false$/ },
  { construct: 'LiteLLMStack', mistake: 'extra quota pods without the LimitRange that sizes them', build: stack({ quota: { extraPods: 2, limitRange: false } }), prop: 'quota.extraPods',
    message: /^quota\.extraPods: received 2; counts pods at the LimitRange's defaults: keep limitRange, or leave extraPods at 0$/ },
  { construct: 'LiteLLMStack', mistake: 'a quota over a DaemonSet added to the stack', prop: 'quota',
    build: () => {
      const s = new LiteLLMStack(Testing.app(), 'stack', { namespace: 'llm', models, masterKey, redis: { password: secret('redis-auth', 'password') }, quota: {} });
      new ApiObject(s, 'Agent', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'a' }] } } } });
      return Testing.synth(s);
    },
    message: /^quota: received "DaemonSet\/agent"; runs pods the quota cannot size/ },
  { construct: 'App', mistake: 'an AppProject named "default" (Argo CD\'s own)', build: gitOpsApp({}, a => GitOpsApp.configureApplication(a, { project: 'default' })), prop: 'argoCd.project', path: 'a',
    message: /^argoCd\.project: received "default"; is Argo CD's own project, which this one would overwrite: choose another name$/ },
  { construct: 'App', mistake: 'two stacks naming one AppProject with a project each', prop: 'argoCd.project', path: 'b',
    build: gitOpsApp({}, (a, b) => [a, b].forEach(c => GitOpsApp.configureApplication(c, { project: 'llm' }))),
    message: /^argoCd\.project: received "llm"; is the AppProject of both a and b/ },
  { construct: 'App', mistake: 'the root Application in the folder it syncs', build: gitOpsApp({ bootstrapFolder: 'argocd-applications' }), prop: 'argoCd.bootstrapFolder',
    message: /^argoCd\.bootstrapFolder: received "argocd-applications"; is also argoCd\.folder/ },
  { construct: 'App', mistake: 'AppProjects per tenant written as a string', build: gitOpsApp({ projects: 'PER_TENANT' as any }), prop: 'argoCd.projects',
    message: /^argoCd\.projects: received "PER_TENANT"; must be one of ProjectMode\.PER_APPLICATION/ },
  { construct: 'LiteLLMFleet', mistake: 'a fleet dashboard without any tenant metrics', prop: 'fleetDashboard', path: 'fleet',
    build: fleet({ fleetDashboard: {}, metrics: { enabled: false } }), message: /^fleetDashboard: received \{\}; shows the tenants' metrics, and no tenant has any/ },
  { construct: 'LiteLLMFleet', mistake: 'a bad key in the fleet\'s alert labels (the fleet named, not the tenant that adds its own)', prop: 'alerts.alertLabels', path: 'fleet',
    build: fleet({ alerts: { alertLabels: { 'on call': 'x' } }, tenants: [{ name: 'a', alerts: { alertLabels: { team: 'a' } } }] }),
    message: /^alerts\.alertLabels: received "on call"; .*\(found building tenant "a", tenants\[0\], which takes it from the fleet\)$/ },
);

/** Runs a row; returns the error it raised (or a description of what happened instead). */
function errorOf(row: BadInput): unknown {
  try {
    row.build();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('bad-input catalogue', () => {
  test.each(BAD_INPUTS.map(r => [`${r.construct}: ${r.mistake}`, r] as const))('%s', (_label, row) => {
    const error = errorOf(row);
    if (!(error instanceof LiteLLMConfigError)) {
      throw new Error(`expected LiteLLMConfigError, got ${error instanceof Error ? `${error.name}: ${error.message}` : 'no error: the input was accepted'}`);
    }
    expect(error.prop).toBe(row.prop);
    // A stack names itself first (its construct path); so does a synth-time check, with the chart's path.
    const prefix = error.constructPath !== undefined ? `[${error.constructPath}] ` : '';
    if (row.construct === 'LiteLLMStack') expect(error.constructPath).toBe('stack');
    if (row.path !== undefined) expect(error.constructPath).toBe(row.path);
    // No message repeats a credential (issue 20): masking it changes nothing.
    expectNoCredential(error.message);
    expect(error.message.startsWith(prefix)).toBe(true);
    expect(error.message.slice(prefix.length)).toMatch(row.message);
    expect(error.message.startsWith(`${prefix}${row.prop}: received `)).toBe(true);
  });

  test('the catalogue has at least 40 distinct entries, across every construct', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
    const labels = BAD_INPUTS.map(r => `${r.construct}: ${r.mistake}`);
    expect(new Set(labels).size).toBe(labels.length);
    // Distinct in effect, too: no two rows raise the same message.
    const messages = BAD_INPUTS.map(r => (errorOf(r) as Error)?.message);
    expect(new Set(messages).size).toBe(messages.length);
    expect(new Set(BAD_INPUTS.map(r => r.construct))).toEqual(new Set([
      'LiteLLMStack', 'LiteLLMProxy', 'RedisInstance', 'ExternalRedis', 'ingress-nginx', 'nginx-inc', 'traefik', 'gateway-api',
      'ExternalPostgres', 'CloudNativePgDatabase', 'MigrationJob', 'governance', 'PostgresServer', 'LiteLLMFleet', 'App',
    ]));
  });
});
