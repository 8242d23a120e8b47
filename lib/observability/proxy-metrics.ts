import { Chart } from 'cdk8s';
import { LiteLLMConfigError } from '../errors';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { PROXY_CONTAINER, deploymentPods } from '../proxy/pod-names';
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

/** The series of `proxy` in Prometheus, in `namespace` (default: its chart's). */
export function proxySeries(proxy: LiteLLMProxy, namespace: string | undefined, prop = 'namespace'): ProxySeries {
  const ns = namespace ?? Chart.of(proxy).namespace;
  if (ns === undefined) {
    throw new LiteLLMConfigError(prop, undefined, 'the proxy\'s chart has no namespace: give the namespace the proxy runs in (its series are selected by it)');
  }
  dns1123Label(prop, ns);
  const selector = `namespace="${ns}", pod=~"${deploymentPods(proxy.name)}"`;
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
