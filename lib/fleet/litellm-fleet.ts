import { Construct } from 'constructs';
import { EdgeOptions } from '../edge/edge-factory';
import { LiteLLMConfigError, namesConstructPathInErrors } from '../errors';
import { ExternalPostgresProps } from '../governance/external-postgres';
import { PostgresServer, PostgresServerProps } from '../governance/postgres-server';
import { GitOpsApp, StackApplicationOptions } from '../gitops/gitops-app';
import { SecretKeyRef } from '../secret';
import { LiteLLMStack, LiteLLMStackProps, StackRedisOptions } from '../stack/litellm-stack';
import { dns1123Label, dns1123Subdomain, list, optionalObject, plainObject } from '../validate';

/** Stack settings a fleet gives every tenant, and a tenant may override. */
export type FleetStackOptions = Partial<Omit<LiteLLMStackProps, 'namespace' | 'redis' | 'edge' | 'database'>>;

/** An edge option type without `hosts` (each tenant has its own). */
type WithoutHosts<T> = T extends unknown ? Omit<T, 'hosts'> : never;

/** The one edge every tenant is served through: one Gateway, or one ingress class. */
export type FleetEdgeOptions = WithoutHosts<EdgeOptions> & {
  /** Each tenant without `hosts` is served at `<tenant name>.<domain>`. @default none (every tenant gives hosts) */
  readonly domain?: string;
};

/** The PostgreSQL server every tenant has a database on. */
export interface FleetDatabaseOptions {
  /**
   * The shared server: its props (the fleet declares a database per tenant on
   * it, each with an equal share of `maxConnections` unless the tenant gives
   * one), or a {@link PostgresServer} (e.g. shared with stacks outside the
   * fleet), which must list every tenant's database.
   */
  readonly server: PostgresServer | Omit<PostgresServerProps, 'databases'>;
  /**
   * Each tenant's connection URL, from a Secret of this name in the tenant's
   * own namespace (so one reference serves every tenant).
   * @default { name: 'litellm-database', key: 'url' } unless username/password are given
   */
  readonly url?: SecretKeyRef;
  /** Each tenant's user (or a Secret key in its namespace), to connect in parts through the server's host. @default none */
  readonly username?: string | SecretKeyRef;
  /** Each tenant's password, a Secret key in its namespace, to connect in parts. @default none */
  readonly password?: SecretKeyRef;
}

/** A tenant's database on the fleet's server. */
export interface FleetTenantDatabase {
  /** The database's name on the server. @default the tenant's name with `-` as `_` (`team-a` → `team_a`) */
  readonly name?: string;
  /** Its share of the server's connections. @default an equal share of what the explicit shares leave */
  readonly maxConnections?: number;
  /** Its own URL Secret (in its namespace). @default the fleet's */
  readonly url?: SecretKeyRef;
  /** Its own user. @default the fleet's */
  readonly username?: string | SecretKeyRef;
  /** Its own password Secret. @default the fleet's */
  readonly password?: SecretKeyRef;
  /** Run the migration Job (false when another stack migrates the same database). @default true */
  readonly migrations?: boolean;
}

/** One tenant: a LiteLLMStack of its own, in a namespace of its own. */
export interface FleetTenant extends FleetStackOptions {
  /** The tenant's name: its stack's id, and the default of its namespace, database and host. A DNS label. */
  readonly name: string;
  /** The stack's namespace. @default `<namespacePrefix><name>` */
  readonly namespace?: string;
  /** Host names clients use. @default [`<name>.<edge.domain>`] */
  readonly hosts?: readonly string[];
  /** Its own Redis instead of the fleet's. @default the fleet's */
  readonly redis?: StackRedisOptions;
  /**
   * Its database on the fleet's server, or false for none (then the fleet's
   * `governance`, which needs a database, does not apply to it).
   * @default a database named after the tenant, when the fleet has a database
   */
  readonly database?: FleetTenantDatabase | false;
  /** What its Argo CD Application does differently (with a {@link GitOpsApp}), e.g. its project. @default the App's */
  readonly argoCd?: StackApplicationOptions;
}

export interface LiteLLMFleetProps extends FleetStackOptions {
  /** The tenants, at least one; each gets a LiteLLMStack. */
  readonly tenants: readonly FleetTenant[];
  /** Prefix of each tenant's namespace. @default '' (the namespace is the tenant's name) */
  readonly namespacePrefix?: string;
  /**
   * Redis for every tenant: `external` is one Redis they share (each keeps its
   * keys under its own prefix, `<namespace>/<name>`), `password` an in-cluster
   * Redis per tenant (the password Secret in each namespace).
   * @default as the preset says (production: an in-cluster Redis per tenant, which needs `password`)
   */
  readonly redis?: StackRedisOptions;
  /** A database per tenant on one shared PostgreSQL server. @default none */
  readonly database?: FleetDatabaseOptions;
  /** One Gateway or ingress class for every tenant, a host each. @default none */
  readonly edge?: FleetEdgeOptions;
}

/**
 * Many tenant gateways on shared platform parts: one LiteLLMStack per tenant
 * (id = tenant name, its own namespace, models, limits and governance), all on
 * one Redis (or one each), one PostgreSQL server with a database per tenant
 * and one Gateway or ingress class. The fleet emits nothing itself; its stacks
 * do, and the App-wide checks hold for them as for any stacks. Every tenant is
 * declared at once: the server's connections are divided among them when the
 * fleet is built.
 */
@namesConstructPathInErrors
export class LiteLLMFleet extends Construct {
  /** The stacks, in tenant order. */
  public readonly stacks: readonly LiteLLMStack[];
  /** The shared server, when the fleet has a database. */
  public readonly server?: PostgresServer;

  private readonly byName = new Map<string, LiteLLMStack>();

  constructor(scope: Construct, id: string, props: LiteLLMFleetProps) {
    super(scope, id);
    if (typeof props !== 'object' || props === null) {
      throw new LiteLLMConfigError(id, props, 'LiteLLMFleet needs props with tenants');
    }
    const tenants = list('tenants', props.tenants, true);
    if (tenants.length === 0) throw new LiteLLMConfigError('tenants', props.tenants, 'must list at least one tenant');
    for (const key of ['redis', 'database', 'edge'] as const) optionalObject(key, props[key]);
    const prefix = props.namespacePrefix ?? '';
    if (typeof prefix !== 'string' || !/^([a-z0-9][-a-z0-9]*)?$/.test(prefix)) {
      throw new LiteLLMConfigError('namespacePrefix', prefix, 'must be empty or start a DNS label: lower-case letters, digits and \'-\', e.g. "llm-"');
    }
    const seen = new Set<string>();
    tenants.forEach((t, i) => {
      dns1123Label(`tenants[${i}].name`, t.name);
      if (seen.has(t.name)) throw new LiteLLMConfigError(`tenants[${i}].name`, t.name, 'tenant names must be unique; this one appears more than once');
      seen.add(t.name);
      if (t.database !== undefined && t.database !== false) plainObject(`tenants[${i}].database`, t.database);
    });

    const { tenants: _t, namespacePrefix: _p, redis, database, edge, ...defaults } = props;
    this.server = database !== undefined ? this.serverOf(database, tenants) : undefined;
    const { domain, ...edgeOptions } = (edge ?? {}) as FleetEdgeOptions;
    if (domain !== undefined) dns1123Subdomain('edge.domain', domain);
    if ((edgeOptions as { hosts?: unknown }).hosts !== undefined) {
      throw new LiteLLMConfigError('edge.hosts', (edgeOptions as { hosts?: unknown }).hosts,
        'hosts are per tenant (tenants[i].hosts, or edge.domain for <name>.<domain>): one host on one Gateway or class serves one tenant');
    }

    this.stacks = tenants.map((tenant, i) => {
      const { name, namespace, hosts, redis: ownRedis, database: ownDatabase, argoCd, ...own } = tenant;
      const stackProps: LiteLLMStackProps = {
        ...defaults,
        ...own,
        // One level deeper for the two objects tenants most often adjust a part of.
        proxy: defaults.proxy !== undefined || own.proxy !== undefined ? { ...defaults.proxy, ...own.proxy } : undefined,
        // Governance lives in the database: a tenant without one takes none of the fleet's.
        governance: ownDatabase === false ? own.governance
          : defaults.governance !== undefined || own.governance !== undefined ? { ...defaults.governance, ...own.governance } : undefined,
        namespace: namespace ?? `${prefix}${name}`,
        redis: ownRedis ?? redis,
        edge: edge !== undefined ? { ...edgeOptions, hosts: this.hostsOf(i, tenant, domain) } as EdgeOptions : this.noHosts(i, hosts),
        database: this.server !== undefined && database !== undefined && ownDatabase !== false
          ? { external: tenantDatabase(this.server, database, tenant), migrations: ownDatabase?.migrations }
          : undefined,
      } as LiteLLMStackProps;
      const stack = new LiteLLMStack(this, name, stackProps);
      if (argoCd !== undefined) GitOpsApp.configureApplication(stack, argoCd);
      this.byName.set(name, stack);
      return stack;
    });
  }

  /** The stack of the tenant called `name`. */
  public stack(name: string): LiteLLMStack {
    const stack = this.byName.get(name);
    if (stack === undefined) {
      throw new LiteLLMConfigError('name', name, `is not a tenant of this fleet (its tenants: ${[...this.byName.keys()].join(', ')})`);
    }
    return stack;
  }

  /** The shared server: the one given, or one declared from its props with a database per tenant. */
  private serverOf(options: FleetDatabaseOptions, tenants: readonly FleetTenant[]): PostgresServer {
    plainObject('database.server', options.server);
    if (options.server instanceof PostgresServer) {
      tenants.forEach((t, i) => {
        if (t.database !== false && t.database?.maxConnections !== undefined) {
          throw new LiteLLMConfigError(`tenants[${i}].database.maxConnections`, t.database.maxConnections,
            `the shares of a given PostgresServer ("${options.server.name}") are set in its databases: give it there, or pass the server's props instead`);
        }
      });
      return options.server;
    }
    const databases = tenants
      .filter(t => t.database !== false)
      .map(t => ({ name: databaseName(t), maxConnections: t.database === false ? undefined : t.database?.maxConnections }));
    return new PostgresServer({ ...options.server, databases });
  }

  private hostsOf(i: number, tenant: FleetTenant, domain: string | undefined): readonly string[] {
    if (tenant.hosts !== undefined) return tenant.hosts;
    if (domain === undefined) {
      throw new LiteLLMConfigError(`tenants[${i}].hosts`, undefined, 'give the tenant its hosts, or the fleet an edge.domain (the tenant is then served at <name>.<domain>)');
    }
    return [`${tenant.name}.${domain}`];
  }

  private noHosts(i: number, hosts: readonly string[] | undefined): undefined {
    if (hosts !== undefined) {
      throw new LiteLLMConfigError(`tenants[${i}].hosts`, hosts, 'hosts are served through the fleet\'s edge: give the fleet an edge (a Gateway or an ingress class)');
    }
    return undefined;
  }
}

/** `team-a` → `team_a`: an identifier PostgreSQL takes unquoted. */
function databaseName(tenant: FleetTenant): string {
  return (tenant.database !== false ? tenant.database?.name : undefined) ?? tenant.name.replace(/-/g, '_');
}

/** The tenant's ExternalPostgres props: its database on the server, with its own credentials or the fleet's. */
function tenantDatabase(server: PostgresServer, fleet: FleetDatabaseOptions, tenant: FleetTenant): ExternalPostgresProps {
  const own = tenant.database === false ? undefined : tenant.database;
  const username = own?.username ?? fleet.username;
  const password = own?.password ?? fleet.password;
  const inParts = own?.url === undefined && (username !== undefined || password !== undefined);
  const url = own?.url ?? fleet.url ?? (inParts ? undefined : { name: 'litellm-database', key: 'url' });
  return { server, database: databaseName(tenant), ...(inParts ? { username, password } : { url }) };
}
