import { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { LiteLLMConfigError, LiteLLMProxy, LiteLLMProxyProps } from '../../lib';
import { ExternalRedis, ExternalRedisProps } from '../../lib/redis/external-redis';
import { IRedisEndpoint } from '../../lib/redis/redis-endpoint';
import { RedisInstance } from '../../lib/redis/redis-instance';
import { CacheCallType, ProxyCache } from '../../lib';
import { bindRedis } from '../../lib/redis/redis-wiring';
import { containerOf, envMap, one, synth } from '../support/synth';

const PASSWORD = { name: 'redis-auth', key: 'password' };
const models: LiteLLMProxyProps['models'] = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 60, tpm: 100000 },
  { name: 'gpt-4o', model: 'azure/gpt-4o', apiBase: 'https://example.openai.azure.com', apiKey: { name: 'provider-keys', key: 'azure' }, rpm: 30 },
];
const masterKey = { name: 'litellm-master', key: 'master-key' };

/** GIVEN a three-replica proxy wired to an in-cluster Redis (the acceptance shape). */
function threeReplicas(extra: Partial<LiteLLMProxyProps> = {}, redisOf?: (chart: Chart) => IRedisEndpoint): any[] {
  return synth(chart => {
    const redis = redisOf ? redisOf(chart) : new RedisInstance(chart, 'litellm-redis', { password: PASSWORD });
    new LiteLLMProxy(chart, 'litellm', { replicas: 3, redis, models, masterKey, ...extra });
  });
}

function configOf(objects: any[]): any {
  return parse(one(objects, 'ConfigMap', 'litellm-config').data['config.yaml']);
}

function proxyEnv(objects: any[]): Record<string, any> {
  return envMap(containerOf(objects, 'Deployment', 'litellm'));
}

/** Every string in an object tree with its path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

/** The Redis connection settings of the proxy's one client: coordination_redis, or cache_params with response caching. */
function clientOf(config: any): Record<string, unknown> {
  return config.general_settings?.coordination_redis ?? config.litellm_settings?.cache_params;
}

function redisKeys(config: any): [string, unknown][] {
  const [path, client] = config.general_settings?.coordination_redis !== undefined
    ? ['general_settings.coordination_redis', config.general_settings.coordination_redis]
    : ['litellm_settings.cache_params', config.litellm_settings.cache_params];
  return ['host', 'port', 'password', 'socket_timeout'].filter(k => k in client).map(k => [`${path}.${k}`, client[k]] as [string, unknown]);
}

describe('Redis wiring on a three-replica proxy', () => {
  const objects = threeReplicas();
  const config = configOf(objects);
  const env = proxyEnv(objects);

  test('THEN one client: general_settings.coordination_redis with host, port and password, none for the router, never a URL', () => {
    expect(Object.keys(config.general_settings.coordination_redis)).toEqual(['host', 'port', 'password', 'namespace', 'socket_timeout']);
    // Without a client of its own the router attaches the proxy's (proxy_server.py update_redis_cache).
    expect(Object.keys(config.router_settings).filter(k => k.startsWith('redis_') || k === 'cache_kwargs')).toEqual([]);
    expect(JSON.stringify(config)).not.toMatch(/redis_url|redis:\/\//);
  });

  test('THEN every Redis key in config.yaml is an os.environ/NAME reference whose NAME is in the container env', () => {
    const keys = redisKeys(config);
    expect(keys.length).toBe(4);
    for (const [key, value] of keys) {
      expect([key, value]).toEqual([key, expect.stringMatching(/^os\.environ\/[A-Z_]+$/)]);
      const name = (value as string).slice('os.environ/'.length);
      expect([key, name in env]).toEqual([key, true]);
    }
  });

  test('THEN the host is the Redis Service and the port its port', () => {
    expect(env.REDIS_HOST).toBe('litellm-redis');
    expect(env.REDIS_PORT).toBe('6379');
    expect(one(objects, 'Service', 'litellm-redis').spec.ports[0].port).toBe(6379);
  });

  test('THEN the password is a secretKeyRef to the same Secret key the Redis server reads', () => {
    expect(env.REDIS_PASSWORD).toEqual({ secretKeyRef: PASSWORD });
    expect(envMap(containerOf(objects, 'StatefulSet')).REDISCLI_AUTH).toEqual({ secretKeyRef: PASSWORD });
  });

  test('THEN no Redis password value appears anywhere: no Secret with data, no literal env value, no requirepass', () => {
    expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/requirepass/);
    for (const o of objects) {
      for (const c of o.spec?.template?.spec?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|AUTH/.test(e.name)) expect([e.name, e.value]).toEqual([e.name, undefined]);
        }
      }
    }
    // redis.conf names the ACL user nowhere: it arrives on stdin with the password.
    expect(one(objects, 'ConfigMap', 'litellm-redis-config').data['redis.conf']).not.toMatch(/^user |requirepass|>/m);
  });

  test('THEN limits are shared without a response cache: no litellm_settings.cache, so no response is ever cached', () => {
    expect(config.general_settings.coordination_redis).toEqual({
      host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD',
      namespace: 'litellm/litellm', socket_timeout: 'os.environ/REDIS_SOCKET_TIMEOUT',
    });
    expect(config.litellm_settings.cache).toBeUndefined();
    expect(config.litellm_settings.cache_params).toBeUndefined();
  });

  test('THEN per-deployment limits are enforced through the router', () => {
    expect(config.router_settings.optional_pre_call_checks).toEqual(['enforce_model_rate_limits']);
    expect(config.model_list.map((m: any) => m.litellm_params.rpm)).toEqual([60, 30]);
  });

  test('THEN the proxy NetworkPolicy egress opens the Redis port to the Redis pod, and to nothing else new', () => {
    const egress = one(objects, 'NetworkPolicy', 'litellm').spec.egress;
    const redisSelector = one(objects, 'StatefulSet').spec.selector.matchLabels;
    const toRedis = egress.filter((r: any) => r.to?.some((p: any) => JSON.stringify(p.podSelector?.matchLabels) === JSON.stringify(redisSelector)));
    expect(toRedis).toEqual([{ to: [{ podSelector: { matchLabels: redisSelector } }], ports: [{ protocol: 'TCP', port: 6379 }] }]);
    const without = synth(chart => new LiteLLMProxy(chart, 'litellm', { replicas: 3, acceptPerReplicaLimits: true, models, masterKey }));
    expect(egress.length).toBe(one(without, 'NetworkPolicy', 'litellm').spec.egress.length + 1);
  });

  test('THEN the Redis NetworkPolicy admits exactly the proxy pods on the Redis port', () => {
    const policy = one(objects, 'NetworkPolicy', 'litellm-redis');
    const proxySelector = one(objects, 'Deployment', 'litellm').spec.selector.matchLabels;
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: proxySelector } }], ports: [{ protocol: 'TCP', port: 6379 }] }]);
  });

  test('THEN redis-server\'s argv never carries the password: only the config file and "-" (stdin)', () => {
    const c = containerOf(objects, 'StatefulSet');
    expect(c.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(c.args).toBeUndefined();
    expect(c.command[2]).toMatch(/exec redis-server \/etc\/redis\/redis\.conf - <<EOF/);
    expect(c.command[2]).not.toMatch(/--requirepass|requirepass /);
  });
});

describe('response caching', () => {
  test('GIVEN cache {} THEN the one client is the response cache\'s: cache_params with the env references, TTL and the default call types', () => {
    const config = configOf(threeReplicas({ cache: {} }));
    expect(config.litellm_settings.cache).toBe(true);
    expect(config.litellm_settings.cache_params).toEqual({
      type: 'redis', host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD',
      namespace: 'litellm/litellm', socket_timeout: 'os.environ/REDIS_SOCKET_TIMEOUT', ttl: 600, supported_call_types: ['acompletion', 'aembedding'],
    });
    // The proxy borrows it as its usage cache and the router attaches it (proxy_server.py init_cache, update_redis_cache).
    expect(config.general_settings.coordination_redis).toBeUndefined();
    expect(Object.keys(config.router_settings).filter(k => k.startsWith('redis_') || k === 'cache_kwargs')).toEqual([]);
  });

  test('GIVEN a TTL and call types THEN they are used as given', () => {
    const config = configOf(threeReplicas({ cache: { ttlSeconds: 60, callTypes: [CacheCallType.ARESPONSES] } }));
    expect(config.litellm_settings.cache_params).toMatchObject({ ttl: 60, supported_call_types: ['aresponses'] });
  });

  test.each<[string, ProxyCache, RegExp]>([
    ['ttl 0', { ttlSeconds: 0 }, /cache\.ttlSeconds: received 0; must be an integer from 1 to 2592000/],
    ['no call types', { callTypes: [] }, /cache\.callTypes: received an array of 0; must name at least one call type/],
    ['unknown call type', { callTypes: ['chat' as any] }, /cache\.callTypes\[0\]: received "chat"; must be one of CacheCallType\.COMPLETION \("completion"\)/],
    ['repeated call type', { callTypes: ['acompletion', 'acompletion'] }, /cache\.callTypes: received "acompletion"; call types must be unique/],
  ])('GIVEN %s THEN LiteLLMConfigError', (_n, cache, message) => {
    expect(() => threeReplicas({ cache })).toThrow(LiteLLMConfigError);
    expect(() => threeReplicas({ cache })).toThrow(message);
  });
});

describe('a hung Redis costs a request one short timeout: one client, a breaker that opens at the first failure', () => {
  test('THEN the client gets the namespace and the socket timeout; env sets 0.2 s, a breaker opening at the first timeout and recovering after 10 s', () => {
    for (const extra of [{}, { cache: {} }]) {
      const objects = threeReplicas(extra);
      expect(clientOf(configOf(objects))).toMatchObject({ socket_timeout: 'os.environ/REDIS_SOCKET_TIMEOUT', namespace: 'litellm/litellm' });
      expect(proxyEnv(objects)).toMatchObject({
        REDIS_SOCKET_TIMEOUT: '0.2', REDIS_SOCKET_CONNECT_TIMEOUT: '0.2', REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '10',
        REDIS_CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1', REDIS_CIRCUIT_BREAKER_TIMEOUT_MIN_DURATION: '0',
      });
    }
  });

  test.each([
    ['routerSettings', 'redis_host'], ['routerSettings', 'cache_kwargs'], ['routerSettings', 'redis_url'], ['generalSettings', 'coordination_redis'],
  ])('GIVEN extraConfig.%s.%s THEN LiteLLMConfigError (a second client, or one outside the wiring)', (section, key) => {
    expect(() => threeReplicas({ extraConfig: { [section]: { [key]: 'os.environ/OTHER_REDIS' } } }))
      .toThrow(new RegExp(`extraConfig\\.${section}\\.${key}: received .*; not settable: .*(one Redis client|redis\` prop)`));
  });

  test('GIVEN env REDIS_CIRCUIT_BREAKER_ENABLED THEN LiteLLMConfigError', () => {
    expect(() => threeReplicas({ env: { REDIS_CIRCUIT_BREAKER_ENABLED: 'false' } }))
      .toThrow(/env\.REDIS_CIRCUIT_BREAKER_ENABLED: received "REDIS_CIRCUIT_BREAKER_ENABLED"; not settable: a hung Redis would cost every request/);
  });

  test('GIVEN clientTimeoutSeconds on the Redis THEN both timeouts follow it', () => {
    const objects = synth(chart => {
      const redis = new RedisInstance(chart, 'litellm-redis', { password: PASSWORD, clientTimeoutSeconds: 0.5 });
      new LiteLLMProxy(chart, 'litellm', { replicas: 3, redis, models, masterKey });
    });
    expect(proxyEnv(objects)).toMatchObject({ REDIS_SOCKET_TIMEOUT: '0.5', REDIS_SOCKET_CONNECT_TIMEOUT: '0.5' });
  });

  test.each([0, 0.01, 11, Number.NaN])('GIVEN clientTimeoutSeconds %s THEN LiteLLMConfigError', value => {
    expect(() => synth(chart => new RedisInstance(chart, 'r', { password: PASSWORD, clientTimeoutSeconds: value })))
      .toThrow(/clientTimeoutSeconds: received .*; must be a number of seconds from 0.05 to 10/);
  });

  test('GIVEN the env names the wiring owns THEN env may not set them', () => {
    expect(() => threeReplicas({ env: { REDIS_SOCKET_TIMEOUT: '5' } })).toThrow(/env\.REDIS_SOCKET_TIMEOUT: received "REDIS_SOCKET_TIMEOUT"; environment variable names must be unique; this one is already set by the construct itself/);
  });
});

describe('fail-closed limits', () => {
  test('GIVEN failClosed THEN general_settings.fail_closed_rate_limit_enforcement is on', () => {
    expect(configOf(threeReplicas({ failClosed: true })).general_settings.fail_closed_rate_limit_enforcement).toBe(true);
    expect(configOf(threeReplicas()).general_settings.fail_closed_rate_limit_enforcement).toBeUndefined();
  });

  test('GIVEN failClosed without redis THEN LiteLLMConfigError', () => {
    expect(() => synth(chart => new LiteLLMProxy(chart, 'litellm', { models, masterKey, failClosed: true })))
      .toThrow(/failClosed: received true; is about limits shared through Redis: give `redis` too/);
  });
});

describe('Redis key namespace', () => {
  test('GIVEN no redisNamespace THEN keys are prefixed with "<chart namespace>/<proxy name>"', () => {
    expect(clientOf(configOf(threeReplicas())).namespace).toBe('litellm/litellm');
  });

  test('GIVEN redisNamespace THEN the client\'s namespace is exactly it', () => {
    expect(clientOf(configOf(threeReplicas({ redisNamespace: 'tenant-a:gateway' }))).namespace).toBe('tenant-a:gateway');
  });

  test.each<[string, unknown, RegExp]>([
    ['with a space', 'team a', /redisNamespace: received "team a"; must be 2 to 128 characters/],
    ['empty', '', /redisNamespace: received ""; must be 2 to 128 characters/],
    ['ending in a separator', 'team-a:', /redisNamespace: received "team-a:"; must be 2 to 128 characters/],
  ])('GIVEN a namespace %s THEN LiteLLMConfigError', (_n, redisNamespace, message) => {
    expect(() => threeReplicas({ redisNamespace: redisNamespace as string })).toThrow(message);
  });

  test('GIVEN redisNamespace without redis THEN LiteLLMConfigError (it would prefix nothing)', () => {
    expect(() => synth(chart => new LiteLLMProxy(chart, 'litellm', { models, masterKey, redisNamespace: 'a/b' })))
      .toThrow(/redisNamespace: received "a\/b"; is the prefix of the keys written into Redis: give `redis` too/);
  });
});

describe('guards in the proxy', () => {
  test('GIVEN three replicas without redis THEN it throws unless acceptPerReplicaLimits', () => {
    const build = (accept?: boolean) => synth(chart => new LiteLLMProxy(chart, 'litellm', { replicas: 3, models, masterKey, acceptPerReplicaLimits: accept }));
    expect(() => build()).toThrow(LiteLLMConfigError);
    expect(() => build()).toThrow(/replicas: received 3;.*`redis`.*acceptPerReplicaLimits/);
    expect(() => build(true)).not.toThrow();
  });

  test('GIVEN autoscaling without redis THEN it throws', () => {
    expect(() => synth(chart => new LiteLLMProxy(chart, 'litellm', { autoscaling: { maxReplicas: 4 }, models, masterKey })))
      .toThrow(/autoscaling\.maxReplicas: received 4;.*`redis`/);
  });

  test('GIVEN caching without redis THEN it throws', () => {
    expect(() => synth(chart => new LiteLLMProxy(chart, 'litellm', { models, masterKey, cache: {} })))
      .toThrow(/cache: received \{\}; response caching needs `redis`/);
  });
});

describe('external Redis wiring', () => {
  const external = (props: ExternalRedisProps) => (chart: Chart) => new ExternalRedis(chart, 'redis', props);

  test('GIVEN a managed Redis with TLS and an ACL user THEN REDIS_SSL and REDIS_USERNAME are set and the egress is any address on its port', () => {
    const objects = threeReplicas({}, external({ host: 'redis.example.com', port: 6380, password: PASSWORD, username: 'litellm' }));
    const env = proxyEnv(objects);
    expect(env).toMatchObject({ REDIS_HOST: 'redis.example.com', REDIS_PORT: '6380', REDIS_SSL: 'true', REDIS_USERNAME: 'litellm' });
    expect(env.REDIS_PASSWORD).toEqual({ secretKeyRef: PASSWORD });
    expect(one(objects, 'NetworkPolicy', 'litellm').spec.egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 6380 }] });
    expect(objects.filter(o => o.metadata.name.includes('redis'))).toEqual([]);
  });

  test('GIVEN tls false and a CIDR THEN no REDIS_SSL and egress only to that block', () => {
    const objects = threeReplicas({}, external({ host: '10.0.0.5', password: PASSWORD, tls: false, cidr: '10.0.0.0/24' }));
    expect(proxyEnv(objects).REDIS_SSL).toBeUndefined();
    expect(one(objects, 'NetworkPolicy', 'litellm').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 6379 }] });
  });

  test('GIVEN a Redis Cluster THEN REDIS_CLUSTER_NODES lists the seeds as JSON and the first seed is the client\'s host', () => {
    const objects = threeReplicas({}, external({ password: PASSWORD, cluster: { nodes: [{ host: 'c1.example.com' }, { host: 'c2.example.com', port: 7000 }] } }));
    const env = proxyEnv(objects);
    expect(JSON.parse(env.REDIS_CLUSTER_NODES)).toEqual([{ host: 'c1.example.com', port: 6379 }, { host: 'c2.example.com', port: 7000 }]);
    expect(env.REDIS_HOST).toBe('c1.example.com');
    expect(clientOf(configOf(objects)).host).toBe('os.environ/REDIS_HOST');
    expect(one(objects, 'NetworkPolicy', 'litellm').spec.egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 6379 }, { protocol: 'TCP', port: 7000 }] });
  });

  test('GIVEN Sentinel THEN REDIS_SENTINEL_NODES, REDIS_SERVICE_NAME and the sentinel password secretKeyRef are set', () => {
    const sentinelPassword = { name: 'sentinel-auth', key: 'password' };
    const objects = threeReplicas({}, external({
      password: PASSWORD, tls: false,
      sentinel: { nodes: [{ host: 's1.example.com' }, { host: 's2.example.com' }], masterName: 'mymaster', password: sentinelPassword },
    }));
    const env = proxyEnv(objects);
    expect(JSON.parse(env.REDIS_SENTINEL_NODES)).toEqual([['s1.example.com', 26379], ['s2.example.com', 26379]]);
    expect(env.REDIS_SERVICE_NAME).toBe('mymaster');
    expect(env.REDIS_SENTINEL_PASSWORD).toEqual({ secretKeyRef: sentinelPassword });
    // Sentinels on 26379 and the master they name on the data port.
    expect(one(objects, 'NetworkPolicy', 'litellm').spec.egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 6379 }, { protocol: 'TCP', port: 26379 }] });
  });
});

describe('wiring validation of any IRedisEndpoint', () => {
  const endpoint = (over: Partial<IRedisEndpoint>): IRedisEndpoint => ({
    host: 'redis', port: 6379, tls: false, password: PASSWORD,
    egress: { peers: [], ports: [6379], reason: 'test' }, admitClient: () => undefined,
    bind(proxy, options) { bindRedis(proxy, this, options); }, ...over,
  });

  test.each<[string, Partial<IRedisEndpoint>, RegExp]>([
    ['an empty host', { host: '' }, /redis\.host: received ""; must be a non-empty string/],
    ['a URL as host', { host: 'redis://redis:6379' }, /redis\.host: received "redis:\/\/redis:6379"; must be a host name or IP address/],
    ['port 0', { port: 0 }, /redis\.port: received 0; must be an integer from 1 to 65535/],
    ['port 70000', { port: 70000 }, /redis\.port: received 70000; must be an integer from 1 to 65535/],
    ['a literal password', { password: 'hunter2hunter2' as any }, /redis\.password: received \(a literal string, hidden\); must be a Secret reference/],
    ['a username without password', { username: 'u', password: undefined }, /redis\.username: received "u"; an ACL user needs a password/],
    ['cluster and sentinel', { clusterNodes: [{ host: 'a', port: 1 }], sentinel: { nodes: [{ host: 'b', port: 2 }], masterName: 'm' } }, /redis\.sentinel: .*either a cluster or behind sentinels/],
    ['an empty cluster', { clusterNodes: [] }, /redis\.clusterNodes: received an array of 0; must list at least one node/],
    ['an empty master name', { sentinel: { nodes: [{ host: 'b', port: 26379 }], masterName: '' } }, /redis\.sentinel\.masterName: received ""; must be a non-empty string/],
  ])('GIVEN %s THEN LiteLLMConfigError', (_n, over, message) => {
    const build = () => synth(chart => new LiteLLMProxy(chart, 'litellm', { replicas: 3, models, masterKey, redis: endpoint(over) }));
    expect(build).toThrow(LiteLLMConfigError);
    expect(build).toThrow(message);
  });
});
