/**
 * The stack the load test runs, synthesized through the public API: a
 * `LiteLLMStack` on the production preset with an ingress-nginx edge, the
 * in-cluster Redis wired in, and two models on a fake provider (a
 * non-streaming one with a fixed latency, a streaming one with a fixed pace).
 * Everything the rig starts is read back from these manifests.
 */
import { App, Testing } from 'cdk8s';
import * as lib from '../../lib';
// The e2e stack's namespace, provider address and Secret names: the rig reuses the e2e harness, which answers for them.
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from '../../test/e2e/support/stack';

export { NAMESPACE };
export const EDGE_HOST = 'llm.example.com';

/** Where the ScaledObject expects Prometheus (the rig starts its own and asks it the same query). */
export const PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090';

/** The provider's own pace: what "added latency" is measured against. */
export const PACE = {
  /** A non-streaming completion takes this long at the provider. */
  chatMs: 300,
  /** A stream: this many content chunks, this far apart. */
  streamChunks: 50,
  streamIntervalMs: 20,
} as const;

export const MODELS = {
  chat: 'lt-chat',
  stream: 'lt-stream',
} as const;

/** The provider model behind each (the fake provider takes its pace from the name). */
export const PROVIDER_MODELS = {
  chat: `lt-sleep-${PACE.chatMs}`,
  stream: `lt-chunks-${PACE.streamChunks}-ms-${PACE.streamIntervalMs}`,
} as const;

/** What a configuration changes in the synthesized stack (everything else is the production preset). */
export interface StackVariant {
  /** CPU each proxy pod requests: the library derives the worker count (and gunicorn) from it. */
  readonly cpu: string;
  /** Prometheus metrics (the `prometheus` callback and service metrics). */
  readonly metrics: boolean;
  /** LITELLM_LOG. */
  readonly logLevel: lib.LogLevel;
  /** Plain environment variables (the proxy's `env` prop). */
  readonly env?: Record<string, string>;
}

export function synthesize(v: StackVariant): any[] {
  const model = (name: string, providerModel: string): lib.ModelDeployment => ({
    name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey,
  });
  // Rendered in memory (Testing.synth): no outdir is ever written, and none is made (Testing.app() would leave one in the temp directory).
  const stack = new lib.LiteLLMStack(new App({ outdir: '/nonexistent' }), 'loadtest', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: v.metrics ? {} : { enabled: false },
    alerts: { enabled: false },
    dashboard: { enabled: false },
    proxy: {
      name: 'litellm', cpu: v.cpu, logLevel: v.logLevel, ...(v.env ? { env: v.env } : {}),
      // With metrics, the autoscaler the README recommends: KEDA on in-flight requests per worker. The rig
      // runs the pods itself; the ScaledObject's query is what its Prometheus answers (scaling evidence).
      ...(v.metrics ? { autoscaling: { minReplicas: 2, maxReplicas: 4, signal: lib.ScalingSignal.inFlightRequests({ prometheusUrl: PROMETHEUS_URL }) } } : { replicas: 1 }),
    },
    edge: lib.Edge.ingressNginx({ tls: { secretName: 'llm-tls' } }),
    hosts: [EDGE_HOST],
    models: [
      model(MODELS.chat, PROVIDER_MODELS.chat),
      model(MODELS.stream, PROVIDER_MODELS.stream),
    ],
    masterKey: SECRET_REFS.masterKey,
    redis: { password: SECRET_REFS.redisPassword },
  });
  return Testing.synth(stack);
}
