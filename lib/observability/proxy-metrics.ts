import { Chart } from 'cdk8s';
import { LiteLLMConfigError } from '../errors';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { dns1123Label } from '../validate';

/**
 * What the alerts and the dashboard need to know about one proxy's series in
 * Prometheus. Both scrape paths this library sets up (the ServiceMonitor of
 * prometheus-operator, and pod annotations read by the Prometheus Helm chart's
 * `kubernetes-pods` job) give every series `namespace` and `pod` labels, and so
 * does kube-state-metrics: one label matcher selects this proxy's pods in all of them.
 */
export interface ProxySeries {
  readonly namespace: string;
  /** The proxy's name: the Deployment, the Service and (when there is one) the HPA. */
  readonly name: string;
  /** `namespace="…", pod=~"…"`: this proxy's pods, and no other workload's. */
  readonly selector: string;
  /** The same, restricted to the proxy container (kube-state-metrics' per-container series). */
  readonly containerSelector: string;
}

/**
 * Characters of the random parts of a Deployment's pod names (the ReplicaSet's
 * pod-template-hash and the pod suffix): Kubernetes' SafeEncodeString alphabet,
 * no vowels. Matching them keeps `<name>-redis-0` or a Job's `<name>-access-x7k2p`
 * (vowels) out of the proxy's series.
 */
export const POD_HASH = '[bcdfghjklmnpqrstvwxz2456789]';

/** The proxy container's name (lib/proxy/litellm-proxy.ts). */
export const PROXY_CONTAINER = 'litellm';

/** The series of `proxy` in Prometheus, in `namespace` (default: its chart's). */
export function proxySeries(proxy: LiteLLMProxy, namespace: string | undefined, prop = 'namespace'): ProxySeries {
  const ns = namespace ?? Chart.of(proxy).namespace;
  if (ns === undefined) {
    throw new LiteLLMConfigError(prop, undefined, 'the proxy\'s chart has no namespace: give the namespace the proxy runs in (its series are selected by it)');
  }
  dns1123Label(prop, ns);
  const pods = `${proxy.name}-${POD_HASH}{6,10}-${POD_HASH}{5}`;
  const selector = `namespace="${ns}", pod=~"${pods}"`;
  return { namespace: ns, name: proxy.name, selector, containerSelector: `${selector}, container="${PROXY_CONTAINER}"` };
}

/** The proxy, checked: metrics must be on for alerts or a dashboard to have anything to read. */
export function metricsProxy(prop: string, proxy: unknown): LiteLLMProxy {
  if (!(proxy instanceof LiteLLMProxy)) {
    throw new LiteLLMConfigError(prop, proxy, 'must be a LiteLLMProxy');
  }
  if (!proxy.metricsEnabled) {
    throw new LiteLLMConfigError(`${prop}.metrics`, undefined, `the proxy "${proxy.name}" has no metrics: give it \`metrics: {}\` (the alerts and dashboard read its /metrics/)`);
  }
  return proxy;
}
