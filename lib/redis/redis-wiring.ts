import { LiteLLMConfigError } from '../errors';
import { envRef } from '../proxy/config';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { secretKeyRef } from '../secret';
import { boolean, integer, nonEmptyString, oneOf, port as checkPort, unique } from '../validate';
import { IRedisEndpoint } from './redis-endpoint';
import { redisHost, redisNodes } from './redis-validate';

/** Call types LiteLLM can cache (litellm/types/caching.py, `CachingSupportedCallTypes`, v1.89.4). */
export const CACHEABLE_CALL_TYPES = [
  'completion', 'acompletion', 'embedding', 'aembedding', 'atranscription', 'transcription',
  'atext_completion', 'text_completion', 'arerank', 'rerank', 'responses', 'aresponses',
] as const;
export type CacheableCallType = typeof CACHEABLE_CALL_TYPES[number];

/** Response caching through the shared Redis (`litellm_settings.cache_params`). */
export interface ProxyCache {
  /** Seconds a cached response lives (`cache_params.ttl`). @default 600 */
  readonly ttlSeconds?: number;
  /**
   * Call types that are cached (`cache_params.supported_call_types`).
   * @default ['acompletion', 'aembedding'] (async chat completions and embeddings: what the proxy serves)
   */
  readonly callTypes?: readonly CacheableCallType[];
}

/**
 * Wires a Redis into a proxy so that rpm/tpm counters, cooldowns, key and
 * team limits and (when asked) the response cache are shared by every replica
 * and worker (docs/proxy/prod.md §4, load_balancing.md).
 *
 * What goes where, and why (LiteLLM v1.89.4 source):
 * - `router_settings.redis_host/redis_port/redis_password`: the Router's
 *   DualCache, which holds deployment rpm/tpm and cooldowns (router.py
 *   `__init__`, only built when host *and* port are set). Host/port/password,
 *   not `redis_url`: documented as measurably slower (litellm#3188).
 * - `litellm_settings.cache: true` + `cache_params` (type redis): always, not
 *   only for response caching. The proxy's own limiter (virtual key / team /
 *   user rpm, tpm, max_parallel_requests) and spend counters reach Redis only
 *   through the usage cache built there (proxy_server.py `_init_cache` ->
 *   `redis_usage_cache`; utils.py: "used by parallel request limiter for rate
 *   limiting keys across instances"). Without response caching it is set with
 *   `supported_call_types: []`, so no response is ever cached
 *   (caching_handler.py checks the call type against that list).
 * - TLS, ACL user, cluster and sentinel travel as LiteLLM's documented
 *   `REDIS_*` variables, which litellm/_redis.py reads for every Redis client
 *   it builds (`_redis_kwargs_from_environment`, `_get_redis_client_logic`;
 *   router.py `_create_redis_cache` for REDIS_CLUSTER_NODES), so the router,
 *   the usage cache and the response cache all get the same topology.
 *
 * Every value in config.yaml is an `os.environ/NAME` reference; the password
 * is a `secretKeyRef`, so no secret reaches the ConfigMap or `dist/`.
 */
export function connectRedis(proxy: LiteLLMProxy, redis: IRedisEndpoint, cache: ProxyCache | undefined): void {
  if (typeof redis !== 'object' || redis === null) {
    throw new LiteLLMConfigError('redis', redis, 'must be a Redis endpoint (RedisInstance or ExternalRedis)');
  }
  const host = redisHost('redis.host', redis.host);
  const port = checkPort('redis.port', redis.port);
  const tls = boolean('redis.tls', redis.tls);
  const owner = 'redis';

  proxy.addEnv('REDIS_HOST', host);
  proxy.addEnv('REDIS_PORT', String(port));
  proxy.setConfig('router_settings', 'redis_host', envRef('REDIS_HOST'), owner);
  proxy.setConfig('router_settings', 'redis_port', envRef('REDIS_PORT'), owner);
  const connection: Record<string, unknown> = { host: envRef('REDIS_HOST'), port: envRef('REDIS_PORT') };
  if (redis.password !== undefined) {
    proxy.addSecretEnv('REDIS_PASSWORD', secretKeyRef('redis.password', redis.password));
    proxy.setConfig('router_settings', 'redis_password', envRef('REDIS_PASSWORD'), owner);
    connection.password = envRef('REDIS_PASSWORD');
  }
  if (redis.username !== undefined) {
    if (redis.password === undefined) {
      throw new LiteLLMConfigError('redis.username', redis.username, 'an ACL user needs a password; set redis.password too');
    }
    proxy.addEnv('REDIS_USERNAME', nonEmptyString('redis.username', redis.username));
  }
  // redis-py `ssl=True`; "true" becomes a boolean in litellm get_secret (str_to_bool).
  if (tls) proxy.addEnv('REDIS_SSL', 'true');

  if (redis.clusterNodes !== undefined && redis.sentinel !== undefined) {
    throw new LiteLLMConfigError('redis.sentinel', redis.sentinel, 'a Redis is either a cluster or behind sentinels, not both');
  }
  if (redis.clusterNodes !== undefined) {
    // JSON list of {host, port}: each becomes a redis.cluster.ClusterNode (litellm/_redis.py init_redis_cluster).
    const nodes = redisNodes('redis.clusterNodes', redis.clusterNodes, port);
    proxy.addEnv('REDIS_CLUSTER_NODES', JSON.stringify(nodes));
  }
  if (redis.sentinel !== undefined) {
    const s = redis.sentinel;
    // JSON list of [host, port] pairs, as redis.Sentinel(sentinels) takes them (litellm/_redis.py _init_redis_sentinel).
    const nodes = redisNodes('redis.sentinel.nodes', s.nodes, 26379);
    proxy.addEnv('REDIS_SENTINEL_NODES', JSON.stringify(nodes.map(n => [n.host, n.port])));
    proxy.addEnv('REDIS_SERVICE_NAME', nonEmptyString('redis.sentinel.masterName', s.masterName));
    if (s.password !== undefined) {
      proxy.addSecretEnv('REDIS_SENTINEL_PASSWORD', secretKeyRef('redis.sentinel.password', s.password));
    }
  }

  const cacheParams: Record<string, unknown> = { type: 'redis', ...connection };
  if (cache !== undefined) {
    if (typeof cache !== 'object' || cache === null) {
      throw new LiteLLMConfigError('cache', cache, 'must be an object { ttlSeconds?, callTypes? }');
    }
    const ttl = integer('cache.ttlSeconds', cache.ttlSeconds ?? 600, 1, 30 * 86400);
    const callTypes = [...(cache.callTypes ?? ['acompletion', 'aembedding'])];
    if (callTypes.length === 0) {
      throw new LiteLLMConfigError('cache.callTypes', callTypes, 'must name at least one call type, e.g. "acompletion" (omit `cache` to turn response caching off)');
    }
    callTypes.forEach((t, i) => oneOf(`cache.callTypes[${i}]`, t, CACHEABLE_CALL_TYPES));
    unique('cache.callTypes', callTypes, 'call types');
    cacheParams.ttl = ttl;
    cacheParams.supported_call_types = callTypes;
  } else {
    // The shared usage cache without response caching (see above).
    cacheParams.supported_call_types = [];
  }
  proxy.setConfig('litellm_settings', 'cache', true, owner);
  proxy.setConfig('litellm_settings', 'cache_params', cacheParams, cache !== undefined ? 'cache' : owner);

  redis.admitClient({ podLabels: proxy.podSelector });
  proxy.addEgress(redis.egress);
}
