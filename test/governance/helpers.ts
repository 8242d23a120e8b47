import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { LiteLLMProxy, LiteLLMProxyProps } from '../../lib';
import { one } from '../support/synth';

export const baseProxy: LiteLLMProxyProps = {
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' } }],
  masterKey: { name: 'litellm-master', key: 'master-key' },
  saltKey: { name: 'litellm-master', key: 'salt-key' },
};

export function proxyIn(chart: Chart, props: Partial<LiteLLMProxyProps> = {}): LiteLLMProxy {
  return new LiteLLMProxy(chart, 'litellm', { ...baseProxy, acceptPerReplicaLimits: true, ...props } as LiteLLMProxyProps);
}

export function configOf(objects: any[]): any {
  return parse(one(objects, 'ConfigMap').data['config.yaml']);
}
