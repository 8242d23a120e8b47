import { LiteLLMConfigError } from '../errors';
import { envRef } from '../proxy/config';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { secretKeyRef } from '../secret';
import { integer, nonEmptyString, port as checkPort, unique } from '../validate';
import { IRedisEndpoint } from './redis-endpoint';

/** Response caching through the shared Redis (`litellm_settings.cache`). */
export interface ProxyCache {
  /** Seconds a cached response lives (`cache_params.ttl`). @default 600 */
  readonly ttlSeconds?: number;
  /**
   * Call types that are cached (`cache_params.supported_call_types`).
   * @default ['acompletion', 'aembedding'] (async chat completions and embeddings: what the proxy serves)
   */
  readonly callTypes?: readonly string[];
}
/**
 * Wires a Redis into a proxy so that rpm/tpm counters, cooldowns and (when
 * asked) the response cache are shared by every replica and worker
 * (docs/proxy/prod.md §4, load_balancing.md).
 */
export function connectRedis(proxy: LiteLLMProxy, redis: IRedisEndpoint, cache: ProxyCache | undefined): void {
  nonEmptyString('redis.host', redis.host);
  checkPort('redis.port', redis.port);
  // host/port/password, not redis_url: documented as measurably slower (litellm#3188).
  proxy.addEnv('REDIS_HOST', redis.host);
  proxy.addEnv('REDIS_PORT', String(redis.port));
  const owner = 'redis';
  proxy.setConfig('router_settings', 'redis_host', envRef('REDIS_HOST'), owner);
  proxy.setConfig('router_settings', 'redis_port', envRef('REDIS_PORT'), owner);
  if (redis.password !== undefined) {
    proxy.addSecretEnv('REDIS_PASSWORD', secretKeyRef('redis.password', redis.password));
    proxy.setConfig('router_settings', 'redis_password', envRef('REDIS_PASSWORD'), owner);
  }
  if (redis.tls) {
    // redis-py kwarg `ssl`; the router passes cache_kwargs to its RedisCache (litellm/router.py).
    proxy.setConfig('router_settings', 'cache_kwargs', { ssl: true }, owner);
  }
  if (cache !== undefined) {
    const ttl = integer('cache.ttlSeconds', cache.ttlSeconds ?? 600, 1);
    const callTypes = [...(cache.callTypes ?? ['acompletion', 'aembedding'])];
    if (callTypes.length === 0) throw new LiteLLMConfigError('cache.callTypes', callTypes, 'must name at least one call type, e.g. "acompletion"');
    unique('cache.callTypes', callTypes, 'call types');
    proxy.setConfig('litellm_settings', 'cache', true, 'cache');
    proxy.setConfig('litellm_settings', 'cache_params', {
      type: 'redis',
      host: envRef('REDIS_HOST'),
      port: envRef('REDIS_PORT'),
      ...(redis.password !== undefined ? { password: envRef('REDIS_PASSWORD') } : {}),
      ...(redis.tls ? { ssl: true } : {}),
      ttl,
      supported_call_types: callTypes,
    }, 'cache');
  }
  redis.admitClient({ podLabels: proxy.podSelector });
  proxy.addEgress(redis.egress);
}
