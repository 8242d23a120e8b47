import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Edge } from '../edge/edge-factory';
import { LiteLLMConfigError, inStack } from '../errors';
import { ExternalPostgresProps } from '../governance/external-postgres';
import { PostgresServer, PostgresServerOptions } from '../governance/postgres-server';
import { GitOpsApp } from '../gitops/gitops-app';
import { FleetDashboard, FleetDashboardOptions } from '../observability/fleet-dashboard';
import { ModelDeployment } from '../proxy/model';
import { SecretKeyRef } from '../secret';
import { ApplicationOverrides } from '../stack/argocd-application';
import { LiteLLMStack, LiteLLMStackOptions, LiteLLMStackProps } from '../stack/litellm-stack';
import { SecretInventory, SecretRequirement } from '../stack/secret-inventory';
import { boolean, didYouMean, dns1123Label, dns1123Subdomain, list, optionalObject, plainObject } from '../validate';

/** The PostgreSQL server every tenant has a database on. */
export interface FleetDatabaseOptions {
  /**
   * The shared server, declared elsewhere (e.g. shared with stacks outside the
   * fleet): it must list every tenant's database. Give this or `serverOptions`.
   * @default none
   */
  readonly server?: PostgresServer;
  /**
   * The shared server's settings: the fleet declares it with a database per
   * tenant, each with an equal share of `maxConnections` unless the tenant
   * gives one. Give this or `server`.
   * @default none
   */
  readonly serverOptions?: PostgresServerOptions;
  /**
   * Each tenant's connection URL, from a Secret of this name in the tenant's
   * own namespace (so one reference serves every tenant).
   * @default { name: 'litellm-database', key: 'url' } unless a username is given
   */
  readonly url?: SecretKeyRef;
  /** Each tenant's user, as plain text, to connect in parts through the server's host. @default none */
  readonly username?: string;
  /** Each tenant's user, from a Secret key in its namespace, to connect in parts. @default none */
  readonly usernameSecret?: SecretKeyRef;
  /** Each tenant's password, a Secret key in its namespace, to connect in parts. @default none */
  readonly password?: SecretKeyRef;
}

/** A tenant's database on the fleet's server. */
export interface FleetTenantDatabase {
  /** Give the tenant a database; `false` for none (then the fleet's `governance` and `access`, which need one, do not apply to it). @default true */
  readonly enabled?: boolean;
  /** The database's name on the server. @default the tenant's name with `-` as `_` (`team-a` → `team_a`) */
  readonly name?: string;
  /** Its share of the server's connections. @default an equal share of what the explicit shares leave */
  readonly maxConnections?: number;
  /** Its own URL Secret (in its namespace). @default the fleet's */
  readonly url?: SecretKeyRef;
  /** Its own user, as plain text. @default the fleet's */
  readonly username?: string;
  /** Its own user, from a Secret key. @default the fleet's */
  readonly usernameSecret?: SecretKeyRef;
  /** Its own password Secret. @default the fleet's */
  readonly password?: SecretKeyRef;
  /** Run the migration Job (false when another stack migrates the same database). @default true */
  readonly migrations?: boolean;
}

/** One tenant: a LiteLLMStack of its own, in a namespace of its own. Unset fields take the fleet's. */
export interface FleetTenant extends LiteLLMStackOptions {
  /** The tenant's name: its stack's id, and the default of its namespace, database and host. A DNS label. */
  readonly name: string;
  /** The stack's namespace. @default `<namespacePrefix><name>` */
  readonly namespace?: string;
  /** Host names clients use. @default [`<name>.<domain>`] */
  readonly hosts?: string[];
  /** Its model deployments. @default the fleet's */
  readonly models?: ModelDeployment[];
  /** Its master key Secret (in its namespace). @default the fleet's */
  readonly masterKey?: SecretKeyRef;
  /** Its salt key Secret. @default the fleet's */
  readonly saltKey?: SecretKeyRef;
  /** Its database on the fleet's server. @default a database named after the tenant, when the fleet has a database */
  readonly database?: FleetTenantDatabase;
  /** What its Argo CD Application does differently (with a {@link GitOpsApp}), e.g. its project. @default the App's */
  readonly argoCd?: ApplicationOverrides;
}

/** Props of {@link LiteLLMFleet}. */
export interface LiteLLMFleetProps extends LiteLLMStackOptions {
  /** The tenants, at least one; each gets a LiteLLMStack. */
  readonly tenants: FleetTenant[];
  /** Prefix of each tenant's namespace. @default '' (the namespace is the tenant's name) */
  readonly namespacePrefix?: string;
  /** Model deployments of every tenant that gives none. @default none (every tenant gives its own) */
  readonly models?: ModelDeployment[];
  /** The master key Secret, by name and key in each tenant's namespace. @default none (every tenant gives its own) */
  readonly masterKey?: SecretKeyRef;
  /** The salt key Secret, by name and key in each tenant's namespace. @default none */
  readonly saltKey?: SecretKeyRef;
  /** A database per tenant on one shared PostgreSQL server. @default none */
  readonly database?: FleetDatabaseOptions;
  /** One Gateway or ingress class for every tenant, a host each. @default none */
  readonly edge?: Edge;
  /** Each tenant without `hosts` is served at `<tenant name>.<domain>`. @default none (every tenant gives hosts) */
  readonly domain?: string;
  /**
   * One Grafana dashboard for every tenant with metrics, side by side, with a `tenant` variable
   * (see {@link FleetDashboard}), in a chart of its own in `fleetDashboard.namespace`
   * (with a {@link GitOpsApp}: folder `<fleet path>-dashboard`, an Application of its own).
   * @default none (each tenant still has its own dashboard)
   */
  readonly fleetDashboard?: FleetDashboardOptions;
}

/**
 * Settings a tenant merges with the fleet's field by field instead of replacing them: each field
 * the tenant gives wins, each it leaves unset (or undefined) keeps the fleet's, and the fleet's
 * keeps the defaults'.
 */
const MERGED = ['proxy', 'governance', 'alerts', 'dashboard', 'metrics', 'quota', 'externalSecrets'] as const;
/** Label maps inside them, merged key by key too (the tenant's value for a key wins). */
const MERGED_MAPS: Record<string, readonly string[]> = { alerts: ['labels', 'alertLabels'], dashboard: ['labels'], metrics: ['serviceMonitorLabels'] };

/** The fleet's `key` settings with the tenant's over them, field by field (label maps key by key). */
function mergeSettings(key: string, fleet: object | undefined, tenant: object | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fleet };
  for (const [field, value] of Object.entries(tenant ?? {})) {
    if (value === undefined) continue;
    const base = out[field];
    out[field] = (MERGED_MAPS[key] ?? []).includes(field) && isMap(base) && isMap(value) ? { ...base, ...value } : value;
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The string an error received, from its message form (`"bad key"`), if it was one. */
function receivedString(received: string): string | undefined {
  try {
    const v: unknown = JSON.parse(received);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Many tenant gateways on shared platform parts: one LiteLLMStack per tenant
 * (id = tenant name, its own namespace, models, limits and governance), all on
 * one Redis (or one each), one PostgreSQL server with a database per tenant
 * and one Gateway or ingress class. The fleet emits nothing itself but its
 * dashboard; its stacks do, and the App-wide checks hold for them as for any stacks. Every tenant is
 * declared at once: the server's connections are divided among them when the
 * fleet is built. A mistake in a fleet-wide setting is reported against the
 * fleet, in a tenant's own setting against the tenant's stack. With
 * `fleetDashboard`, the fleet adds a chart of its own with a dashboard of
 * every tenant.
 */
export class LiteLLMFleet extends Construct {
  /** The stacks, in tenant order. */
  public readonly stacks: LiteLLMStack[];
  /** The shared server, when the fleet has a database. */
  public readonly server?: PostgresServer;
  /** The fleet's dashboard, when `fleetDashboard` is given. */
  public readonly dashboard?: FleetDashboard;

  private readonly byName = new Map<string, LiteLLMStack>();

  constructor(scope: Construct, id: string, props: LiteLLMFleetProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'LiteLLMFleet needs props with tenants');
      }
      const tenants = list('tenants', props.tenants, true);
      if (tenants.length === 0) throw new LiteLLMConfigError('tenants', props.tenants, 'must list at least one tenant');
      for (const key of ['redis', 'database'] as const) optionalObject(key, props[key]);
      if (props.edge !== undefined && !(props.edge instanceof Edge)) {
        throw new LiteLLMConfigError('edge', props.edge, 'must be Edge.ingressNginx(), Edge.nginxInc(), Edge.traefik() or Edge.gatewayApi() with its options');
      }
      const prefix = props.namespacePrefix ?? '';
      if (typeof prefix !== 'string' || !/^([a-z0-9][-a-z0-9]*)?$/.test(prefix)) {
        throw new LiteLLMConfigError('namespacePrefix', prefix, 'must be empty or start a DNS label: lower-case letters, digits and \'-\', e.g. "llm-"');
      }
      const seen = new Set<string>();
      tenants.forEach((t, i) => {
        dns1123Label(`tenants[${i}].name`, t.name);
        if (seen.has(t.name)) throw new LiteLLMConfigError(`tenants[${i}].name`, t.name, 'tenant names must be unique; this one appears more than once');
        seen.add(t.name);
        if (t.database !== undefined) plainObject(`tenants[${i}].database`, t.database);
        if (t.hosts !== undefined && props.edge === undefined) {
          throw new LiteLLMConfigError(`tenants[${i}].hosts`, t.hosts, 'hosts are served through the fleet\'s edge: give the fleet an edge (a Gateway or an ingress class)');
        }
        if (t.hosts === undefined && props.edge !== undefined && props.domain === undefined) {
          throw new LiteLLMConfigError(`tenants[${i}].hosts`, undefined, 'give the tenant its hosts, or the fleet a domain (the tenant is then served at <name>.<domain>)');
        }
      });
      if (props.domain !== undefined) dns1123Subdomain('domain', props.domain);
      if (props.domain !== undefined && props.edge === undefined) {
        throw new LiteLLMConfigError('domain', props.domain, 'names the tenants\' hosts on the fleet\'s edge: give `edge` too, or leave domain unset');
      }

      const { tenants: _t, namespacePrefix: _p, database, edge, domain, fleetDashboard, ...defaults } = props;
      this.server = database !== undefined ? this.serverOf(database, tenants) : undefined;

      this.stacks = tenants.map((tenant, i) => {
        const { name, namespace, hosts, database: ownDatabase, argoCd, ...own } = tenant;
        const hasDatabase = this.server !== undefined && database !== undefined && ownDatabase?.enabled !== false;
        const merged: Record<string, unknown> = {};
        for (const key of MERGED) {
          const a = defaults[key] as object | undefined;
          const b = own[key] as object | undefined;
          if (a !== undefined || b !== undefined) merged[key] = mergeSettings(key, a, b);
        }
        const stackProps = {
          ...defaults,
          ...own,
          ...merged,
          // Governance lives in the database: a tenant without one takes none of the fleet's.
          ...(hasDatabase ? {} : { governance: own.governance, access: own.access }),
          namespace: namespace ?? `${prefix}${name}`,
          edge,
          hosts: edge !== undefined ? hosts ?? [`${name}.${domain}`] : undefined,
          database: hasDatabase
            ? { external: tenantDatabase(this.server!, database!, tenant), migrations: ownDatabase?.migrations }
            : undefined,
        } as LiteLLMStackProps;
        const stack = this.buildTenant(i, tenant, stackProps);
        if (argoCd !== undefined) GitOpsApp.configureApplication(stack, argoCd);
        this.byName.set(name, stack);
        return stack;
      });
      if (optionalObject('fleetDashboard', fleetDashboard) !== undefined && boolean('fleetDashboard.enabled', fleetDashboard!.enabled ?? true)) {
        this.dashboard = this.buildDashboard(id, fleetDashboard!);
      }
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** Every Secret the tenants' objects read, by namespace and name (see {@link LiteLLMStack.secretInventory}). */
  public get secretInventory(): SecretRequirement[] {
    return SecretInventory.of(this).requirements;
  }

  /** The stack of the tenant called `name`. */
  public stack(name: string): LiteLLMStack {
    const stack = this.byName.get(name);
    if (stack === undefined) {
      const names = [...this.byName.keys()];
      throw new LiteLLMConfigError('name', name, `is not a tenant of this fleet (its tenants: ${names.join(', ')})${didYouMean(name, names)}`, this.node.path);
    }
    return stack;
  }

  /**
   * Builds one tenant's stack. An error in a setting the tenant took from the
   * fleet is the fleet's to fix: it names the fleet and the fleet's prop.
   */
  private buildTenant(index: number, tenant: FleetTenant, props: LiteLLMStackProps): LiteLLMStack {
    try {
      return new LiteLLMStack(this, tenant.name, props);
    } catch (e) {
      if (!(e instanceof LiteLLMConfigError)) throw e;
      const root = /^[A-Za-z]+/.exec(e.prop)?.[0] ?? '';
      const second = /^[A-Za-z]+\.([A-Za-z]+)/.exec(e.prop)?.[1];
      const own = tenant as unknown as Record<string, unknown>;
      // In a label map merged key by key: the key (`alerts.alertLabels.<key>`, or the key received when the key itself is bad).
      const third = /^[A-Za-z]+\.[A-Za-z]+\.(.+)$/.exec(e.prop)?.[1] ?? receivedString(e.received);
      const ownField = own[root] !== undefined && second !== undefined ? (own[root] as Record<string, unknown>)[second] : undefined;
      const tenantGave = own[root] !== undefined
        && (!(MERGED as readonly string[]).includes(root) || second === undefined || (ownField !== undefined
          // A label map merged key by key: the key is the tenant's only when the tenant gave it.
          && (!(MERGED_MAPS[root] ?? []).includes(second) || third === undefined || (ownField as Record<string, unknown>)[third] !== undefined)));
      const tenantOwned = tenantGave || ['namespace', 'hosts'].includes(root) || (root === 'database' && tenant.database !== undefined);
      if (tenantOwned) throw e;
      throw e.at(this.node.path, ` (found building tenant "${tenant.name}", tenants[${index}], which takes it from the fleet)`);
    }
  }

  /** The fleet's dashboard over every tenant with metrics, in a chart of its own in the dashboard's namespace. */
  private buildDashboard(id: string, options: FleetDashboardOptions): FleetDashboard {
    const proxies = this.stacks.filter(s => s.proxy.metricsEnabled).map(s => s.proxy);
    if (proxies.length === 0) {
      throw new LiteLLMConfigError('fleetDashboard', options, 'shows the tenants\' metrics, and no tenant has any: turn metrics on (the presets do), or leave fleetDashboard unset');
    }
    try {
      const chart = new Chart(this, 'Dashboard', { namespace: dns1123Label('namespace', options.namespace ?? 'monitoring'), disableResourceNameHashes: true });
      return new FleetDashboard(chart, 'Dashboard', { ...options, name: id.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'fleet', proxies });
    } catch (e) {
      throw e instanceof LiteLLMConfigError ? e.withProp(`fleetDashboard.${e.prop}`).at(this.node.path) : e;
    }
  }

  /** The shared server: the one given, or one declared from its options with a database per tenant. */
  private serverOf(options: FleetDatabaseOptions, tenants: readonly FleetTenant[]): PostgresServer {
    if ((options.server === undefined) === (options.serverOptions === undefined)) {
      throw new LiteLLMConfigError('database', Object.keys(options).join(', ') || '{}', 'give exactly one of database.server (a PostgresServer) or database.serverOptions');
    }
    if (options.server !== undefined) {
      if (!(options.server instanceof PostgresServer)) throw new LiteLLMConfigError('database.server', options.server, 'must be a PostgresServer');
      tenants.forEach((t, i) => {
        if (t.database?.maxConnections !== undefined) {
          throw new LiteLLMConfigError(`tenants[${i}].database.maxConnections`, t.database.maxConnections,
            `the shares of a given PostgresServer ("${options.server!.name}") are set in its databases: give it there, or pass database.serverOptions instead`);
        }
      });
      return options.server;
    }
    plainObject('database.serverOptions', options.serverOptions);
    const databases = tenants
      .filter(t => t.database?.enabled === undefined || boolean('database.enabled', t.database.enabled))
      .map(t => ({ name: databaseName(t), maxConnections: t.database?.maxConnections }));
    try {
      return new PostgresServer({ ...options.serverOptions!, databases });
    } catch (e) {
      // The server's own props are written under database.serverOptions here.
      throw e instanceof LiteLLMConfigError ? e.withProp(e.prop.replace(/^server\./, 'database.serverOptions.')) : e;
    }
  }
}

/** `team-a` → `team_a`: an identifier PostgreSQL takes unquoted. */
function databaseName(tenant: FleetTenant): string {
  return tenant.database?.name ?? tenant.name.replace(/-/g, '_');
}

/** The tenant's ExternalPostgres props: its database on the server, with its own credentials or the fleet's. */
function tenantDatabase(server: PostgresServer, fleet: FleetDatabaseOptions, tenant: FleetTenant): ExternalPostgresProps {
  const own = tenant.database;
  const username = own?.username ?? (own?.usernameSecret === undefined ? fleet.username : undefined);
  const usernameSecret = own?.usernameSecret ?? (own?.username === undefined ? fleet.usernameSecret : undefined);
  const password = own?.password ?? fleet.password;
  const inParts = own?.url === undefined && (username !== undefined || usernameSecret !== undefined || password !== undefined);
  const url = own?.url ?? fleet.url ?? (inParts ? undefined : { name: 'litellm-database', key: 'url' });
  return { server, database: databaseName(tenant), ...(inParts ? { username, usernameSecret, password } : { url }) };
}
