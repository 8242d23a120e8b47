import { Construct } from 'constructs';
import { LiteLLMConfigError, inStack } from '../errors';
import { EgressRule, NetworkPeer, validatePeer } from '../network';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { boolean, nonEmptyString, port as checkPort } from '../validate';
import { RedisBindOptions } from '../proxy/bindings';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IRedisEndpoint, RedisNode, RedisSentinelEndpoint } from './redis-endpoint';
import { bindRedis } from './redis-wiring';
import { clientTimeoutSeconds, redisHost, redisNodes } from './redis-validate';

/** A node address; the port defaults per topology. */
export interface RedisNodeAddress {
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port. @default `port` for cluster nodes, 26379 for sentinels */
  readonly port?: number;
}

/** Redis Cluster: the clients discover the shards from these seed nodes. */
export interface ExternalRedisCluster {
  /** Seed nodes (e.g. a managed service's configuration endpoint). At least one. */
  readonly nodes: RedisNodeAddress[];
}

/** Redis Sentinel: the clients ask the sentinels for the current master. */
export interface ExternalRedisSentinel {
  /** The sentinels. At least one. */
  readonly nodes: RedisNodeAddress[];
  /** The monitored master's name (`sentinel monitor <name> ...`). */
  readonly masterName: string;
  /** Password of the sentinels themselves, from an existing Secret. @default sentinels without auth */
  readonly password?: SecretKeyRef;
}

export interface ExternalRedisProps {
  /** The server's host name. Required for a single server; leave unset with `cluster` or `sentinel` (their nodes carry the addresses). */
  readonly host?: string;
  /** Port of the Redis data nodes (for sentinel: of the master they point to). @default 6379 */
  readonly port?: number;
  /** The password (Redis AUTH), from an existing Secret. Required unless `allowNoAuth` is true. @default none */
  readonly password?: SecretKeyRef;
  /**
   * Connect without a password (no Redis AUTH). Legitimate only for a Redis
   * that nothing else can reach: e.g. a private endpoint that network policy,
   * security groups or VPC rules open to these proxy pods alone. Anyone who
   * reaches an unauthenticated Redis can read and rewrite the shared limits
   * and cached responses, so it must be said explicitly.
   * @default false
   */
  readonly allowNoAuth?: boolean;
  /** ACL user name (Redis 6+). @default the `default` user */
  readonly username?: string;
  /** Connect with TLS, as managed services offer. @default true */
  readonly tls?: boolean;
  /** Where the proxy may connect (an IP block such as the service's subnet). @default any address, on the Redis ports only */
  readonly cidr?: string;
  /**
   * How long one call to this Redis may block a proxy request, in seconds (the
   * proxy's Redis socket and connect timeouts). While Redis hangs, the first
   * request on each worker waits one of these, then the worker's circuit breaker
   * is open and requests skip Redis; every 10 s one request tries it again.
   * @default 0.2 (measured on 1.108.14: a hung Redis then adds at most 0.2 s to a request)
   */
  readonly clientTimeoutSeconds?: number;
  /** Redis Cluster (sharded). Mutually exclusive with `sentinel` and `host`. @default a single server */
  readonly cluster?: ExternalRedisCluster;
  /** Redis Sentinel (failover). Mutually exclusive with `cluster` and `host`. @default a single server */
  readonly sentinel?: ExternalRedisSentinel;
}

/**
 * A Redis outside the cluster (a managed service, a VM, another team's
 * cluster): a single server, a Redis Cluster or a Sentinel deployment.
 *
 * Cluster and Sentinel are supported because LiteLLM 1.108.14 builds the
 * proxy's Redis client with them: proxy_server.py `build_redis_usage_cache` and
 * caching.py return a RedisClusterCache when REDIS_CLUSTER_NODES is set, and
 * every RedisCache goes through litellm/_redis.py `get_redis_client`, which
 * builds a Sentinel master client from REDIS_SENTINEL_NODES +
 * REDIS_SERVICE_NAME. The client's settings need a host, so for these
 * topologies the first node stands in as host/port (a Sentinel client replaces
 * it with the master it discovers). The key-level limiter groups its keys by
 * hash slot for cluster use (parallel_request_limiter_v3).
 *
 * Emits nothing into the chart: it is an address book the proxy wiring reads.
 */
export class ExternalRedis extends Construct implements IRedisEndpoint {
  public readonly host: string;
  public readonly port: number;
  public readonly password?: SecretKeyRef;
  public readonly username?: string;
  public readonly tls: boolean;
  public readonly clientTimeoutSeconds?: number;
  public readonly clusterNodes?: RedisNode[];
  public readonly sentinel?: RedisSentinelEndpoint;
  public readonly egress: EgressRule;

  constructor(scope: Construct, id: string, props: ExternalRedisProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'ExternalRedis needs props with host (or cluster / sentinel)');
      }
      this.port = checkPort('port', props.port ?? 6379);
      this.tls = boolean('tls', props.tls ?? true);
      if (props.clientTimeoutSeconds !== undefined) this.clientTimeoutSeconds = clientTimeoutSeconds('clientTimeoutSeconds', props.clientTimeoutSeconds);
      if (props.password !== undefined) this.password = secretKeyRef('password', props.password);
      if (props.username !== undefined) {
        this.username = nonEmptyString('username', props.username);
        if (/\s/.test(this.username)) throw new LiteLLMConfigError('username', props.username, 'ACL user names cannot contain spaces');
        if (this.password === undefined) throw new LiteLLMConfigError('username', props.username, 'an ACL user needs a password; set password too');
      }
      if (props.cluster !== undefined && props.sentinel !== undefined) {
        throw new LiteLLMConfigError('sentinel', props.sentinel, 'a Redis is either a cluster or behind sentinels, not both');
      }

      let ports: number[];
      if (props.cluster !== undefined) {
        rejectHost('cluster', props.host);
        this.clusterNodes = redisNodes('cluster.nodes', props.cluster?.nodes, this.port);
        this.host = this.clusterNodes[0].host;
        this.port = this.clusterNodes[0].port;
        // Shards announce their own addresses; they listen on the data port.
        ports = [props.port ?? 6379, ...this.clusterNodes.map(n => n.port)];
      } else if (props.sentinel !== undefined) {
        rejectHost('sentinel', props.host);
        const s = props.sentinel;
        const nodes = redisNodes('sentinel.nodes', s?.nodes, 26379);
        this.sentinel = {
          nodes,
          masterName: nonEmptyString('sentinel.masterName', s.masterName),
          ...(s.password !== undefined ? { password: secretKeyRef('sentinel.password', s.password) } : {}),
        };
        this.host = nodes[0].host;
        // The master the sentinels name listens on the data port; the sentinels on theirs.
        ports = [this.port, ...nodes.map(n => n.port)];
        this.port = nodes[0].port;
      } else {
        if (props.host === undefined) {
          throw new LiteLLMConfigError('host', props.host, 'must be the Redis host name (or give cluster / sentinel nodes)');
        }
        this.host = redisHost('host', props.host);
        ports = [this.port];
      }

      const peers: NetworkPeer[] = [];
      if (props.cidr !== undefined) {
        const peer = { cidr: props.cidr };
        validatePeer('cidr', peer);
        peers.push(peer);
      }
      // Last, so a malformed address is reported before the missing password.
      const allowNoAuth = boolean('allowNoAuth', props.allowNoAuth ?? false);
      if (this.password === undefined && !allowNoAuth) {
        throw new LiteLLMConfigError('password', undefined,
          'an external Redis needs AUTH: give password as a Secret reference { name, key }, or set allowNoAuth: true '
          + '(redis.external.allowNoAuth in a LiteLLMStack) for a Redis that nothing but these pods can reach (a private endpoint behind network policy or VPC rules)');
      }
      if (this.password !== undefined && allowNoAuth) {
        throw new LiteLLMConfigError('allowNoAuth', true, 'contradicts password: leave allowNoAuth unset when the Redis has a password');
      }

      this.egress = {
        peers,
        ports: [...new Set(ports)].sort((a, b) => a - b),
        reason: `external Redis ${this.host}`,
      };
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** Wires this Redis into a proxy (the proxy calls this with its `redis` prop). */
  public bind(proxy: LiteLLMProxy, options: RedisBindOptions): void {
    bindRedis(proxy, this, options);
  }

  /** Nothing to admit: an external Redis has its own firewall. */
  public admitClient(_peer: NetworkPeer): void {
    // The service's own access rules (security groups, firewall) are outside this chart.
  }
}

function rejectHost(mode: string, host: string | undefined): void {
  if (host !== undefined) {
    throw new LiteLLMConfigError('host', host, `leave host unset with ${mode}: the addresses come from ${mode}.nodes`);
  }
}
