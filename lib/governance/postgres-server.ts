import { ServerIdentity, chartNamespace, networkAddress } from '../app-checks';
import { LiteLLMConfigError } from '../errors';
import { EgressRule, NetworkPeer, validatePeer } from '../network';
import { didYouMean, dns1123Subdomain, integer, list, nonEmptyString, port as checkPort } from '../validate';
import type { CloudNativePgDatabase } from './cloudnative-pg';
import { DEFAULT_EXTERNAL_MAX_CONNECTIONS } from './external-postgres';

/** One database on a shared server, with its share of the server's connections. */
export interface PostgresServerDatabase {
  /** The database's name on the server (with `url` credentials, the name inside the URL: the library cannot read Secrets). */
  readonly name: string;
  /** Connections the stack (or stacks) using this database may hold. @default an equal share of what the explicit shares leave */
  readonly maxConnections?: number;
}

/** A shared PostgreSQL server's settings, but its databases (a fleet lists those itself). */
export interface PostgresServerOptions {
  /** The server's name in messages and checks, e.g. `shared-pg`. */
  readonly name: string;
  /**
   * Host name or IPv4 address: `DATABASE_HOST` for stacks that connect with
   * parts (username/password), and how the server is recognised.
   * @default none (every stack on it connects with a `url`)
   */
  readonly host?: string;
  /** TCP port. @default 5432 */
  readonly port?: number;
  /**
   * Connections LiteLLM may use on the whole server, all databases together:
   * `max_connections` less what other clients and the superuser reserve need.
   * @default 90 (PostgreSQL's default max_connections 100, less 3 superuser-reserved and a margin)
   */
  readonly maxConnections?: number;
  /** Where the server is, for NetworkPolicy egress, e.g. `{ cidr: '10.20.0.0/24' }`. @default any address on `port` */
  readonly peers?: NetworkPeer[];
}

/** Props of {@link PostgresServer}. */
export interface PostgresServerProps extends PostgresServerOptions {
  /**
   * Every database on it that a stack uses. A database's share of
   * `maxConnections` is fixed here, when the server is declared, so each
   * stack can size its pool before the other stacks exist. At least one.
   */
  readonly databases: PostgresServerDatabase[];
  /**
   * The CloudNativePG cluster that is this server, whose NetworkPolicy then
   * admits every stack's proxy and migration Job (set by {@link PostgresServer.fromCloudNativePg}).
   * @default an external server: nothing to admit
   */
  readonly cloudNativePg?: CloudNativePgDatabase;
}

/** Props of {@link PostgresServer.fromCloudNativePg}. */
export interface CloudNativePgServerProps {
  /** The server's name in messages and checks. @default the cluster's name */
  readonly name?: string;
  /** The databases on it (created by you: see the README, "Fleets"). */
  readonly databases: PostgresServerDatabase[];
}

/**
 * One PostgreSQL server shared by several stacks, a database (and role) per
 * stack. Stacks reference it with `ExternalPostgres({ server, database, ... })`
 * and their own credentials Secret; the server's connection budget is divided
 * into a share per database, each stack's pool is sized to its share, and the
 * App-wide check sums every stack on the server with a per-stack breakdown.
 * Emits nothing.
 */
export class PostgresServer {
  /**
   * A CloudNativePG cluster (built with {@link CloudNativePgDatabase}, e.g. in
   * a platform chart) as the shared server: its `-rw` Service, its connection
   * budget, egress to its pods, and its NetworkPolicy admits every stack's
   * proxy and migration Job across namespaces.
   */
  public static fromCloudNativePg(cluster: CloudNativePgDatabase, props: CloudNativePgServerProps): PostgresServer {
    const namespace = chartNamespace(cluster);
    if (namespace === undefined) {
      throw new LiteLLMConfigError('cluster', cluster.name, 'the CloudNativePG cluster\'s chart needs a namespace: stacks in other namespaces reach it as <name>-rw.<namespace>.svc');
    }
    return new PostgresServer({
      name: props.name ?? cluster.name,
      host: `${cluster.name}-rw.${namespace}.svc`,
      port: cluster.port,
      maxConnections: cluster.maxConnections,
      peers: [{ namespace, podLabels: cluster.podSelector }],
      databases: props.databases,
      cloudNativePg: cluster,
    });
  }

  public readonly name: string;
  public readonly host?: string;
  public readonly port: number;
  /** Connections LiteLLM may use on the whole server. */
  public readonly maxConnections: number;
  /** What a client's NetworkPolicy must allow to reach it. */
  public readonly egress: EgressRule;
  /** Connections each database may use, by name. */
  public readonly shares: { [database: string]: number };

  private readonly cluster?: CloudNativePgDatabase;

  constructor(props: PostgresServerProps) {
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError('PostgresServer', props, 'needs props with name, databases and host or peers');
    }
    this.cluster = props.cloudNativePg;
    this.name = nonEmptyString('server.name', props.name);
    if (props.host !== undefined) {
      const host = nonEmptyString('server.host', props.host);
      if (/[:/@\s]/.test(host)) {
        throw new LiteLLMConfigError('server.host', host, 'must be a bare host name or IPv4 address (no scheme, port, user or path); give the port in `port`');
      }
      this.host = dns1123Subdomain('server.host', host);
    }
    this.port = checkPort('server.port', props.port ?? 5432);
    this.maxConnections = integer('server.maxConnections', props.maxConnections ?? DEFAULT_EXTERNAL_MAX_CONNECTIONS, 2);
    const peers = list('server.peers', props.peers, true);
    peers.forEach((p, i) => validatePeer(`server.peers[${i}]`, p));
    this.egress = { peers: [...peers], ports: [this.port], reason: `PostgreSQL (server ${this.name})` };
    this.shares = Object.fromEntries(divide(this.maxConnections, list('server.databases', props.databases)));
  }

  /** The connections `database` may use; an error naming `prop` when the server does not list it. */
  public shareOf(prop: string, database: string): number {
    const share = Object.prototype.hasOwnProperty.call(this.shares, database) ? this.shares[database] : undefined;
    if (share === undefined) {
      const names = Object.keys(this.shares);
      throw new LiteLLMConfigError(prop, database,
        `is not a database of PostgreSQL server "${this.name}" (it lists ${names.map(d => JSON.stringify(d)).join(', ')}): add it to the server's databases${didYouMean(database, names)}`);
    }
    return share;
  }

  /** The server as a client in `clientNamespace` reaches it, for the App-wide connection check. */
  public identity(clientNamespace?: string): ServerIdentity {
    const address = this.host !== undefined ? networkAddress(this.host, this.port, clientNamespace) : undefined;
    return {
      key: address ?? `PostgresServer ${this.name}`,
      label: `"${this.name}"${address !== undefined ? ` (${address})` : ''}`,
      maxConnections: this.maxConnections,
      declared: true,
    };
  }

  /** Admits a client: on a CloudNativePG cluster, through its NetworkPolicy, by namespace and pod labels. */
  public admitClient(peer: NetworkPeer, clientNamespace?: string): void {
    this.cluster?.admitClient(peer, clientNamespace);
  }
}

/**
 * Each database's share: the explicit ones, and an equal part of the rest for
 * the others. Every share leaves room for at least one pooled connection and a
 * migration (2).
 */
function divide(maxConnections: number, databases: readonly PostgresServerDatabase[]): Map<string, number> {
  if (databases.length === 0) {
    throw new LiteLLMConfigError('server.databases', databases, 'must list at least one database (the databases the stacks on this server use)');
  }
  const named = databases.map((d, i) => {
    const entry = d;
    if (typeof entry !== 'object' || entry === null) {
      throw new LiteLLMConfigError(`server.databases[${i}]`, d, 'must be a database { name, maxConnections? }');
    }
    return {
      name: nonEmptyString(`server.databases[${i}].name`, entry.name),
      explicit: entry.maxConnections === undefined ? undefined : integer(`server.databases[${i}].maxConnections`, entry.maxConnections, 2),
      index: i,
    };
  });
  const shares = new Map<string, number>();
  let explicitSum = 0;
  for (const d of named) {
    if (shares.has(d.name)) {
      throw new LiteLLMConfigError(`server.databases[${d.index}].name`, d.name, 'database names must be unique on a server; this one appears more than once');
    }
    shares.set(d.name, d.explicit ?? 0);
    explicitSum += d.explicit ?? 0;
  }
  if (explicitSum > maxConnections) {
    throw new LiteLLMConfigError('server.databases', `${explicitSum} connections`,
      `the databases' maxConnections add up to more than the server's maxConnections (${maxConnections}); lower the shares or raise the server's`);
  }
  const rest = named.filter(d => d.explicit === undefined);
  if (rest.length > 0) {
    const each = Math.floor((maxConnections - explicitSum) / rest.length);
    if (each < 2) {
      throw new LiteLLMConfigError('server.maxConnections', maxConnections,
        `leaves ${each} connection(s) for each of ${rest.length} database(s) without a share of its own; each needs at least 2 `
        + '(a pooled connection and the migration): raise maxConnections, or give some databases smaller explicit shares');
    }
    for (const d of rest) shares.set(d.name, each);
  }
  return shares;
}
