import { LiteLLMConfigError } from '../errors';
import { EgressRule, NetworkPeer, validatePeer } from '../network';
import { SecretKeyRef } from '../secret';
import { integer, port as checkPort } from '../validate';
import { DatabaseCredentials, IDatabaseEndpoint, validateCredentials } from './database-endpoint';

/**
 * PostgreSQL's default `max_connections` (100) less its default
 * `superuser_reserved_connections` (3) and a margin for administrators,
 * monitoring and the provider's own agents (postgresql.org docs,
 * runtime-config-connection).
 */
export const DEFAULT_EXTERNAL_MAX_CONNECTIONS = 90;

export interface ExternalPostgresProps {
  /**
   * A Secret key holding the whole connection URL
   * (`postgresql://user:pass@host:5432/litellm`). Give either this or
   * `host` + `database` + `username` + `password`.
   * @default none
   */
  readonly url?: SecretKeyRef;
  /** Host name or IPv4 address, when the connection is given in parts. @default none */
  readonly host?: string;
  /** TCP port; with `url` it must match the URL's port (it opens egress). @default 5432 */
  readonly port?: number;
  /** Database name, when the connection is given in parts. @default none */
  readonly database?: string;
  /** User name or a Secret key holding it, when the connection is given in parts. @default none */
  readonly username?: string | SecretKeyRef;
  /** Secret key holding the password, when the connection is given in parts. @default none */
  readonly password?: SecretKeyRef;
  /**
   * Connections LiteLLM may use: the server's `max_connections` less what
   * other clients and the superuser reserve need.
   * @default 90 (PostgreSQL's default max_connections 100, less 3 superuser-reserved and a margin)
   */
  readonly maxConnections?: number;
  /**
   * Where the database is, for NetworkPolicy egress: e.g. the managed
   * database's subnet as `{ cidr: '10.20.0.0/24' }`.
   * @default any address on `port` (set this: a CIDR keeps the proxy from reaching other Postgres servers)
   */
  readonly peers?: readonly NetworkPeer[];
}

/** A PostgreSQL server outside this chart (managed or self-run), reached with credentials from an existing Secret. */
export class ExternalPostgres implements IDatabaseEndpoint {
  public readonly credentials: DatabaseCredentials;
  public readonly port: number;
  public readonly maxConnections: number;
  public readonly egress: EgressRule;
  public readonly deployedWithChart = false;

  constructor(props: ExternalPostgresProps) {
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError('ExternalPostgres', props, 'needs props with `url`, or `host`, `database`, `username` and `password`');
    }
    this.port = checkPort('database.port', props.port ?? 5432);
    const parts = props.host !== undefined || props.database !== undefined || props.username !== undefined || props.password !== undefined;
    if (props.url !== undefined && parts) {
      throw new LiteLLMConfigError('database.url', props.url, 'give either `url` or the parts (`host`, `database`, `username`, `password`), not both');
    }
    if (props.url === undefined && !parts) {
      throw new LiteLLMConfigError('database', props, 'needs `url` (a Secret key with the connection URL) or `host`, `database`, `username` and `password`');
    }
    if (parts) {
      for (const key of ['host', 'database', 'username', 'password'] as const) {
        if (props[key] === undefined) {
          throw new LiteLLMConfigError(`database.${key}`, undefined, 'is required when the connection is given in parts (host, database, username, password)');
        }
      }
    }
    this.credentials = validateCredentials('database', props.url !== undefined
      ? { kind: 'url', url: props.url }
      : { kind: 'parts', host: props.host!, port: this.port, database: props.database!, username: props.username!, password: props.password! });
    this.maxConnections = integer('database.maxConnections', props.maxConnections ?? DEFAULT_EXTERNAL_MAX_CONNECTIONS, 2);
    const peers = props.peers ?? [];
    peers.forEach((p, i) => validatePeer(`database.peers[${i}]`, p));
    this.egress = { peers, ports: [this.port], reason: 'PostgreSQL (external)' };
  }

  /** An external server has no NetworkPolicy of ours to open. */
  public admitClient(_peer: NetworkPeer): void {
    return;
  }
}
