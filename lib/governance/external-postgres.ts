import { DatabaseIdentity, ServerIdentity, networkAddress } from '../app-checks';
import { LiteLLMConfigError } from '../errors';
import { EgressRule, NetworkPeer, validatePeer } from '../network';
import { SecretKeyRef } from '../secret';
import { integer, nonEmptyString, port as checkPort } from '../validate';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { DatabaseConnection, DatabaseConnectionKind, IDatabaseEndpoint, validateCredentials } from './database-endpoint';
import { bindDatabase } from './database-wiring';
import type { PostgresServer } from './postgres-server';

/**
 * PostgreSQL's default `max_connections` (100) less its default
 * `superuser_reserved_connections` (3) and a margin for administrators,
 * monitoring and the provider's own agents (postgresql.org docs,
 * runtime-config-connection).
 */
export const DEFAULT_EXTERNAL_MAX_CONNECTIONS = 90;

export interface ExternalPostgresProps {
  /**
   * The shared server this database is on (several stacks, a database each):
   * port, peers and the connection budget come from the server, this
   * database's `maxConnections` is its share there, and `database` names it.
   * @default a server of its own
   */
  readonly server?: PostgresServer;
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
  /**
   * Database name: with the connection in parts, `DATABASE_NAME`; with a
   * `server`, required either way, and with `url` the name inside the URL
   * (it identifies the database in the App-wide checks).
   * @default none
   */
  readonly database?: string;
  /** User name, when the connection is given in parts (or `usernameSecret`). @default none */
  readonly username?: string;
  /** A Secret key holding the user name, when the connection is given in parts (or `username`). @default none */
  readonly usernameSecret?: SecretKeyRef;
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
  readonly peers?: NetworkPeer[];
}

/** A PostgreSQL server outside this chart (managed or self-run), reached with credentials from an existing Secret. */
export class ExternalPostgres implements IDatabaseEndpoint {
  public readonly credentials: DatabaseConnection;
  public readonly port: number;
  public readonly maxConnections: number;
  public readonly egress: EgressRule;
  public readonly deployedWithChart = false;
  /** The shared server, when given. */
  public readonly server?: PostgresServer;
  /** The database's name, when known (parts, or given with a server). */
  public readonly databaseName?: string;

  constructor(props: ExternalPostgresProps) {
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError('ExternalPostgres', props, 'needs props with `url`, or `host`, `database`, `username` and `password`');
    }
    const server = props.server;
    if (server !== undefined) {
      if (typeof server !== 'object' || server === null || typeof (server as { shareOf?: unknown }).shareOf !== 'function') {
        throw new LiteLLMConfigError('database.server', server, 'must be a PostgresServer');
      }
      for (const key of ['host', 'port', 'maxConnections', 'peers'] as const) {
        if (props[key] !== undefined) {
          throw new LiteLLMConfigError(`database.${key}`, props[key], `comes from the server "${server.name}" (its ${key}, or this database's share of its connections): leave it unset`);
        }
      }
      if (props.database === undefined) {
        throw new LiteLLMConfigError('database.database', undefined, `names this database on server "${server.name}" and is required with a server (with url, the name inside the URL)`);
      }
      if (props.url === undefined && server.host === undefined) {
        throw new LiteLLMConfigError('database.username', props.username ?? props.usernameSecret, `connecting in parts needs the server's host: give server "${server.name}" a host, or give this database a url`);
      }
      this.server = server;
    }
    this.port = server?.port ?? checkPort('database.port', props.port ?? 5432);
    const parts = props.host !== undefined || props.username !== undefined || props.usernameSecret !== undefined || props.password !== undefined
      || (props.database !== undefined && server === undefined);
    if (props.url !== undefined && parts) {
      throw new LiteLLMConfigError('database.url', props.url, 'give either `url` or the parts (`host`, `database`, `username`, `password`), not both');
    }
    if (props.url === undefined && !parts) {
      throw new LiteLLMConfigError('database', props, 'needs `url` (a Secret key with the connection URL) or `host`, `database`, `username` and `password`');
    }
    const host = props.host ?? server?.host;
    if (parts) {
      for (const key of ['host', 'database', 'username', 'password'] as const) {
        if ((key === 'host' ? host : key === 'username' ? props.username ?? props.usernameSecret : props[key]) === undefined) {
          throw new LiteLLMConfigError(`database.${key}`, undefined, 'is required when the connection is given in parts (host, database, username, password)');
        }
      }
    }
    this.credentials = validateCredentials('database', props.url !== undefined
      ? DatabaseConnection.fromUrl(props.url)
      : DatabaseConnection.fromParts({
        host: host!, port: this.port, database: props.database!, username: props.username, usernameSecret: props.usernameSecret, password: props.password!,
      }));
    if (props.database !== undefined) this.databaseName = nonEmptyString('database.database', props.database);
    if (server !== undefined) {
      this.maxConnections = server.shareOf('database.database', this.databaseName!);
      this.egress = server.egress;
    } else {
      this.maxConnections = integer('database.maxConnections', props.maxConnections ?? DEFAULT_EXTERNAL_MAX_CONNECTIONS, 2);
      const peers = props.peers ?? [];
      peers.forEach((p, i) => validatePeer(`database.peers[${i}]`, p));
      this.egress = { peers, ports: [this.port], reason: 'PostgreSQL (external)' };
    }
  }

  /** Wires this database into a proxy (the proxy calls this with its `database` prop). */
  public bind(proxy: LiteLLMProxy): void {
    bindDatabase(proxy, this);
  }

  /** An external server has no NetworkPolicy of ours to open; a shared CloudNativePG server does (see PostgresServer). */
  public admitClient(peer: NetworkPeer, clientNamespace?: string): void {
    this.server?.admitClient(peer, clientNamespace);
  }

  /**
   * The server and database for the App-wide checks: the shared server when
   * given; else the host and port of a connection in parts; a URL in a Secret
   * hides the server, so only the Secret identifies the database.
   */
  public identityFor(clientNamespace?: string): DatabaseIdentity {
    let server: ServerIdentity | undefined;
    if (this.server !== undefined) {
      server = this.server.identity(clientNamespace);
    } else if (this.credentials.kind === DatabaseConnectionKind.PARTS) {
      const address = networkAddress(this.credentials.host!, this.credentials.port!, clientNamespace);
      server = { key: address, label: address, maxConnections: this.maxConnections, declared: false };
    }
    if (server !== undefined && this.databaseName !== undefined) {
      return { server, key: `${server.key}/${this.databaseName}`, label: `"${this.databaseName}" on server ${server.label}` };
    }
    const url = this.credentials.url;
    const where = `Secret ${url?.name}/${url?.key} in namespace ${clientNamespace ?? 'default'}`;
    return { server, key: where, label: `at the URL in ${where}` };
  }
}
