import { EDGE_CONTROLLERS, EdgeCase, stackEdge } from './edges';
import fc from 'fast-check';
import { CacheCallType, DatabaseConnection, EdgeController, LiteLLMProxyProps, LiteLLMStackProps, LogLevel, Presets, RoutingStrategy, SpreadPolicy } from '../../lib';
import { ServiceType } from 'cdk8s-plus-28';
import { IDatabaseEndpoint } from '../../lib/governance/database-endpoint';
import { bindDatabase } from '../../lib/governance/database-wiring';
import { nonStreamingBound } from '../../lib/proxy/timing';
import { bindRedis } from '../../lib/redis/redis-wiring';
import type { ModelDeployment } from '../../lib/proxy/model';
import { WorkerSizing } from '../../lib/proxy/workers';
import type { IRedisEndpoint } from '../../lib/redis/redis-endpoint';
import type { SecretKeyRef } from '../../lib/secret';
import { looksLikeSecret } from '../../lib/credentials';

/**
 * fast-check arbitraries over the library's props. Layout, so other
 * constructs can join:
 *  - small value arbitraries, `valid*` and `invalid*` (names, quantities, images, refs);
 *  - per construct, `valid<Construct>Props` (inputs that satisfy every
 *    cross-field rule, so they MUST be accepted) and `<construct>Poisons`
 *    (named single-field mutations that MUST be rejected);
 *  - `poisoned(valid, poisons)`: a valid input, maybe with one poison applied,
 *    labelled, for "accepted => clean, rejected => our error" properties.
 * Add Redis / edge / governance / stack arbitraries the same way.
 */

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/**
 * Valid inputs the library wrongly rejects today, found by these properties.
 * The arbitraries avoid them while listed, and test/policy/known-gaps.test.ts
 * holds a focused test for each that fails until lib/ is fixed. Fix lib/, then delete the entry: the arbitraries widen.
 */
export const KNOWN_GAPS: Record<string, string> = {
  // Empty: every gap the property tests found is fixed; test/policy/known-gaps.test.ts keeps them fixed.
};
const gapOpen = (name: string): boolean => name in KNOWN_GAPS;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/**
 * DNS-1123 labels up to `max` characters. Never one shaped like a credential (`a-sk-abcdefgh`):
 * the policy scan rightly flags such a name wherever it lands, and no operator picks one.
 */
export const validDnsLabel = (max = 47): fc.Arbitrary<string> =>
  fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/).filter(s => s.length <= max && !looksLikeSecret(s));

export const invalidDnsLabel: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', 'LiteLLM', 'lite_llm', '-proxy', 'proxy-', 'a.b', 'a'.repeat(64), ' proxy', 'pröxy', 5),
  // Issue 20: a valid name in another case, with the trailing dot of a fully qualified name, or a credential pasted in.
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/).map(v => v.toUpperCase()),
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/).map(v => `${v}.`),
  fc.constant(undefined).chain(() => credentialValue),
);

/** DNS-1035 labels (a DNS-1123 label that starts with a letter): names that become Service names. */
export const validDns1035Label = (max = 47): fc.Arbitrary<string> =>
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/).filter(s => s.length <= max && !looksLikeSecret(s));

/** Names a Service cannot carry: the DNS-1123 mistakes, and labels that start with a digit. */
export const invalidDns1035Label: fc.Arbitrary<unknown> = fc.oneof(invalidDnsLabel, fc.constantFrom('0proxy', '1', '42-litellm'));

// ---------------------------------------------------------------------------------------------
// Labels (API server: IsQualifiedName for keys, IsValidLabelValue for values)
// ---------------------------------------------------------------------------------------------

const labelName = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,14}[A-Za-z0-9])?$/).filter(s => !looksLikeSecret(s));

/** Label keys: a name, maybe behind a DNS-subdomain prefix. */
export const validLabelKey: fc.Arbitrary<string> = fc.oneof(
  labelName,
  fc.tuple(fc.constantFrom('app.kubernetes.io', 'example.com', 'k8s-app.io', 'team'), labelName).map(([prefix, name]) => `${prefix}/${name}`),
  fc.constantFrom('app.kubernetes.io/name', 'app', 'k8s-app', 'Tier', 'a'.repeat(63)),
);

/** Label values, the empty one included. */
export const validLabelValue: fc.Arbitrary<string> = fc.oneof(labelName, fc.constantFrom('', 'ingress-nginx', 'v1.2.3', 'A_B', 'x'.repeat(63)));

export const validLabelMap: fc.Arbitrary<Record<string, string>> = fc.dictionary(validLabelKey, validLabelValue, { maxKeys: 3 });

/** Label maps the API server rejects in a selector: bad keys, bad values, values that are not strings. */
export const invalidLabelMap: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  { app: 'bad value!' }, { app: 'b c' }, { 'bad key': 'x' }, { '-app': 'x' }, { app: '-x' }, { app: 'x-' },
  { 'example.com/': 'x' }, { 'Example.com/app': 'x' }, { 'a/b/c': 'x' }, { ['k'.repeat(64)]: 'v' }, { app: 'v'.repeat(64) },
  { app: 5 }, { app: null }, 'app=ingress-nginx', ['app'],
);

// ---------------------------------------------------------------------------------------------
// Credentials in URLs (lib/secret.ts credentialKind) and URLs that are not credentials
// ---------------------------------------------------------------------------------------------

/** URLs that carry a credential: webhook URLs of the common services, userinfo, credential-named query parameters. */
export const credentialUrl: fc.Arbitrary<string> = fc.constantFrom(
  'https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  'https://hooks.slack.com/workflows/T0000000/A0000000/123456789/abcdefABCDEF',
  'https://hooks.slack.com/triggers/T0000000/123456789/abcdefABCDEF',
  'hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  'https://contoso.webhook.office.com/webhookb2/0000-1111@2222-3333/IncomingWebhook/abcdef0123456789/4444-5555',
  'https://outlook.office.com/webhook/0000-1111@2222-3333/IncomingWebhook/abcdef0123456789/4444-5555',
  'https://prod-12.westeurope.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=AbCdEf123456',
  'https://discord.com/api/webhooks/123456789012345678/AbCdEf-ghIJkl_0123456789',
  'https://discordapp.com/api/webhooks/123456789012345678/AbCdEf',
  'https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue',
  'https://events.pagerduty.com/v2/enqueue?routing_key=0123456789abcdef0123456789abcdef',
  'https://hooks.zapier.com/hooks/catch/1234567/abcdefg/',
  'https://n8n.example.com/webhook/3f2a9c1e-7b4d-4e0a-9c55-1d2e3f4a5b6c',
  'https://alerts.example.com/api/webhooks/incoming/a1b2c3d4e5f6',
  'https://user:hunter2@proxy.example.com:8080',
  'redis://:s3cr3t@cache.example.com:6379/0',
  'postgresql://litellm:pa55word@db.example.com:5432/litellm',
  'https://0123456789abcdef0123456789abcdef@o123456.ingest.sentry.io/4567',
  'https://api.example.com/v1?api_key=abc123',
  'https://api.example.com/v1?access_token=abc',
  'https://api.example.com/v1?token=xyz&page=2',
  'https://api.example.com/v1?key=abc',
  'https://storage.example.com/container/blob?sv=2022-11-02&sig=abcDEF%2B123',
  'https://bucket.s3.amazonaws.com/key?X-Amz-Credential=AKID%2F20240101&X-Amz-Signature=abc123',
  'https://app.example.com/oauth/callback?code=abc123',
  'https://api.example.com/v1?apiKey=abc123',
);

/** URLs without a credential: must never be refused (false positives are bugs too). */
export const plainUrl: fc.Arbitrary<string> = fc.constantFrom(
  'https://api.openai.com/v1',
  'http://model.svc:8080/v1?api-version=2024-10-21',
  'https://example.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21',
  'https://langfuse.example.com',
  'http://otel-collector.monitoring:4318/v1/traces',
  'https://docs.example.com/webhooks/setup',
  'https://hooks.example.com/',
  'https://user@example.com/path',
  'https://example.com/search?q=key&page=2&monkey=1',
  'https://example.com/status?code=',
);

/** CPU quantities the way people write them, as [quantity, millicores]. */
export const validCpu: fc.Arbitrary<[string | number, number]> = fc.oneof(
  fc.integer({ min: 1, max: 8 }).map(n => [String(n), n * 1000] as [string, number]),
  fc.integer({ min: 1, max: 8 }).map(n => [n, n * 1000] as [number, number]),
  fc.integer({ min: 1, max: 8000 }).map(m => [`${m}m`, m] as [string, number]),
  // Decimal cores ("0.5", "1.1", "2.25"): valid Kubernetes quantities.
  fc.integer({ min: 1, max: 8000 }).filter(m => m % 10 === 0)
    .filter(m => !gapOpen('decimalCpu') || Number.isInteger(Number(String(m / 1000)) * 1000))
    .map(m => [String(m / 1000), m] as [string, number]),
);

export const invalidCpu: fc.Arbitrary<unknown> = fc.constantFrom(
  '0', '0m', '', 'two', '-1', '1.0001', '1e3', ' 1', '1 ', '100 m', '1.5m', 'm', NaN, -2, 0, Infinity, {},
);

export const invalidMemory: fc.Arbitrary<unknown> = fc.constantFrom(
  '1GB', '0Mi', '0', '', '-1Gi', '1.5Gi', 'Mi', '512mi', 512, NaN, null, '1 Gi',
);

export const validImage: fc.Arbitrary<string> = fc.oneof(
  fc.constant('ghcr.io/berriai/litellm-non_root:v1.108.14'),
  fc.constantFrom('v1.83.0', 'v1.89.4', 'main-v1.89.4-stable', '1.89.4').map(t => `ghcr.io/berriai/litellm-non_root:${t}`),
  fc.stringMatching(/^[a-f0-9]{64}$/).map(d => `ghcr.io/berriai/litellm-non_root@sha256:${d}`),
  fc.stringMatching(/^[a-f0-9]{64}$/).map(d => `registry.example.com:5000/mirror/litellm:v1.89.4@sha256:${d}`),
);

export const invalidImage: fc.Arbitrary<unknown> = fc.constantFrom(
  'ghcr.io/berriai/litellm:latest', 'ghcr.io/berriai/litellm', 'registry.example.com:5000/litellm', 'litellm:main',
  'litellm:main-stable', 'litellm:nightly', 'Upper/Case:v1', '', '   ', 'litellm:bad tag', 'litellm@sha256:abc',
  'litellm@md5:0123', 5,
);

/**
 * Values that are or hold a credential (issue 20): whatever check refuses them, the message must not repeat
 * the secret part; `expectOurError` checks that masking the message changes nothing.
 */
export const credentialValue: fc.Arbitrary<string> = fc.constantFrom(
  'rediss://default:S3cr3tPassw0rd@cache.example.com:6380', 'redis://:hunter2-secret@10.0.0.5:6379',
  'postgresql://litellm:pa55w0rd-x9@db.internal:5432/litellm', 'admin:hunter2pass@db.example.com',
  'https://api.example.com/v1?api_key=Zx9vQ2mK7pL4rT8wQ1', 'sk-proj-Ab12Cd34Ef56Gh78Ij90', 'AKIAIOSFODNN7EXAMPLE',
  'ghp_1234567890abcdefghijABCDEFGHIJ1234', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpM',
);

/** Secret references from a small pool (distinct env names: no accidental collisions). */
export const validSecretRef: fc.Arbitrary<SecretKeyRef> = fc.constantFrom(
  { name: 'provider-keys', key: 'openai' }, { name: 'provider-keys', key: 'anthropic' },
  { name: 'azure-openai', key: 'api-key' }, { name: 'bedrock', key: 'secret.access.key' },
);

export const invalidSecretRef: fc.Arbitrary<unknown> = fc.constantFrom(
  'sk-abcdefghijklmnop', 'plain-password', { name: 'Bad_Name', key: 'k' }, { name: 'ok', key: 'bad key' },
  { name: 'ok' }, { name: 'ok', key: 'k', value: 'x' }, null, 42,
);

export const invalidPositiveInt: fc.Arbitrary<unknown> = fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, '100');

// ---------------------------------------------------------------------------------------------
// Dependencies (stand-ins for RedisInstance / ExternalRedis / databases until those land)
// ---------------------------------------------------------------------------------------------

/** A Redis endpoint as the proxy sees it (the IRedisEndpoint contract only). */
export function fakeRedis(options: { tls?: boolean; password?: boolean } = {}): IRedisEndpoint {
  return {
    host: 'redis.litellm.svc.cluster.local',
    port: 6379,
    tls: options.tls ?? false,
    ...(options.password === false ? {} : { password: { name: 'redis-auth', key: 'password' } }),
    egress: { peers: [{ podLabels: { 'app.kubernetes.io/name': 'redis' } }], ports: [6379], reason: 'shared limits' },
    admitClient: () => undefined,
    bind(proxy, options) { bindRedis(proxy, this, options); },
  };
}

/** A database endpoint as the proxy sees it (the IDatabaseEndpoint contract only). */
export function fakeDatabase(maxConnections = 5000): IDatabaseEndpoint {
  return {
    credentials: DatabaseConnection.fromUrl({ name: 'litellm-db', key: 'url' }),
    port: 5432,
    maxConnections,
    deployedWithChart: false,
    egress: { peers: [{ cidr: '10.20.0.0/16' }], ports: [5432], reason: 'governance database' },
    admitClient: () => undefined,
    identityFor: () => ({ key: 'fake-database', label: 'the fake database' }),
    bind(proxy) { bindDatabase(proxy, this); },
  };
}

// ---------------------------------------------------------------------------------------------
// LiteLLMProxy
// ---------------------------------------------------------------------------------------------

const RESERVED_ENV = ['LITELLM_LOG', 'LITELLM_MODE', 'REDIS_HOST', 'HOME', 'NUM_WORKERS', 'PORT', 'DATABASE_URL'];

export const validModel: fc.Arbitrary<ModelDeployment> = fc.record({
  name: fc.constantFrom('gpt-4o', 'claude', 'llama-3.1-8b', 'embed', 'gpt-4o-mini'),
  model: fc.constantFrom('openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'hosted_vllm/meta-llama/Llama-3.1-8B', 'azure/gpt-4o'),
  apiBase: opt(fc.constantFrom('https://example.openai.azure.com', 'http://vllm.models:8000/v1', 'https://api.example.com:8443/v1',
    'http://model.svc:8080/v1?api-version=2024-10-21', 'https://api.openai.com/v1')),
  apiKey: opt(validSecretRef),
  rpm: opt(fc.integer({ min: 1, max: 1_000_000 })),
  tpm: opt(fc.integer({ min: 1, max: 100_000_000 })),
  timeoutSeconds: opt(fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.double({ min: 0.1, max: 3600, noNaN: true }))),
  params: opt(fc.constantFrom<Record<string, unknown>>(
    { max_tokens: 512 }, { api_version: '2024-06-01' }, { aws_region_name: 'eu-west-1' }, { api_key_header: 'os.environ/HEADER_NAME' },
    { extra_headers: { 'X-Docs': 'https://docs.example.com/webhooks/setup' } }, { base_model: 'azure/gpt-4o-2024-08-06' },
  )),
}, { requiredKeys: ['name', 'model'] })
  // A tpm below one answer's max_tokens is a contradiction the proxy refuses: valid models keep tpm at least that.
  .map(m => (m.tpm !== undefined && typeof m.params?.max_tokens === 'number' ? { ...m, tpm: Math.max(m.tpm, m.params.max_tokens) } : m));

/** Inputs that satisfy every rule of LiteLLMProxy, cross-field ones included: all MUST be accepted. */
export const validProxyProps: fc.Arbitrary<LiteLLMProxyProps> = fc.record({
  name: opt(validDns1035Label(47)),
  image: opt(validImage),
  cpu: opt(validCpu),
  cpuLimitExtraMillis: opt(fc.integer({ min: 0, max: 4000 })),
  workers: fc.constantFrom('default', 'perCpu', 'onePerPod', 'fixed'),
  fixedWorkers: fc.integer({ min: 1, max: 8 }),
  memoryMi: opt(fc.integer({ min: 128, max: 16384 })),
  memoryLimitExtraMi: opt(fc.integer({ min: 0, max: 8192 })),
  maxRequestsBeforeRestart: opt(fc.integer({ min: 1, max: 100_000 })),
  scaling: fc.oneof(
    fc.constant({ kind: 'default' as const }),
    fc.integer({ min: 1, max: 6 }).map(n => ({ kind: 'replicas' as const, n })),
    fc.record({
      min: opt(fc.integer({ min: 1, max: 4 })),
      extra: fc.integer({ min: 0, max: 8 }),
      cpuUtilization: opt(fc.integer({ min: 1, max: 100 })),
      memoryUtilization: opt(fc.integer({ min: 1, max: 100 })),
      scaleDownStabilizationSeconds: opt(fc.integer({ min: 0, max: 3600 })),
    }).map(a => ({ kind: 'hpa' as const, ...a })),
  ),
  share: fc.constantFrom('redis', 'accept', 'redis+accept'),
  redisAnyway: fc.boolean(),
  redisTls: fc.boolean(),
  cache: opt(fc.record({ ttlSeconds: opt(fc.integer({ min: 1, max: 86400 })), callTypes: opt(fc.constantFrom([CacheCallType.ACOMPLETION], [CacheCallType.ACOMPLETION, CacheCallType.AEMBEDDING])) })),
  database: fc.boolean(),
  requestTimeoutSeconds: opt(fc.integer({ min: 1, max: 86400 })),
  maxStreamSeconds: opt(fc.integer({ min: 1, max: 86400 })),
  drainExtraSeconds: opt(fc.integer({ min: 0, max: 3600 })),
  preStopSeconds: opt(fc.integer({ min: 0, max: 300 })),
  graceExtra: opt(fc.integer({ min: 1, max: 600 })),
  // Unique entries: deployments may share a name (load balancing), never be identical.
  models: fc.uniqueArray(validModel, { minLength: 1, maxLength: 3, selector: m => JSON.stringify(m) }),
  saltKey: fc.boolean(),
  router: opt(fc.record({
    routingStrategy: opt(fc.constantFrom(...Object.values(RoutingStrategy))),
    numRetries: opt(fc.integer({ min: 0, max: 10 })),
    allowedFails: opt(fc.integer({ min: 0, max: 100 })),
    cooldownSeconds: opt(fc.integer({ min: 0, max: 3600 })),
    enforce: opt(fc.boolean()),
  })),
  metrics: opt(fc.record({
    serviceMonitor: opt(fc.boolean()),
    prometheusNamespace: opt(validDnsLabel(63)),
    interval: opt(fc.constantFrom('15s', '30s', '1m', '500ms')),
  })),
  logLevel: opt(fc.constantFrom(...Object.values(LogLevel))),
  port: opt(fc.integer({ min: 1024, max: 65535 })),
  serviceType: opt(fc.constantFrom(ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)),
  spread: opt(fc.constantFrom(...Object.values(SpreadPolicy))),
  allowFrom: opt(fc.array(fc.oneof(
    fc.constant({}), fc.record({ namespace: validDnsLabel(63) }),
    fc.record({ namespace: validDnsLabel(63), podLabels: fc.constant({ 'app.kubernetes.io/name': 'ingress-nginx' }) }),
    fc.record({ podLabels: validLabelMap }), fc.record({ namespace: validDnsLabel(63), podLabels: validLabelMap }),
    fc.constantFrom({ cidr: '10.0.0.0/8' }, { cidr: 'fd00::/8' }),
  ), { maxLength: 3 })),
  extraEgress: opt(fc.oneof(
    fc.constant([{ peers: [{ cidr: '10.1.0.0/16' }], ports: [8080], reason: 'in-cluster model server' }]),
    fc.tuple(validDnsLabel(63), validLabelMap).map(([namespace, podLabels]) => [{ peers: [{ namespace, podLabels }], ports: [8000], reason: 'vLLM' }]),
  )),
  env: opt(fc.dictionary(fc.constantFrom('APP_MODE', 'FEATURE_FLAG', 'OTEL_SERVICE_NAME', 'TZ', 'LITELLM_DROP_PARAMS', 'MAX_TOKENS', 'LANGFUSE_HOST',
    'OTEL_EXPORTER_OTLP_ENDPOINT'), fc.oneof(fc.constantFrom('1', 'true', 'Europe/Berlin', 'litellm', '', '/data'), plainUrl), { maxKeys: 4 })),
  secretEnv: opt(fc.dictionary(fc.constantFrom('OPENAI_ORGANIZATION', 'SLACK_WEBHOOK_URL', 'LANGFUSE_SECRET_KEY'), validSecretRef, { maxKeys: 3 })),
  extraConfig: opt(fc.oneof(
    fc.constantFrom<Record<string, any>>(
      { litellmSettings: { drop_params: true } }, { generalSettings: { alerting: ['slack'] } },
      { routerSettings: { enable_pre_call_checks: true } }, { environmentVariables: {} },
      // A map of webhook URLs is all credentials: references pass.
      { generalSettings: { alerting: ['slack'], alert_to_webhook_url: { llm_exceptions: 'os.environ/SLACK_WEBHOOK_URL' } } },
    ),
    plainUrl.map(url => ({ litellmSettings: { drop_params: true, docs_link: url } })),
  )),
  imagePullSecrets: opt(fc.constantFrom(['regcred'], ['regcred', 'mirror-pull'])),
}).map((g): LiteLLMProxyProps => {
  const [cpu, cpuMillis] = g.cpu ?? ['1', 1000];
  const cores = Math.max(1, Math.floor(cpuMillis / 1000));
  const workerCount = g.workers === 'fixed' ? Math.min(g.fixedWorkers, cores) : g.workers === 'onePerPod' ? 1 : cores;
  const workers = g.workers === 'default' ? undefined
    : g.workers === 'perCpu' ? WorkerSizing.perCpu()
      : g.workers === 'onePerPod' ? WorkerSizing.onePerPod() : WorkerSizing.fixed(workerCount);
  // The measured rule is the floor for both request and limit (256Mi + 512Mi per worker).
  const floorMi = 256 + 512 * workerCount;
  const memoryMi = Math.max(floorMi, g.memoryMi ?? floorMi);
  let maxReplicas = 1;
  let scaling: Partial<LiteLLMProxyProps> = {};
  if (g.scaling.kind === 'replicas') {
    maxReplicas = g.scaling.n;
    scaling = { replicas: g.scaling.n };
  } else if (g.scaling.kind === 'hpa') {
    maxReplicas = (g.scaling.min ?? 2) + g.scaling.extra;
    maxReplicas = Math.max(2, maxReplicas); // an autoscaler needs a range (maxReplicas >= 2)
    scaling = {
      autoscaling: {
        ...(g.scaling.min !== undefined ? { minReplicas: g.scaling.min } : {}),
        maxReplicas,
        cpuUtilization: g.scaling.cpuUtilization,
        memoryUtilization: g.scaling.memoryUtilization,
        scaleDownStabilizationSeconds: g.scaling.scaleDownStabilizationSeconds,
      },
    };
  }
  // Several processes without Redis need the explicit consent (limits are per process).
  const shared = maxReplicas * workerCount > 1;
  const redis = (shared && g.share !== 'accept') || g.redisAnyway ? fakeRedis({ tls: g.redisTls }) : undefined;
  const accept = shared && g.share !== 'redis' ? true : undefined;
  // The timeout agreement (lib/proxy/timing.ts): attempts × the longest per-attempt timeout + backoff
  // must stay within a day, and the drain must cover it and the longest stream.
  const numRetries = g.router?.numRetries ?? 2;
  const modelTimeout = Math.max(0, ...g.models.map(m => m.timeoutSeconds ?? 0));
  const backoff = nonStreamingBound(0, numRetries).backoffSeconds;
  const maxPerAttempt = Math.floor((86400 - backoff - 1) / (numRetries + 1));
  let requestTimeoutSeconds = gapOpen('longRequestTimeoutWithAutoscaling') && g.scaling.kind === 'hpa'
    && g.scaling.scaleDownStabilizationSeconds === undefined && g.requestTimeoutSeconds !== undefined
    ? Math.min(g.requestTimeoutSeconds, 3600) : g.requestTimeoutSeconds;
  if (requestTimeoutSeconds !== undefined) requestTimeoutSeconds = Math.min(requestTimeoutSeconds, maxPerAttempt);
  const models = modelTimeout > maxPerAttempt ? g.models.map(m => ({ ...m, timeoutSeconds: undefined })) : g.models;
  const bound = nonStreamingBound(Math.max(requestTimeoutSeconds ?? 600, ...models.map(m => m.timeoutSeconds ?? 0)), numRetries).seconds;
  const maxStream = g.maxStreamSeconds ?? bound;
  const drainTimeoutSeconds = g.drainExtraSeconds !== undefined ? Math.min(86400, Math.max(bound, maxStream) + g.drainExtraSeconds) : undefined;
  const drain = drainTimeoutSeconds ?? Math.max(bound, maxStream);
  const preStop = g.preStopSeconds ?? 10;
  const hasLimits = g.models.some(m => m.rpm !== undefined || m.tpm !== undefined);
  return strip({
    name: g.name,
    image: g.image,
    cpu: g.cpu ? (cpu as string) : undefined,
    cpuLimit: g.cpuLimitExtraMillis !== undefined ? `${cpuMillis + g.cpuLimitExtraMillis}m` : undefined,
    workers,
    memory: g.memoryMi !== undefined ? `${memoryMi}Mi` : undefined,
    memoryLimit: g.memoryLimitExtraMi !== undefined ? `${memoryMi + g.memoryLimitExtraMi}Mi` : undefined,
    // Recycling needs a second worker to take over (proxy_cli.py).
    maxRequestsBeforeRestart: workerCount >= 2 ? g.maxRequestsBeforeRestart : undefined,
    ...scaling,
    acceptPerReplicaLimits: accept,
    redis,
    cache: redis ? g.cache : undefined,
    database: g.database ? fakeDatabase() : undefined,
    requestTimeoutSeconds,
    maxStreamSeconds: g.maxStreamSeconds,
    drainTimeoutSeconds,
    preStopSeconds: g.preStopSeconds,
    // More than preStop + drain + 10 s of teardown (gunicorn's headroom).
    terminationGracePeriodSeconds: g.graceExtra !== undefined ? preStop + drain + 10 + g.graceExtra : undefined,
    models,
    masterKey: { name: 'litellm-master', key: 'master-key' },
    saltKey: g.saltKey ? { name: 'litellm-salt', key: 'salt' } : undefined,
    router: g.router ? strip({
      routingStrategy: g.router.routingStrategy,
      numRetries: g.router.numRetries,
      allowedFails: g.router.allowedFails,
      cooldownSeconds: g.router.cooldownSeconds,
      enforceModelRateLimits: hasLimits ? g.router.enforce : (g.router.enforce === false ? false : undefined),
    }) : undefined,
    metrics: g.metrics ? strip(g.metrics) : undefined,
    logLevel: g.logLevel,
    port: g.port,
    serviceType: g.serviceType,
    spread: g.spread,
    allowFrom: g.allowFrom,
    extraEgress: g.extraEgress,
    env: g.env,
    secretEnv: g.secretEnv,
    extraConfig: g.extraConfig,
    imagePullSecrets: g.imagePullSecrets,
  }) as LiteLLMProxyProps;
});

/** A named mutation that makes any valid input invalid. */
export interface Poison<P> {
  readonly label: string;
  /** The prop the error must name (a prefix of LiteLLMConfigError.prop). */
  readonly prop: string;
  readonly apply: (props: P, value: any) => P;
  readonly values: fc.Arbitrary<any>;
}

const withModel = (p: LiteLLMProxyProps, patch: Record<string, unknown>): LiteLLMProxyProps =>
  ({ ...p, models: [{ ...p.models[0], ...patch } as ModelDeployment, ...p.models.slice(1)] });

/** Literal credentials outside Secret references (see KNOWN_GAPS.literalSecrets). */
export const LITERAL_SECRET_POISONS: Poison<LiteLLMProxyProps>[] = [
  { label: 'env value like a key', prop: 'env.', values: fc.constantFrom('sk-abcdefghijklmnop', 'AKIAABCDEFGHIJKLMNOP', 'Bearer abcdefghijklmnop'),
    apply: (p, v) => ({ ...p, env: { APP_MODE: v } }) },
  { label: 'env named like a credential', prop: 'env.', values: fc.constantFrom('OPENAI_API_KEY', 'HF_TOKEN', 'DB_PASSWORD', 'CLIENT_SECRET'),
    apply: (p, v) => ({ ...p, env: { [v]: 'hunter2' } }) },
  { label: 'key in a model string', prop: 'models[0]', values: fc.constantFrom({ name: 'sk-abcdefghijklmnop' }, { apiBase: 'https://x.example.com/v1?key=sk-abcdefghijklmnop' }),
    apply: (p, v) => withModel(p, v) },
  { label: 'credential URL in env', prop: 'env.', values: credentialUrl, apply: (p, v) => ({ ...p, env: { ...(p.env ?? {}), NOTIFY_URL: v } }) },
  { label: 'credential URL in extraConfig', prop: 'extraConfig.', values: fc.tuple(
    fc.constantFrom('litellmSettings', 'routerSettings', 'generalSettings'), fc.constantFrom('callback_url', 'alerting_target', 'notify'), credentialUrl),
  apply: (p, [section, key, url]) => ({ ...p, extraConfig: { [section]: { [key]: url } } }) },
  { label: 'literal under a webhook-named key', prop: 'extraConfig.generalSettings.', values: fc.constantFrom<any>(
    { alerting_webhook: 'https://alerts.internal.example.com/notify' }, { alert_to_webhook_url: { llm_exceptions: 'https://alerts.internal.example.com/x' } },
    { pagerduty: { routing_key: 'R0123456789' } }, { slack_webhook_url: 'https://alerts.example.com' }),
  apply: (p, v) => ({ ...p, extraConfig: { generalSettings: v } }) },
  { label: 'environment_variables entry', prop: 'extraConfig.environmentVariables.', values: fc.constantFrom<any>(
    { LANGFUSE_HOST: 'https://langfuse.example.com' }, { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX' },
    { LANGFUSE_SECRET_KEY: 'os.environ/LANGFUSE_SECRET_KEY' }, { FEATURE: '' }),
  apply: (p, v) => ({ ...p, extraConfig: { environmentVariables: v } }) },
  { label: 'credential URL in params', prop: 'models[0].params', values: credentialUrl,
    apply: (p, v) => withModel(p, { params: { extra_headers: { 'X-Callback': v } } }) },
  { label: 'credential URL as apiBase', prop: 'models[0].apiBase', values: credentialUrl.filter(u => u.startsWith('http')),
    apply: (p, v) => withModel(p, { apiBase: v }) },
];

/** Single-field mutations of LiteLLMProxy props; each MUST be rejected with LiteLLMConfigError naming `prop`. */
export const proxyPoisons: Poison<LiteLLMProxyProps>[] = [
  { label: 'cpu', prop: 'cpu', values: invalidCpu, apply: (p, v) => ({ ...p, cpu: v }) },
  { label: 'memory', prop: 'memory', values: invalidMemory, apply: (p, v) => ({ ...p, memory: v }) },
  { label: 'memoryLimit', prop: 'memoryLimit', values: fc.oneof(invalidMemory, fc.constant('1Mi')), apply: (p, v) => ({ ...p, memoryLimit: v }) },
  { label: 'cpuLimit below request', prop: 'cpuLimit', values: fc.constant(undefined), apply: p => ({ ...p, cpu: '2', cpuLimit: '1500m', workers: undefined, memory: undefined, memoryLimit: undefined }) },
  { label: 'workers', prop: 'workers', values: fc.constantFrom(0, -1, 1.5, NaN, 99), apply: (p, v) => ({ ...p, workers: WorkerSizing.fixed(v) }) },
  { label: 'replicas', prop: 'replicas', values: invalidPositiveInt, apply: (p, v) => ({ ...p, autoscaling: undefined, replicas: v }) },
  { label: 'replicas with autoscaling', prop: 'replicas', values: fc.integer({ min: 1, max: 5 }),
    apply: (p, v) => ({ ...p, replicas: v, autoscaling: { maxReplicas: 3 }, acceptPerReplicaLimits: true }) },
  { label: 'autoscaling min above max', prop: 'autoscaling.minReplicas', values: fc.integer({ min: 2, max: 9 }),
    apply: (p, v) => ({ ...p, replicas: undefined, autoscaling: { minReplicas: v + 1, maxReplicas: v }, acceptPerReplicaLimits: true }) },
  { label: 'autoscaling.maxReplicas', prop: 'autoscaling.maxReplicas', values: invalidPositiveInt,
    apply: (p, v) => ({ ...p, replicas: undefined, autoscaling: { minReplicas: 1, maxReplicas: v }, acceptPerReplicaLimits: true }) },
  { label: 'autoscaling.cpuUtilization', prop: 'autoscaling.cpuUtilization', values: fc.constantFrom(0, 101, 50.5, NaN, -1),
    apply: (p, v) => ({ ...p, replicas: undefined, autoscaling: { maxReplicas: 3, cpuUtilization: v }, acceptPerReplicaLimits: true }) },
  { label: 'replicated without redis or consent', prop: '', values: fc.integer({ min: 2, max: 6 }),
    apply: (p, v) => ({ ...p, replicas: v, autoscaling: undefined, redis: undefined, cache: undefined, acceptPerReplicaLimits: undefined }) },
  { label: 'requestTimeoutSeconds', prop: 'requestTimeoutSeconds', values: fc.constantFrom(0, -1, 1.5, 86401, NaN, '600'),
    apply: (p, v) => ({ ...p, requestTimeoutSeconds: v }) },
  { label: 'drainTimeoutSeconds', prop: 'drainTimeoutSeconds', values: fc.constantFrom(0, -5, 2.5, 100000, NaN),
    apply: (p, v) => ({ ...p, drainTimeoutSeconds: v }) },
  { label: 'preStopSeconds', prop: 'preStopSeconds', values: fc.constantFrom(-1, 301, 0.5, NaN), apply: (p, v) => ({ ...p, preStopSeconds: v }) },
  { label: 'grace period too short', prop: 'terminationGracePeriodSeconds', values: fc.integer({ min: 0, max: 10 }),
    apply: (p, v) => ({ ...p, preStopSeconds: 10, requestTimeoutSeconds: 5, router: { numRetries: 0 }, models: p.models.map(m => ({ ...m, timeoutSeconds: undefined })),
      maxStreamSeconds: undefined, drainTimeoutSeconds: 30, terminationGracePeriodSeconds: 30 + v }) },
  { label: 'no models', prop: 'models', values: fc.constantFrom([], undefined, 'openai/gpt-4o'), apply: (p, v) => ({ ...p, models: v }) },
  { label: 'model name', prop: 'models[0].name', values: fc.constantFrom('', '   ', undefined, 5), apply: (p, v) => withModel(p, { name: v }) },
  { label: 'model without provider', prop: 'models[0].model', values: fc.constantFrom('gpt-4o', '', undefined), apply: (p, v) => withModel(p, { model: v }) },
  { label: 'apiBase', prop: 'models[0].apiBase', values: fc.constantFrom('vllm:8000', 'ftp://x.example.com', 'https://user:pw@x.example.com', 'not a url'),
    apply: (p, v) => withModel(p, { apiBase: v }) },
  { label: 'apiKey', prop: 'models[0].apiKey', values: invalidSecretRef, apply: (p, v) => withModel(p, { apiKey: v }) },
  { label: 'rpm', prop: 'models[0].rpm', values: invalidPositiveInt, apply: (p, v) => withModel(p, { rpm: v }) },
  { label: 'tpm', prop: 'models[0].tpm', values: invalidPositiveInt, apply: (p, v) => withModel(p, { tpm: v }) },
  { label: 'model timeout', prop: 'models[0].timeoutSeconds', values: fc.constantFrom(0, -1, NaN, Infinity, '30'), apply: (p, v) => withModel(p, { timeoutSeconds: v }) },
  { label: 'params set a typed key', prop: 'models[0].params', values: fc.constantFrom({ rpm: 5 }, { api_key: 'os.environ/X' }, { model: 'x/y' }),
    apply: (p, v) => withModel(p, { params: v }) },
  { label: 'params literal secret', prop: 'models[0].params', values: fc.constantFrom({ aws_secret_access_key: 'abc' }, { extra: 'sk-abcdefghijklmnop' }),
    apply: (p, v) => withModel(p, { params: v }) },
  { label: 'name', prop: 'name', values: invalidDns1035Label, apply: (p, v) => ({ ...p, name: v }) },
  { label: 'image', prop: 'image', values: invalidImage, apply: (p, v) => ({ ...p, image: v }) },
  { label: 'masterKey', prop: 'masterKey', values: fc.oneof(invalidSecretRef, fc.constant(undefined)), apply: (p, v) => ({ ...p, masterKey: v }) },
  { label: 'env name', prop: 'env.', values: fc.constantFrom('my-var', '1ABC', 'A B', ''), apply: (p, v) => ({ ...p, env: { [v]: 'x' } }) },
  { label: 'env reserved', prop: 'env.', values: fc.constantFrom(...RESERVED_ENV), apply: (p, v) => ({ ...p, env: { [v]: 'x' } }) },
  { label: 'env value not a string', prop: 'env.', values: fc.constantFrom(5, true, null), apply: (p, v) => ({ ...p, env: { APP_MODE: v } }) },
  { label: 'env duplicated in secretEnv', prop: 'secretEnv.', values: fc.constantFrom('APP_MODE', 'TZ'),
    apply: (p, v) => ({ ...p, env: { [v]: 'x' }, secretEnv: { [v]: { name: 's', key: 'k' } } }) },
  { label: 'secretEnv literal', prop: 'secretEnv.', values: invalidSecretRef, apply: (p, v) => ({ ...p, secretEnv: { MY_TOKEN: v } }) },
  { label: 'port', prop: 'port', values: fc.constantFrom(0, 70000, 1.5, -80, NaN), apply: (p, v) => ({ ...p, port: v }) },
  { label: 'metrics.interval', prop: 'metrics.interval', values: fc.constantFrom('30 seconds', '30', '1d', ''), apply: (p, v) => ({ ...p, metrics: { interval: v } }) },
  { label: 'metrics.prometheusNamespace', prop: 'metrics.prometheusNamespace', values: invalidDnsLabel, apply: (p, v) => ({ ...p, metrics: { prometheusNamespace: v } }) },
  { label: 'logLevel', prop: 'logLevel', values: fc.constantFrom('TRACE', 'error', ''), apply: (p, v) => ({ ...p, logLevel: v }) },
  { label: 'serviceType', prop: 'serviceType', values: fc.constantFrom('ExternalName', 'clusterip'), apply: (p, v) => ({ ...p, serviceType: v }) },
  { label: 'spread', prop: 'spread', values: fc.constantFrom('always', ''), apply: (p, v) => ({ ...p, spread: v }) },
  { label: 'allowFrom', prop: 'allowFrom[0]', values: fc.constantFrom({ cidr: '10.0.0.0' }, { cidr: '10.0.0.0/8', namespace: 'x' }, { namespace: 'Bad_NS' },
    { cidr: '10.0.0.256/8' }, { cidr: '10.0.0.0/33' }, { cidr: 'fd00::/129' }),
  apply: (p, v) => ({ ...p, allowFrom: [v] }) },
  { label: 'allowFrom podLabels', prop: 'allowFrom[0].podLabels', values: invalidLabelMap, apply: (p, v) => ({ ...p, allowFrom: [{ podLabels: v }] }) },
  { label: 'extraEgress podLabels', prop: 'extraEgress[0].peers[0].podLabels', values: invalidLabelMap,
    apply: (p, v) => ({ ...p, extraEgress: [{ peers: [{ namespace: 'models', podLabels: v }], ports: [8000], reason: 'vLLM' }] }) },
  { label: 'identical model entries', prop: 'models[', values: fc.integer({ min: 0, max: 2 }),
    apply: (p, v) => ({ ...p, models: [...p.models, p.models[Math.min(v, p.models.length - 1)]] }) },
  { label: 'routingStrategy', prop: 'router.routingStrategy', values: fc.constantFrom('random', ''), apply: (p, v) => ({ ...p, router: { routingStrategy: v } }) },
  { label: 'numRetries', prop: 'router.numRetries', values: fc.constantFrom(-1, 11, 1.5), apply: (p, v) => ({ ...p, router: { numRetries: v } }) },
  { label: 'enforce without limits', prop: 'router.enforceModelRateLimits', values: fc.constant(true),
    apply: (p, v) => ({ ...p, models: p.models.map(m => ({ ...m, rpm: undefined, tpm: undefined })), router: { enforceModelRateLimits: v } }) },
  { label: 'cache without redis', prop: 'cache', values: fc.constant({}),
    apply: (p, v) => ({ ...p, replicas: undefined, autoscaling: undefined, cpu: '1', cpuLimit: undefined, workers: undefined, redis: undefined, cache: v }) },
  { label: 'extraConfig', prop: 'extraConfig', values: fc.constantFrom<any>(
    { model_list: [] }, { generalSettings: { slack_webhook_token: 'abc123' } }, { litellmSettings: { request_timeout: 30 } },
    { generalSettings: { master_key: 'sk-abcdefghijkl' } }, { litellm_settings: { drop_params: true } }),
  apply: (p, v) => ({ ...p, extraConfig: v }) },
  { label: 'imagePullSecrets', prop: 'imagePullSecrets[0]', values: fc.constantFrom('Bad_Name', ''), apply: (p, v) => ({ ...p, imagePullSecrets: [v] }) },
  { label: 'database too small for the pools', prop: 'governance.databaseConnectionPoolLimit', values: fc.integer({ min: 1, max: 10 }),
    apply: (p, v) => ({ ...p, database: fakeDatabase(v), governance: { databaseConnectionPoolLimit: 10 } }) },
  { label: 'database too small for even a pool of one', prop: 'governance.databaseConnectionPoolLimit', values: fc.integer({ min: 1, max: 2 }),
    apply: (p, v) => ({ ...p, database: fakeDatabase(v) }) },
  { label: 'maxRequestsBeforeRestart', prop: 'maxRequestsBeforeRestart', values: fc.constantFrom(0, -1, 2.5), apply: (p, v) => ({ ...p, maxRequestsBeforeRestart: v }) },
  { label: 'maxRequestsBeforeRestart with one worker', prop: 'maxRequestsBeforeRestart', values: fc.integer({ min: 1, max: 100_000 }),
    apply: (p, v) => ({ ...p, cpu: '1', cpuLimit: undefined, workers: undefined, maxRequestsBeforeRestart: v }) },
  { label: 'drain shorter than the non-streaming bound', prop: 'drainTimeoutSeconds', values: fc.integer({ min: 1, max: 1805 }),
    apply: (p, v) => ({ ...p, requestTimeoutSeconds: 600, router: { numRetries: 2 }, models: p.models.map(m => ({ ...m, timeoutSeconds: undefined })), maxStreamSeconds: 1, drainTimeoutSeconds: v }) },
  { label: 'drain shorter than maxStreamSeconds', prop: 'drainTimeoutSeconds', values: fc.integer({ min: 0, max: 1000 }),
    apply: (p, v) => ({ ...p, requestTimeoutSeconds: 10, router: { numRetries: 0 }, models: p.models.map(m => ({ ...m, timeoutSeconds: undefined })), maxStreamSeconds: 2000, drainTimeoutSeconds: 1999 - v }) },
  ...(gapOpen('literalSecrets') ? [] : LITERAL_SECRET_POISONS),
];

/** A poison and the value it applies: pick one, or none. */
export interface Poisoned<P> {
  readonly props: P;
  /** The poison label, or undefined for a clean input. */
  readonly poison?: Poison<P>;
  readonly value?: unknown;
}

/** A valid input, clean about a third of the time, else with one poison applied. */
export function poisoned<P>(valid: fc.Arbitrary<P>, poisons: readonly Poison<P>[]): fc.Arbitrary<Poisoned<P>> {
  const withPoison = fc.constantFrom(...poisons).chain(poison => fc.tuple(fc.constant(poison), poison.values));
  return fc.tuple(valid, fc.option(withPoison, { freq: 3, nil: undefined })).map(([props, pv]) =>
    pv === undefined ? { props } : { props: pv[0].apply(props, pv[1]), poison: pv[0], value: pv[1] });
}

/** Props that may receive a value of the wrong type (plain JavaScript callers) and must still end in LiteLLMConfigError. */
export const UNTYPED_PROXY_PROPS: readonly string[] = [
  'name', 'image', 'cpu', 'memory', 'memoryLimit', 'cpuLimit', 'replicas', 'acceptPerReplicaLimits', 'models', 'masterKey', 'saltKey',
  'env', 'secretEnv', 'port', 'requestTimeoutSeconds', 'drainTimeoutSeconds', 'preStopSeconds', 'terminationGracePeriodSeconds',
  'maxRequestsBeforeRestart', 'router', 'logLevel', 'serviceType', 'spread', 'redis', 'cache',
  ...(gapOpen('untypedProps') ? [] : ['workers', 'autoscaling', 'metrics', 'database', 'extraConfig', 'allowFrom', 'extraEgress', 'imagePullSecrets']),
];

/** Any value for one of UNTYPED_PROXY_PROPS, on top of valid props. */
export const untypedProxyProps: fc.Arbitrary<{ props: LiteLLMProxyProps; key: string; value: unknown }> = fc.tuple(
  validProxyProps, fc.constantFrom(...UNTYPED_PROXY_PROPS), fc.anything({ maxDepth: 2 }),
).map(([props, key, value]) => ({ props: { ...props, [key]: value } as LiteLLMProxyProps, key, value }));

/** Drops undefined members, as a hand-written props object would. */
function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// LiteLLMStack
// ---------------------------------------------------------------------------------------------

/** Fully qualified DNS host names (two or three labels; the top-level one is not all digits, or it would be an address). */
export const validHost: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/), { minLength: 1, maxLength: 2 }),
  fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/).filter(tld => !/^\d+$/.test(tld)),
).map(([labels, tld]) => [...labels, tld].join('.'));

export const invalidHost: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    'litellm', 'LLM.example.com', 'https://llm.example.com', '*.example.com', 'llm.example.com/v1', '', ' llm.example.com', 'llm..example.com', 42, null,
    // Addresses: the API server rejects an Ingress host that is an IP; Gateway API hostnames and Traefik Host() match names.
    '203.0.113.10', '10.0.0.1', '010.0.0.1', '2001:db8::1', '[2001:db8::1]', 'llm.example.123',
  ),
  // Issue 20: a valid host with a trailing dot or in upper case, and credential-bearing URLs pasted as a host.
  validHost.map(h => `${h}.`),
  validHost.filter(h => /[a-z]/.test(h)).map(h => h.toUpperCase()),
  credentialValue,
);

/** The choices a stack input is made of, before they become props (kept for labels and checks). */
export interface StackChoices {
  readonly preset: 'edge' | 'production';
  readonly controller?: EdgeController;
  /** The edge as test data (controller, hosts and options), to patch and rebuild. */
  readonly edge?: EdgeCase;
  readonly redis: 'in-cluster' | 'external' | 'none';
  readonly database: 'none' | 'external' | 'cloudnative-pg';
}

/**
 * Stack inputs that satisfy every cross-field rule, so they MUST be accepted:
 * TLS wherever the production preset asks for it, Redis off only with the
 * consent to per-process limits, body sizes only where the controller has a
 * limit, stream timeouts at least the request timeout, and CPU / replicas
 * small enough that the connection pools fit a default database
 * (4 workers x (7 + 1) pods = 32 processes, at least 2 connections each in 89).
 */
export const validStackProps: fc.Arbitrary<{ props: LiteLLMStackProps; choices: StackChoices }> = fc.record({
  namespace: validDnsLabel(63),
  preset: fc.constantFrom('edge', 'production') as fc.Arbitrary<'edge' | 'production'>,
  controller: opt(fc.constantFrom(...EDGE_CONTROLLERS)),
  redis: fc.constantFrom('in-cluster', 'external', 'none') as fc.Arbitrary<StackChoices['redis']>,
  database: fc.constantFrom('none', 'external', 'cloudnative-pg') as fc.Arbitrary<StackChoices['database']>,
  cpu: opt(validCpu.filter(([, millis]) => millis <= 4000)),
  scaling: fc.oneof(
    fc.constant({ kind: 'preset' as const }),
    fc.integer({ min: 1, max: 6 }).map(n => ({ kind: 'replicas' as const, n })),
    fc.record({ min: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 4 }) }).map(a => ({ kind: 'hpa' as const, ...a })),
  ),
  requestTimeoutSeconds: opt(fc.integer({ min: 1, max: 7200 })),
  streamExtraSeconds: opt(fc.integer({ min: 0, max: 3600 })),
  bodySize: opt(fc.oneof(fc.constantFrom('0', '512k', '10m', '1g'), fc.integer({ min: 1, max: 999 }).map(n => `${n}m`))),
  hosts: fc.uniqueArray(validHost, { minLength: 1, maxLength: 3 }),
  tls: fc.constantFrom('secret', 'issuer', 'none'),
  createNamespace: opt(fc.boolean()),
  syncWaves: opt(fc.boolean()),
  metrics: opt(fc.constant({ enabled: false })),
  cache: fc.boolean(),
  // Up to the longest name whose derived Redis / database names still fit (clamped below).
  proxyName: opt(fc.oneof(validDns1035Label(30), fc.constantFrom(37, 46, 47).map(n => 'p'.repeat(n)))),
  controllerPodLabels: opt(validLabelMap),
  redisNoAuth: fc.boolean(),
  loadBalanced: fc.boolean(),
  keyModels: opt(fc.constantFrom(['gpt-4o'], ['gpt-4o', 'claude'], ['all-proxy-models'])),
  extraConfig: opt(plainUrl.map(url => ({ generalSettings: { alerting: ['slack'] }, litellmSettings: { docs_link: url } }))),
}).map(g => {
  const basePreset = g.preset === 'edge' ? Presets.edge() : Presets.production();
  const proxy: Record<string, unknown> = {};
  if (g.proxyName !== undefined) {
    const room = g.database === 'cloudnative-pg' ? 37 : g.redis === 'in-cluster' ? 46 : 47;
    proxy.name = g.proxyName.length > room ? 'p'.repeat(room) : g.proxyName;
  }
  if (g.cpu) proxy.cpu = g.cpu[0];
  if (g.scaling.kind === 'replicas') proxy.replicas = g.scaling.n;
  if (g.scaling.kind === 'hpa') proxy.autoscaling = { minReplicas: g.scaling.min, maxReplicas: Math.max(2, g.scaling.min + g.scaling.extra) };
  if (g.requestTimeoutSeconds !== undefined) proxy.requestTimeoutSeconds = g.requestTimeoutSeconds;
  // Without Redis, several processes need the consent (a single one does not; setting it anyway is harmless).
  if (g.redis === 'none') proxy.acceptPerReplicaLimits = true;
  // The edge must cover the proxy's non-streaming bound (3 attempts with the default retries).
  const bound = nonStreamingBound(g.requestTimeoutSeconds ?? 600, 2).seconds;

  let edge: EdgeCase | undefined;
  if (g.controller !== undefined) {
    const needsTls = g.preset === 'production' && g.controller !== EdgeController.GATEWAY_API;
    const tlsChoice = g.controller === EdgeController.GATEWAY_API ? 'none' : needsTls && g.tls === 'none' ? 'secret' : g.tls;
    const common = {
      hosts: g.hosts,
      ...(g.controllerPodLabels !== undefined ? { controllerPodLabels: g.controllerPodLabels } : {}),
      ...(tlsChoice === 'secret' ? { tls: { secretName: 'llm-tls' } } : tlsChoice === 'issuer' ? { tls: { clusterIssuer: 'letsencrypt' } } : {}),
      ...(g.streamExtraSeconds !== undefined ? { streamIdleTimeoutSeconds: Math.min(86400, bound + g.streamExtraSeconds) } : {}),
    };
    const hasBodyLimit = g.controller === EdgeController.INGRESS_NGINX || g.controller === EdgeController.NGINX_INC;
    const body = g.bodySize !== undefined && (hasBodyLimit || g.bodySize === '0') ? { maxRequestBodySize: g.bodySize } : {};
    edge = g.controller === EdgeController.GATEWAY_API
      ? { controller: g.controller, ...common, gateway: { name: 'public', namespace: 'gateway' }, controllerNamespace: 'envoy-gateway-system' }
      : { controller: g.controller, ...common, ...body };
  }
  const props: LiteLLMStackProps = strip({
    namespace: g.namespace,
    preset: g.redis === 'in-cluster' ? basePreset : { ...basePreset, inClusterRedis: false },
    models: [
      { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 600 },
      // Same name, other endpoint: load balancing, which must stay legal.
      ...(g.loadBalanced ? [{ name: 'gpt-4o', model: 'azure/gpt-4o', apiBase: 'https://example.openai.azure.com', apiKey: { name: 'azure-openai', key: 'api-key' } }] : []),
      { name: 'claude', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'provider-keys', key: 'anthropic' } },
    ],
    masterKey: { name: 'litellm-master', key: 'master-key' },
    redis: g.redis === 'in-cluster' ? { password: { name: 'redis-auth', key: 'password' } }
      : g.redis === 'external' ? { external: g.redisNoAuth ? { host: '10.40.0.5', allowNoAuth: true, cidr: '10.40.0.0/24' } : { host: 'cache.example.com', password: { name: 'redis-auth', key: 'password' } } }
        : undefined,
    governance: g.database !== 'none' && g.keyModels !== undefined ? { defaultKeyParams: { models: g.keyModels } } : undefined,
    extraConfig: g.extraConfig,
    cache: g.cache && g.redis !== 'none' ? {} : undefined,
    database: g.database === 'external' ? { external: { url: { name: 'litellm-db', key: 'url' } } }
      : g.database === 'cloudnative-pg' ? { cloudNativePg: {} } : undefined,
    proxy: Object.keys(proxy).length > 0 ? proxy : undefined,
    ...(edge !== undefined ? stackEdge(edge) : {}),
    createNamespace: g.createNamespace,
    syncWaves: g.syncWaves,
    metrics: g.metrics,
  }) as unknown as LiteLLMStackProps;
  return { props, choices: { preset: g.preset, controller: g.controller, edge, redis: g.redis, database: g.database } };
});

type StackInput = { props: LiteLLMStackProps; choices: StackChoices };
/** The stack's props with its edge (or a default ingress-nginx one) patched: the edge is rebuilt from its test data. */
const withEdge = (s: StackInput, patch: Record<string, unknown>, props = s.props): LiteLLMStackProps =>
  ({ ...props, ...stackEdge({ ...(s.choices.edge ?? { controller: EdgeController.INGRESS_NGINX, hosts: ['llm.example.com'], tls: { secretName: 'llm-tls' } }), ...patch } as EdgeCase) });
const withProxy = (p: LiteLLMStackProps, patch: Record<string, unknown>): LiteLLMStackProps => ({ ...p, proxy: { ...(p.proxy ?? {}), ...patch } });

/** Single-field mutations of stack props; each MUST be rejected with LiteLLMConfigError naming `prop` (a prefix). */
export const stackPoisons: Poison<StackInput>[] = [
  { label: 'namespace', prop: 'namespace', values: invalidDnsLabel, apply: (s, v) => ({ ...s, props: { ...s.props, namespace: v } }) },
  { label: 'edge host', prop: 'hosts', values: invalidHost, apply: (s, v) => ({ ...s, props: withEdge(s, { hosts: [v] }) }) },
  { label: 'edge hosts empty', prop: 'hosts', values: fc.constantFrom([], undefined, 'llm.example.com'), apply: (s, v) => ({ ...s, props: withEdge(s, { hosts: v }) }) },
  { label: 'cpu', prop: 'proxy.cpu', values: invalidCpu, apply: (s, v) => ({ ...s, props: withProxy(s.props, { cpu: v }) }) },
  { label: 'replicas', prop: 'proxy.replicas', values: invalidPositiveInt,
    apply: (s, v) => ({ ...s, props: withProxy(s.props, { replicas: v, autoscaling: undefined }) }) },
  { label: 'requestTimeoutSeconds', prop: 'proxy.requestTimeoutSeconds', values: fc.constantFrom(0, -1, 1.5, 86401, NaN, '600'),
    apply: (s, v) => ({ ...s, props: withProxy(s.props, { requestTimeoutSeconds: v }) }) },
  { label: 'stream timeout below the non-streaming bound', prop: 'edge.streamIdleTimeoutSeconds', values: fc.integer({ min: 1, max: 1805 }),
    apply: (s, v) => ({ ...s, props: withEdge(s, { streamIdleTimeoutSeconds: v }, withProxy(s.props, { requestTimeoutSeconds: 600 })) }) },
  { label: 'stream timeout not an integer in range', prop: 'edge.streamIdleTimeoutSeconds', values: fc.constantFrom(0, 1.5, 86401, NaN, '700'),
    apply: (s, v) => ({ ...s, props: withEdge(s, { streamIdleTimeoutSeconds: v }) }) },
  { label: 'body size', prop: 'edge.maxRequestBodySize', values: fc.constantFrom('10MB', '1.5m', 'm', '10M', '-1', ' 10m', 10),
    apply: (s, v) => ({ ...s, props: withEdge(s, { controller: 'ingress-nginx', tls: { secretName: 'llm-tls' }, maxRequestBodySize: v }) }) },
  { label: 'production edge without TLS', prop: 'edge.tls', values: fc.constantFrom(EdgeController.INGRESS_NGINX, EdgeController.NGINX_INC, EdgeController.TRAEFIK),
    // The default proxy name: a 47-character one would not leave room for the in-cluster Redis's name.
    apply: (s, v) => ({ ...s, props: { ...withProxy(s.props, { name: undefined }), preset: Presets.production(), redis: { password: { name: 'redis-auth', key: 'password' } },
      ...stackEdge({ controller: v, hosts: ['llm.example.com'] }) } }) },
  { label: 'external and in-cluster Redis', prop: 'redis', values: fc.constant(undefined),
    apply: s => ({ ...s, props: { ...s.props, redis: { external: { host: 'cache.example.com' }, password: { name: 'redis-auth', key: 'password' } } } }) },
  { label: 'database of both kinds or neither', prop: 'database', values: fc.constantFrom<any>({}, { external: { url: { name: 'db', key: 'url' } }, cloudNativePg: {} }),
    apply: (s, v) => ({ ...s, props: { ...s.props, database: v } }) },
  { label: 'governance without database', prop: 'governance', values: fc.constantFrom<any>({ maxParallelRequests: 5 }, { disableSpendLogs: true }),
    apply: (s, v) => ({ ...s, props: { ...s.props, database: undefined, governance: v } }) },
  { label: 'controllerPodLabels', prop: 'edge.controllerPodLabels', values: invalidLabelMap, apply: (s, v) => ({ ...s, props: withEdge(s, { controllerPodLabels: v }) }) },
  { label: 'Redis URL with its password as the external host', prop: 'redis.external.host', values: credentialValue,
    apply: (s, v) => ({ ...s, props: { ...s.props, redis: { external: { host: v, password: { name: 'redis-auth', key: 'password' } } } } }) },
  { label: 'namespace in upper case or with a trailing dot', prop: 'namespace',
    values: fc.oneof(validDnsLabel(20).filter(n => /[a-z]/.test(n)).map(n => n.toUpperCase()), validDnsLabel(20).map(n => `${n}.`)),
    apply: (s, v) => ({ ...s, props: { ...s.props, namespace: v } }) },
  { label: 'external Redis without AUTH or consent', prop: 'redis.external.password', values: fc.constantFrom('cache.example.com', '10.40.0.5'),
    apply: (s, v) => ({ ...s, props: { ...s.props, redis: { external: { host: v } } } }) },
  { label: 'default key model the proxy does not serve', prop: 'governance.defaultKeyParams.models', values: fc.constantFrom(['gpt-5'], ['gpt-4o', 'GPT-4o'], ['anthropic/*']),
    apply: (s, v) => ({ ...s, props: { ...s.props, database: s.props.database ?? { external: { url: { name: 'litellm-db', key: 'url' } } }, governance: { defaultKeyParams: { models: v } } } }) },
  { label: 'credential URL in extraConfig', prop: 'extraConfig.', values: credentialUrl,
    apply: (s, v) => ({ ...s, props: { ...s.props, extraConfig: { generalSettings: { alerting: ['slack'], notify: v } } } }) },
  { label: 'identical model entries', prop: 'models[', values: fc.constant(undefined),
    apply: s => ({ ...s, props: { ...s.props, models: [...s.props.models, s.props.models[0]] } }) },
  { label: 'proxy name', prop: 'proxy.name', values: fc.oneof(invalidDns1035Label, fc.constant('p'.repeat(48))), apply: (s, v) => ({ ...s, props: withProxy(s.props, { name: v }) }) },
];

/**
 * Top-level stack props a plain JavaScript caller may give a value of any type.
 * Not `preset` yet: the stack reads its fields unchecked (`preset: {}` is a
 * TypeError); test/stack/litellm-stack.test.ts holds the failing tests for it.
 * Add it here once the stack validates preset fields.
 */
export const UNTYPED_STACK_PROPS: readonly string[] = [
  'namespace', 'preset', 'models', 'masterKey', 'saltKey', 'proxy', 'router', 'redis', 'cache', 'edge', 'database', 'governance', 'metrics', 'extraConfig',
];
