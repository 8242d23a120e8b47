import { k8s } from 'cdk8s-plus-28';
import { DatabaseIdentity } from '../app-checks';
import { LiteLLMConfigError } from '../errors';
import { EgressRule, NetworkPeer } from '../network';
import { IProxyDatabase } from '../proxy/bindings';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { dns1123Subdomain, nonEmptyString, port as checkPort } from '../validate';

/** The whole connection URL (`postgresql://user:pass@host:port/db`) in one Secret key: LiteLLM's `DATABASE_URL`. */
export interface DatabaseUrlCredentials {
  readonly kind: 'url';
  /** The Secret key holding the URL. */
  readonly url: SecretKeyRef;
}

/**
 * The connection in parts. LiteLLM builds the URL itself from `DATABASE_HOST`
 * (host:port), `DATABASE_USERNAME`, `DATABASE_PASSWORD` and `DATABASE_NAME`,
 * URL-escaping user, password and database name
 * (litellm/proxy/utils.py, construct_database_url_from_env_vars).
 */
export interface DatabasePartsCredentials {
  readonly kind: 'parts';
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** A plain user name or a Secret key holding it. */
  readonly username: string | SecretKeyRef;
  readonly password: SecretKeyRef;
}

export type DatabaseCredentials = DatabaseUrlCredentials | DatabasePartsCredentials;

/**
 * A PostgreSQL database for LiteLLM's virtual keys, teams, budgets and spend
 * logs: an external one ({@link ExternalPostgres}) or an in-cluster
 * CloudNativePG cluster ({@link CloudNativePgDatabase}). `bind` wires it
 * into a proxy ({@link bindDatabase} does it for any endpoint).
 */
export interface IDatabaseEndpoint extends IProxyDatabase {
  /** How LiteLLM (proxy and migration Job) gets the connection. */
  readonly credentials: DatabaseCredentials;
  /** TCP port, for NetworkPolicy egress. */
  readonly port: number;
  /** The most connections the database accepts from LiteLLM (its `max_connections` less what is reserved). */
  readonly maxConnections: number;
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
   * @default not checked across stacks
   */
  identityFor?(clientNamespace: string | undefined): DatabaseIdentity;
}

/** Env names the database wiring owns, in the proxy and in the migration Job. */
export const DATABASE_ENV_NAMES = ['DATABASE_URL', 'DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_USERNAME', 'DATABASE_PASSWORD'] as const;

/** Validates credentials; returns them normalised (validated Secret references). */
export function validateCredentials(prop: string, c: DatabaseCredentials): DatabaseCredentials {
  if (typeof c !== 'object' || c === null) {
    throw new LiteLLMConfigError(prop, c, 'must be { kind: "url", url } or { kind: "parts", host, port, database, username, password }');
  }
  if (c.kind === 'url') return { kind: 'url', url: secretKeyRef(`${prop}.url`, c.url) };
  if (c.kind === 'parts') {
    const host = nonEmptyString(`${prop}.host`, c.host);
    // DATABASE_HOST is written as host:port; a port or scheme inside the host would corrupt the URL.
    if (/[:/@\s]/.test(host)) {
      throw new LiteLLMConfigError(`${prop}.host`, host, 'must be a bare host name or IPv4 address (no scheme, port, user or path); give the port in `port`');
    }
    return {
      kind: 'parts',
      host: dns1123Subdomain(`${prop}.host`, host),
      port: checkPort(`${prop}.port`, c.port),
      database: nonEmptyString(`${prop}.database`, c.database),
      username: typeof c.username === 'string' ? nonEmptyString(`${prop}.username`, c.username) : secretKeyRef(`${prop}.username`, c.username),
      password: secretKeyRef(`${prop}.password`, c.password),
    };
  }
  throw new LiteLLMConfigError(`${prop}.kind`, (c as { kind?: unknown }).kind, 'must be "url" or "parts"');
}

/** The environment variables LiteLLM reads the connection from; never a secret value. */
export function databaseEnv(credentials: DatabaseCredentials): k8s.EnvVar[] {
  const fromSecret = (name: string, ref: SecretKeyRef): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
  if (credentials.kind === 'url') return [fromSecret('DATABASE_URL', credentials.url)];
  return [
    { name: 'DATABASE_HOST', value: `${credentials.host}:${credentials.port}` },
    { name: 'DATABASE_NAME', value: credentials.database },
    typeof credentials.username === 'string'
      ? { name: 'DATABASE_USERNAME', value: credentials.username }
      : fromSecret('DATABASE_USERNAME', credentials.username),
    fromSecret('DATABASE_PASSWORD', credentials.password),
  ];
}
