import { EgressRule, NetworkPeer } from '../network';
import { SecretKeyRef } from '../secret';

/**
 * A PostgreSQL database for LiteLLM's virtual keys, teams, budgets and spend
 * logs: an external one or an in-cluster CloudNativePG cluster.
 */
export interface IDatabaseEndpoint {
  /** A Secret key holding the full connection URL (`postgresql://user:pass@host:port/db`). */
  readonly url: SecretKeyRef;
  /** Host, for waiting on the database before migrating. */
  readonly host: string;
  /** Port, for waiting on the database and for NetworkPolicy egress. */
  readonly port: number;
  /** The most connections the database accepts from LiteLLM (its `max_connections` less reserve). */
  readonly maxConnections: number;
  /** What a client's NetworkPolicy must allow to reach it. */
  readonly egress: EgressRule;
  /** Called when a client is wired to it, so an in-cluster database can admit exactly that client. */
  admitClient(peer: NetworkPeer): void;
}
