import { AppChecks, chartNamespace, networkAddress } from '../app-checks';
import { ConfigSection } from '../proxy/config';
import { LiteLLMConfigError } from '../errors';
import { RedisBindOptions } from '../proxy/bindings';
import { envRef } from '../proxy/config';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { secretKeyRef } from '../secret';
import { boolean, nonEmptyString, port as checkPort } from '../validate';
import { IRedisEndpoint } from './redis-endpoint';
import { clientTimeoutSeconds, redisHost, redisNodes } from './redis-validate';

/**
 * Wires a Redis into a proxy so that rpm/tpm counters, cooldowns, key and
 * team limits and (when asked) the response cache are shared by every replica
 * and worker (docs/proxy/prod.md §4, load_balancing.md).
 *
 * What goes where, and why (LiteLLM 1.108.14 source):
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
 * - Two Redis clients (per worker) do all of it: the router's and the usage
 *   cache's. Both get the proxy's key namespace (`cache_params.namespace`,
 *   `router_settings.cache_kwargs.namespace`: without the second, deployment
 *   rpm/tpm counters and cooldowns are written unprefixed, router.py
 *   `_create_redis_cache` merges cache_kwargs) and a short socket timeout:
 *   RedisCache passes `socket_timeout=5.0` itself (caching/redis_cache.py),
 *   which overrides REDIS_SOCKET_TIMEOUT from the environment, and a hung
 *   Redis then costs up to 4 sequential round trips of 5 s per request until
 *   each worker's circuit breaker opens (~30 s). With 0.2 s: +0.6-0.8 s
 *   (measured, e2e "hung Redis"). REDIS_SOCKET_CONNECT_TIMEOUT is read by
 *   every client (_redis.py `_redis_kwargs_from_environment`), and
 *   REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT lets a worker try Redis again 10 s
 *   (not 60 s) after its breaker opened, so limits are shared again soon after
 *   Redis recovers.
 * - TLS, ACL user, cluster and sentinel travel as LiteLLM's documented
 *   `REDIS_*` variables, which litellm/_redis.py reads for every Redis client
 *   it builds (`_redis_kwargs_from_environment`, `_get_redis_client_logic`;
 *   router.py `_create_redis_cache` for REDIS_CLUSTER_NODES), so the router,
 *   the usage cache and the response cache all get the same topology.
 *
 * Every value in config.yaml is an `os.environ/NAME` reference; the password
 * is a `secretKeyRef`, so no secret reaches the ConfigMap or `dist/`.
 */
/** How long one Redis call may block a request, by default: measured +0.6-0.8 s per request while Redis hangs. */
export const DEFAULT_REDIS_CLIENT_TIMEOUT_SECONDS = 0.2;
/** Seconds before a worker whose Redis circuit breaker opened tries Redis again (LiteLLM's default is 60). */
const CIRCUIT_BREAKER_RECOVERY_SECONDS = 10;

export function bindRedis(proxy: LiteLLMProxy, redis: IRedisEndpoint, options: RedisBindOptions): void {
  if (typeof redis !== 'object' || redis === null) {
    throw new LiteLLMConfigError('redis', redis, 'must be a Redis endpoint (RedisInstance or ExternalRedis)');
  }
  const host = redisHost('redis.host', redis.host);
  const port = checkPort('redis.port', redis.port);
  const tls = boolean('redis.tls', redis.tls);
  const owner = 'redis';

  const timeout = clientTimeoutSeconds('redis.clientTimeoutSeconds', redis.clientTimeoutSeconds ?? DEFAULT_REDIS_CLIENT_TIMEOUT_SECONDS);
  proxy.addEnv('REDIS_HOST', host);
  proxy.addEnv('REDIS_PORT', String(port));
  proxy.addEnv('REDIS_SOCKET_TIMEOUT', String(timeout));
  proxy.addEnv('REDIS_SOCKET_CONNECT_TIMEOUT', String(timeout));
  proxy.addEnv('REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT', String(CIRCUIT_BREAKER_RECOVERY_SECONDS));
  proxy.setConfig(ConfigSection.ROUTER_SETTINGS, 'redis_host', envRef('REDIS_HOST'), owner);
  proxy.setConfig(ConfigSection.ROUTER_SETTINGS, 'redis_port', envRef('REDIS_PORT'), owner);
  const connection: Record<string, unknown> = { host: envRef('REDIS_HOST'), port: envRef('REDIS_PORT') };
  if (redis.password !== undefined) {
    proxy.addSecretEnv('REDIS_PASSWORD', secretKeyRef('redis.password', redis.password));
    proxy.setConfig(ConfigSection.ROUTER_SETTINGS, 'redis_password', envRef('REDIS_PASSWORD'), owner);
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

  // Every key under the proxy's own prefix (litellm/caching/redis_cache.py check_and_fix_namespace),
  // and every call bounded by the short socket timeout, on both clients (see above).
  const clientSettings = { socket_timeout: envRef('REDIS_SOCKET_TIMEOUT'), namespace: options.namespace };
  proxy.setConfig(ConfigSection.ROUTER_SETTINGS, 'cache_kwargs', clientSettings, owner);
  const cacheParams: Record<string, unknown> = { type: 'redis', ...connection, ...clientSettings };
  const cache = options.cache;
  if (cache !== undefined) {
    cacheParams.ttl = cache.ttlSeconds;
    cacheParams.supported_call_types = [...cache.callTypes];
  } else {
    // The shared usage cache without response caching (see above).
    cacheParams.supported_call_types = [];
  }
  proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'cache', true, owner);
  proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'cache_params', cacheParams, cache !== undefined ? 'cache' : owner);

  redis.admitClient({ podLabels: proxy.podSelector });
  proxy.addEgress(redis.egress);
  claimKeyPrefix(proxy, redis, host, port, options.namespace);
}

/** Records the proxy's key prefix on this Redis for the App-wide check: proxies sharing a Redis need prefixes of their own. */
function claimKeyPrefix(proxy: LiteLLMProxy, redis: IRedisEndpoint, host: string, port: number, namespace: string): void {
  const clientNamespace = chartNamespace(proxy);
  const at = (h: string, p: number) => networkAddress(h, p, clientNamespace);
  let addresses: string[];
  let label: string;
  if (redis.sentinel !== undefined) {
    // Sentinels can watch several masters: the master's name is part of the identity.
    addresses = redis.sentinel.nodes.map(n => `${at(n.host, n.port)}/${redis.sentinel!.masterName}`);
    label = `${redis.sentinel.masterName} (sentinels ${redis.sentinel.nodes.map(n => `${n.host}:${n.port}`).join(', ')})`;
  } else if (redis.clusterNodes !== undefined) {
    addresses = redis.clusterNodes.map(n => at(n.host, n.port));
    label = `cluster ${redis.clusterNodes.map(n => `${n.host}:${n.port}`).join(', ')}`;
  } else {
    addresses = [at(host, port)];
    label = addresses[0];
  }
  AppChecks.of(proxy).claimRedisNamespace(proxy, { addresses, label, namespace });
}
