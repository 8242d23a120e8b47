import { Chart } from 'cdk8s';
import { LiteLLMProxy, LiteLLMProxyProps } from '../../lib';

/** A minimal proxy for the edge tests (request timeout 600 s unless overridden). */
export function proxyIn(chart: Chart, overrides: Partial<LiteLLMProxyProps> = {}): LiteLLMProxy {
  return new LiteLLMProxy(chart, 'litellm', {
    models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' } }],
    masterKey: { name: 'litellm-master', key: 'key' },
    ...overrides,
  });
}

/** The proxy's NetworkPolicy ingress peers as namespace names (undefined = own namespace). */
export function admittedNamespaces(objects: any[]): (string | undefined)[] {
  const np = objects.find(o => o.kind === 'NetworkPolicy');
  return np.spec.ingress.flatMap((r: any) => r.from.map((p: any) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']));
}

/** Every annotation key of every object. */
export function annotationKeys(objects: any[]): string[] {
  return objects.flatMap(o => Object.keys(o.metadata?.annotations ?? {}));
}
