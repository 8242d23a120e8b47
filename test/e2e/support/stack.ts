import { stackEdge } from '../../support/edges';
import { Testing } from 'cdk8s';
import * as lib from '../../../lib';

/** The namespace the stack is synthesized into. */
export const NAMESPACE = 'litellm';

/** Where the stack believes its model provider lives; the harness points it at the fake provider. */
export const PROVIDER_API_BASE = 'http://model-provider.models.svc.cluster.local:8080/v1';

/** The host the stack's Ingress serves. */
export const EDGE_HOST = 'llm.example.com';

/** The rpm limit of the rate-limited deployments. */
export const RPM_LIMIT = 5;

/**
 * Public model names. The fake provider takes its pace from the provider
 * model name (`fake-chunks-N-ms-M`), so each pace is its own deployment.
 */
export const MODELS = {
  /** Plain chat; caching tests. */
  chat: 'e2e-chat',
  /** 20 chunks, 50 ms apart. */
  stream: 'e2e-stream',
  /** 16 chunks, 1 s apart: long enough to terminate an instance in the middle. */
  long: 'e2e-long',
  /** rpm-limited: the shared-limit test. */
  limited: 'e2e-limited',
  /** rpm-limited, separate counters: the Redis-down test (so it does not inherit the other test's minute). */
  limitedRedisDown: 'e2e-limited-redis-down',
} as const;

/** Stream paces, as configured in the provider model names below. */
export const PACE = {
  stream: { chunks: 20, intervalMs: 50 },
  long: { chunks: 16, intervalMs: 1000 },
} as const;

/** Secret references the stack uses; the harness gives each a test value. */
export const SECRET_REFS = {
  masterKey: { name: 'litellm-master-key', key: 'master-key' },
  providerKey: { name: 'model-provider', key: 'api-key' },
  redisPassword: { name: 'litellm-redis', key: 'password' },
} as const;

/**
 * The replicated stack under test, synthesized through the public API: a
 * `LiteLLMStack` on the production preset with two fixed proxy replicas
 * (two workers each), an ingress-nginx edge, an in-cluster Redis, per-deployment rpm limits,
 * response caching and Prometheus metrics. Everything the harness runs is read back from what this
 * returns.
 */
export function synthesizeStack(): any[] {
  const model = (name: string, providerModel: string, rpm?: number): lib.ModelDeployment => ({
    name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...(rpm ? { rpm } : {}),
  });
  const stack = new lib.LiteLLMStack(Testing.app(), 'e2e', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    // Prometheus metrics on, as in production: the suite checks /metrics/ answers without the master key.
    metrics: {},
    // Two replicas × two workers (CPU 2, one worker per CPU): several workers run under gunicorn.
    proxy: { name: 'litellm', replicas: 2, cpu: '2' },
    ...stackEdge({ controller: 'ingress-nginx', hosts: [EDGE_HOST], tls: { secretName: 'llm-tls' } }),
    models: [
      model(MODELS.chat, 'fake-chat'),
      model(MODELS.stream, `fake-chunks-${PACE.stream.chunks}-ms-${PACE.stream.intervalMs}`),
      model(MODELS.long, `fake-chunks-${PACE.long.chunks}-ms-${PACE.long.intervalMs}`),
      model(MODELS.limited, 'fake-limited', RPM_LIMIT),
      model(MODELS.limitedRedisDown, 'fake-limited-redis-down', RPM_LIMIT),
    ],
    masterKey: SECRET_REFS.masterKey,
    redis: { password: SECRET_REFS.redisPassword },
    cache: {},
  });
  return Testing.synth(stack);
}
