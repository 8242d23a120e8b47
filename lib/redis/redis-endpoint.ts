import { EgressRule, NetworkPeer } from '../network';
import { SecretKeyRef } from '../secret';

/**
 * A Redis the proxy can share its limits, cooldowns and cache through. Both
 * the in-cluster {@link RedisInstance} and {@link ExternalRedis} implement it,
 * so the proxy does not care which it gets.
 */
export interface IRedisEndpoint {
  /** Host name the proxy connects to (a Service DNS name or a managed endpoint). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** The password (Redis AUTH), from an existing Secret. */
  readonly password?: SecretKeyRef;
  /** Whether the connection uses TLS. */
  readonly tls: boolean;
  /** What the proxy's NetworkPolicy must allow to reach it. */
  readonly egress: EgressRule;
  /** Called when a client is wired to it, so an in-cluster Redis can admit exactly that client. */
  admitClient(peer: NetworkPeer): void;
}
