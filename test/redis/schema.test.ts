import { LiteLLMProxy, LiteLLMProxyProps } from '../../lib';
import { ExternalRedis } from '../../lib/redis/external-redis';
import { RedisInstance } from '../../lib/redis/redis-instance';
import { schemaErrors } from '../support/schema';
import { synth } from '../support/synth';

const PASSWORD = { name: 'redis-auth', key: 'password' };
const proxyProps: Omit<LiteLLMProxyProps, 'redis'> = {
  replicas: 3,
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 60 }],
  masterKey: { name: 'litellm-master', key: 'master-key' },
};

/** The Redis charts: what a user of each option gets. */
const charts: Record<string, () => any[]> = {
  'three-replica proxy with an in-cluster Redis and response caching': () => synth(chart => {
    const redis = new RedisInstance(chart, 'litellm-redis', { password: PASSWORD });
    new LiteLLMProxy(chart, 'litellm', { ...proxyProps, redis, cache: {} });
  }),
  'in-cluster Redis with AOF persistence': () => synth(chart => {
    new RedisInstance(chart, 'litellm-redis', { password: PASSWORD, memory: '512Mi', persistence: { size: '2Gi' } });
  }),
  'three-replica proxy with an external Sentinel Redis': () => synth(chart => {
    const redis = new ExternalRedis(chart, 'redis', {
      password: PASSWORD,
      sentinel: { nodes: [{ host: 'sentinel-0.redis.example.com' }, { host: 'sentinel-1.redis.example.com' }], masterName: 'mymaster' },
      cidr: '10.20.0.0/16',
    });
    new LiteLLMProxy(chart, 'litellm', { ...proxyProps, redis });
  }),
};

describe('Redis charts', () => {
  const synthesized = Object.fromEntries(Object.entries(charts).map(([name, build]) => [name, build()]));

  test.each(Object.keys(charts))('snapshot: %s', name => {
    expect(synthesized[name]).toMatchSnapshot();
  });

  test('every object of every Redis chart passes the upstream schemas (k8s 1.28 and 1.35)', () => {
    expect(schemaErrors(Object.values(synthesized).flat())).toEqual([]);
  });
});
