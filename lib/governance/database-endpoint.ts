import { k8s } from 'cdk8s-plus-28';
import { DatabaseIdentity } from '../app-checks';
import { LiteLLMConfigError } from '../errors';
import { EgressRule, NetworkPeer } from '../network';
import { IProxyDatabase } from '../proxy/bindings';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { dns1123Subdomain, nonEmptyString, port as checkPort } from '../validate';

/** How the connection is given. */
export enum DatabaseConnectionKind {
  /** The whole URL in one Secret key: LiteLLM's `DATABASE_URL`. */
  URL = 'url',
  /** Host, port, database, user and password: LiteLLM builds the URL itself. */
  PARTS = 'parts',
}

/** The connection in parts (see {@link DatabaseConnection.fromParts}). */
export interface DatabaseConnectionParts {
  /** Host name or IPv4 address, without port or scheme. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Database name (`DATABASE_NAME`). */
  readonly database: string;
  /** User name as plain text; give this or `usernameSecret`. @default none */
  readonly username?: string;
  /** User name from a Secret key; give this or `username`. @default none */
  readonly usernameSecret?: SecretKeyRef;
  /** Password, from a Secret key. */
  readonly password: SecretKeyRef;
}

/**
 * How LiteLLM (the proxy and the migration Job) connects to PostgreSQL: the
 * whole URL from a Secret key (`DATABASE_URL`), or in parts, from which
 * LiteLLM builds the URL itself from `DATABASE_HOST` (host:port),
 * `DATABASE_USERNAME`, `DATABASE_PASSWORD` and `DATABASE_NAME`, URL-escaping
 * user, password and database name (litellm/proxy/utils.py,
 * construct_database_url_from_env_vars).
 */
export class DatabaseConnection {
  /** The whole connection URL (`postgresql://user:pass@host:port/db`) in one Secret key. */
  public static fromUrl(url: SecretKeyRef): DatabaseConnection {
    return new DatabaseConnection(DatabaseConnectionKind.URL, { url });
  }

  /** The connection in parts. */
  public static fromParts(parts: DatabaseConnectionParts): DatabaseConnection {
    return new DatabaseConnection(DatabaseConnectionKind.PARTS, { ...parts });
  }

  /** How the connection is given. */
  public readonly kind: DatabaseConnectionKind;
  /** The URL's Secret key (URL). */
  public readonly url?: SecretKeyRef;
  /** Host (parts). */
  public readonly host?: string;
  /** Port (parts). */
  public readonly port?: number;
  /** Database name (parts). */
  public readonly database?: string;
  /** Plain user name (parts). */
  public readonly username?: string;
  /** User name from a Secret (parts). */
  public readonly usernameSecret?: SecretKeyRef;
  /** Password from a Secret (parts). */
  public readonly password?: SecretKeyRef;

  private constructor(kind: DatabaseConnectionKind, fields: Partial<DatabaseConnectionParts> & { url?: SecretKeyRef }) {
    this.kind = kind;
    this.url = fields.url;
    this.host = fields.host;
    this.port = fields.port;
    this.database = fields.database;
    this.username = fields.username;
    this.usernameSecret = fields.usernameSecret;
    this.password = fields.password;
  }
}

/**
 * A PostgreSQL database for LiteLLM's virtual keys, teams, budgets and spend
 * logs: an external one ({@link ExternalPostgres}) or an in-cluster
 * CloudNativePG cluster ({@link CloudNativePgDatabase}). `bind` wires it
 * into a proxy ({@link bindDatabase} does it for any endpoint).
 */
export interface IDatabaseEndpoint extends IProxyDatabase {
  /** How LiteLLM (proxy and migration Job) gets the connection. */
  readonly credentials: DatabaseConnection;
  /** TCP port, for NetworkPolicy egress. */
  readonly port: number;
  /** What a client's NetworkPolicy must allow to reach it. */
  readonly egress: EgressRule;
  /**
   * True when the database is created by the same deployment as the proxy, so
   * it does not exist before the first sync: the migration Job then cannot be
   * an Argo CD PreSync hook (see {@link MigrationJob}).
   */
  readonly deployedWithChart: boolean;
  /**
   * Called when a client is wired to it, so an in-cluster database can admit exactly that client.
   * `clientNamespace` is the client's namespace, for a database in another one.
   */
  admitClient(peer: NetworkPeer, clientNamespace?: string): void;
  /**
   * The server and database as a client in `clientNamespace` reaches them, for the
   * App-wide checks (connections summed per server, one migration Job per database).
   */
  identityFor(clientNamespace?: string): DatabaseIdentity;
}

/** Env names the database wiring owns, in the proxy and in the migration Job. */
export const DATABASE_ENV_NAMES = ['DATABASE_URL', 'DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_USERNAME', 'DATABASE_PASSWORD'] as const;

/** Validates a connection; returns it normalised (validated Secret references). */
export function validateCredentials(prop: string, c: DatabaseConnection): DatabaseConnection {
  if (!(c instanceof DatabaseConnection)) {
    throw new LiteLLMConfigError(prop, c, 'must be DatabaseConnection.fromUrl(secret) or DatabaseConnection.fromParts({ host, port, database, username, password })');
  }
  if (c.kind === DatabaseConnectionKind.URL) return DatabaseConnection.fromUrl(secretKeyRef(`${prop}.url`, c.url));
  const host = nonEmptyString(`${prop}.host`, c.host);
  // DATABASE_HOST is written as host:port; a port or scheme inside the host would corrupt the URL.
  if (/[:/@\s]/.test(host)) {
    throw new LiteLLMConfigError(`${prop}.host`, host, 'must be a bare host name or IPv4 address (no scheme, port, user or path); give the port in `port`');
  }
  if ((c.username === undefined) === (c.usernameSecret === undefined)) {
    throw new LiteLLMConfigError(`${prop}.username`, c.username, 'give the user either as username (plain text) or as usernameSecret (a Secret reference), one of the two');
  }
  return DatabaseConnection.fromParts({
    host: dns1123Subdomain(`${prop}.host`, host),
    port: checkPort(`${prop}.port`, c.port),
    database: nonEmptyString(`${prop}.database`, c.database),
    ...(c.username !== undefined ? { username: nonEmptyString(`${prop}.username`, c.username) } : { usernameSecret: secretKeyRef(`${prop}.usernameSecret`, c.usernameSecret) }),
    password: secretKeyRef(`${prop}.password`, c.password),
  });
}

/** The environment variables LiteLLM reads the connection from; never a secret value. */
export function databaseEnv(c: DatabaseConnection): k8s.EnvVar[] {
  const fromSecret = (name: string, ref: SecretKeyRef): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
  if (c.kind === DatabaseConnectionKind.URL) return [fromSecret('DATABASE_URL', c.url!)];
  return [
    { name: 'DATABASE_HOST', value: `${c.host}:${c.port}` },
    { name: 'DATABASE_NAME', value: c.database! },
    c.username !== undefined
      ? { name: 'DATABASE_USERNAME', value: c.username }
      : fromSecret('DATABASE_USERNAME', c.usernameSecret!),
    fromSecret('DATABASE_PASSWORD', c.password!),
  ];
}
