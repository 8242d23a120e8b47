import { parse } from 'yaml';
import { LiteLLMProxy, LiteLLMProxyProps, ModelDeployment } from '../../lib';
import { expectOurError } from '../support/expectations';
import { one, synth } from '../support/synth';

const apiKey = { name: 'provider-keys', key: 'openai' };
const masterKey = { name: 'litellm-master', key: 'master-key' };

function config(models: ModelDeployment[]): any {
  const objects = synth(chart => new LiteLLMProxy(chart, 'litellm', { models, masterKey } as LiteLLMProxyProps));
  return parse(one(objects, 'ConfigMap').data['config.yaml']);
}

describe('model access groups', () => {
  test('GIVEN accessGroups THEN the deployment carries model_info.access_groups; others carry no model_info', () => {
    const doc = config([
      { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey, accessGroups: ['premium', 'beta'] },
      { name: 'gpt-4o-mini', model: 'openai/gpt-4o-mini', apiKey },
    ]);
    expect(doc.model_list[0].model_info).toEqual({ access_groups: ['premium', 'beta'] });
    expect(doc.model_list[1].model_info).toBeUndefined();
  });

  test.each<[string, ModelDeployment[], RegExp]>([
    ['an empty list', [{ name: 'a', model: 'openai/a', apiKey, accessGroups: [] }], /^\[test\] models\[0\]\.accessGroups: received an array of 0; must name at least one group/],
    ['a name with a space', [{ name: 'a', model: 'openai/a', apiKey, accessGroups: ['tier one'] }], /^\[test\] models\[0\]\.accessGroups\[0\]: received "tier one"; must be an access group name/],
    ['a repeated name', [{ name: 'a', model: 'openai/a', apiKey, accessGroups: ['x', 'x'] }], /^\[test\] models\[0\]\.accessGroups: received "x"; access group names must be unique/],
    ['a group named like a model', [{ name: 'a', model: 'openai/a', apiKey }, { name: 'b', model: 'openai/b', apiKey, accessGroups: ['a'] }], /^\[test\] models\[1\]\.accessGroups\[0\]: received "a"; is also a model name/],
  ])('GIVEN %s THEN it is rejected', (_label, models, message) => {
    expectOurError(() => config(models));
    expect(() => config(models)).toThrow(message);
  });
});
