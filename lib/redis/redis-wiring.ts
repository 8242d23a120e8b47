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
 * One Redis client per worker does all of it (LiteLLM 1.108.14 source):
 * - Without response caching: `general_settings.coordination_redis` (proxy_server.py
 *   `_init_coordination_redis`, types `CoordinationRedisParams`, extra keys allowed):
 *   the proxy's usage cache (virtual key / team / user rpm, tpm and parallel
 *   limits in hooks/parallel_request_limiter_v3.py, spend counters, pod locks).
 *   No `litellm_settings.cache`, so nothing caches responses (`litellm.cache` stays None).
 * - With response caching: `litellm_settings.cache: true` + `cache_params` (type
 *   redis); the proxy borrows that client as its usage cache (`init_cache`).
 * - The router gets no `redis_host`/`redis_port` of its own: it then attaches the
 *   proxy's client (proxy_server.py: `router.update_redis_cache(redis_usage_cache)`
 *   when `router.cache.redis_cache is None`) for deployment rpm/tpm and cooldowns.
 *   One client means one circuit breaker and one pipeline per request
 *   (caching/redis_batch.py `_backend_key`): measured with two clients, a hung
 *   Redis cost each request two breakers' worth of timeouts.
 * - Every key under the proxy's own prefix (`namespace`, caching/redis_cache.py
 *   `check_and_fix_namespace`), host/port/password as `os.environ/REDIS_*`
 *   references (not `redis_url`: documented as slower, litellm#3188).
 * - A hung Redis costs a request at most one socket timeout: RedisCache passes
 *   `socket_timeout=5.0` itself unless given one (caching/redis_cache.py), so the
 *   block carries `socket_timeout`; REDIS_SOCKET_CONNECT_TIMEOUT is read by every
 *   client (_redis.py `_redis_kwargs_from_environment`). The circuit breaker
 *   (redis_cache.py `RedisCircuitBreaker`) opens by default only after 5 timeouts
 *   spanning 5 s (REDIS_CIRCUIT_BREAKER_FAILURE_THRESHOLD,
 *   REDIS_CIRCUIT_BREAKER_TIMEOUT_MIN_DURATION), i.e. several timeouts per request
 *   for the first seconds of a hang (measured: 0.4-1.2 s per request); here it
 *   opens at the first one and lets the worker try Redis again after 10 s
 *   (REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT, LiteLLM's default 60 s), so limits
 *   are shared again soon after Redis recovers.
 * - TLS, ACL user, cluster and sentinel travel as LiteLLM's documented
 *   `REDIS_*` variables, which litellm/_redis.py reads for every Redis client
 *   it builds (`_redis_kwargs_from_environment`, `_get_redis_client_logic`;
 *   proxy_server.py `build_redis_usage_cache` and caching.py for REDIS_CLUSTER_NODES).
 *
 * Every value in config.yaml is an `os.environ/NAME` reference; the password
 * is a `secretKeyRef`, so no secret reaches the ConfigMap or `dist/`.
 */
/** How long one Redis call may block a request, by default (measured: a hung Redis then adds 0.2 s to one request per worker). */
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
  // The breaker opens at the first failed call, timeouts included (see above).
  proxy.addEnv('REDIS_CIRCUIT_BREAKER_FAILURE_THRESHOLD', '1');
  proxy.addEnv('REDIS_CIRCUIT_BREAKER_TIMEOUT_MIN_DURATION', '0');
  const connection: Record<string, unknown> = { host: envRef('REDIS_HOST'), port: envRef('REDIS_PORT') };
  if (redis.password !== undefined) {
    proxy.addSecretEnv('REDIS_PASSWORD', secretKeyRef('redis.password', redis.password));
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

  // The one client of every worker (see above): the key prefix and the short socket timeout.
  const client = { ...connection, namespace: options.namespace, socket_timeout: envRef('REDIS_SOCKET_TIMEOUT') };
  const cache = options.cache;
  if (cache !== undefined) {
    proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'cache', true, 'cache');
    proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'cache_params', {
      type: 'redis', ...client, ttl: cache.ttlSeconds, supported_call_types: [...cache.callTypes],
    }, 'cache');
  } else {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'coordination_redis', client, owner);
  }

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
