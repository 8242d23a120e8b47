import { LiteLLMProxy, ScalingSignal } from '../../lib';
import { schemaErrors } from '../support/schema';
import { synth } from '../support/synth';

describe('schema validation of the proxy chart', () => {
  test('every object passes the upstream schemas', () => {
    const objects = synth(chart => new LiteLLMProxy(chart, 'litellm', {
      models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'keys', key: 'openai' }, rpm: 10 }],
      masterKey: { name: 'master', key: 'key' },
      autoscaling: { maxReplicas: 4 },
      acceptPerReplicaLimits: true,
      metrics: {},
    }));
    expect(schemaErrors(objects)).toEqual([]);
  });

  test('the KEDA ScaledObject (in-flight signal, CPU backstop, memory target) passes the pinned CRD schema', () => {
    const objects = synth(chart => new LiteLLMProxy(chart, 'litellm', {
      models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'keys', key: 'openai' }, rpm: 10 }],
      masterKey: { name: 'master', key: 'key' },
      cpu: '2',
      autoscaling: { maxReplicas: 6, memoryUtilization: 90, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090' }) },
      acceptPerReplicaLimits: true,
      metrics: {},
    }));
    expect(objects.map(o => o.kind)).toContain('ScaledObject');
    expect(schemaErrors(objects)).toEqual([]);
  });

  test('the strict validator rejects an unknown field (so it can fail)', () => {
    const objects = synth(chart => new LiteLLMProxy(chart, 'litellm', {
      models: [{ name: 'm', model: 'openai/gpt-4o' }], masterKey: { name: 'master', key: 'key' },
    }));
    const deployment = objects.find(o => o.kind === 'Deployment');
    deployment.spec.template.spec.containers[0].bogus = true;
    expect(schemaErrors([deployment]).join('\n')).toMatch(/bogus/);
  });
});
