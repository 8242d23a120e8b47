import { EgressRule, NetworkPeer } from '../network';
import { IProxyRedis } from '../proxy/bindings';
import { SecretKeyRef } from '../secret';

/** One Redis (or Sentinel) address. */
export interface RedisNode {
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * A Redis Sentinel deployment: the clients ask the sentinels where the
 * current master of `masterName` is (litellm/_redis.py `_init_redis_sentinel`).
 */
export interface RedisSentinelEndpoint {
  /** The sentinels. */
  readonly nodes: RedisNode[];
  /** The monitored master's name (Sentinel's `monitor <name>`; LiteLLM's `service_name`). */
  readonly masterName: string;
  /** Password of the sentinels themselves, from an existing Secret. @default sentinels without auth */
  readonly password?: SecretKeyRef;
}

/**
 * A Redis the proxy can share its limits, cooldowns and cache through. Both
 * the in-cluster {@link RedisInstance} and {@link ExternalRedis} implement it,
 * so the proxy does not care which it gets. `bind` wires it into a proxy
 * ({@link bindRedis} does it for any endpoint).
 */
export interface IRedisEndpoint extends IProxyRedis {
  /** Host name the proxy connects to (a Service DNS name or a managed endpoint; a seed node for cluster/sentinel). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** The password (Redis AUTH), from an existing Secret. */
  readonly password?: SecretKeyRef;
  /** ACL user name (Redis 6+ `AUTH <user> <password>`). @default the `default` user */
  readonly username?: string;
  /** Whether the connection uses TLS. */
  readonly tls: boolean;
  /** Redis Cluster seed nodes; when set the clients speak the cluster protocol. @default not a cluster */
  readonly clusterNodes?: RedisNode[];
  /** Redis Sentinel; when set the clients find the master through it. @default no sentinel */
  readonly sentinel?: RedisSentinelEndpoint;
  /**
   * How long one call to this Redis may block a request, in seconds (the
   * clients' socket and connect timeouts). Raise it for a Redis far away.
   * @default 0.2 (DEFAULT_REDIS_CLIENT_TIMEOUT_SECONDS)
   */
  readonly clientTimeoutSeconds?: number;
  /** What the proxy's NetworkPolicy must allow to reach it. */
  readonly egress: EgressRule;
  /** Called when a client is wired to it, so an in-cluster Redis can admit exactly that client. */
  admitClient(peer: NetworkPeer): void;
}
