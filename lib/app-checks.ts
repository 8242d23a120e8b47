import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { LiteLLMConfigError, stackPath as chartPath } from './errors';

/**
 * Checks across the whole App: what one stack cannot see on its own. Each
 * construct records what it claims (a namespace, a host on a Gateway, a key
 * prefix on a Redis, connections on a PostgreSQL server, a migration Job for
 * a database) in the App's one {@link AppChecks}; the claims are checked
 * together once per validation of the App (at synth), in O(claims), never per
 * stack. Every error names the stack (its construct path), the prop, the
 * value and what is allowed, and the other stack involved.
 *
 * An App is taken to be one cluster: stacks meant for different clusters
 * belong in different Apps.
 */

/** Hosts routed by one ingress class or Gateway. */
export interface RouteClaim {
  /** What host and path must be unique within, for messages: `ingress class "nginx"`, `Gateway gateways/public`. */
  readonly router: string;
  readonly hosts: string[];
  /** The URL path prefix. */
  readonly prefix: string;
}

/** A proxy's key prefix on a Redis. */
export interface RedisKeyClaim {
  /** Addresses that identify the Redis (`host:port`); two claims sharing any address are on the same Redis. */
  readonly addresses: string[];
  /** The Redis, for messages. */
  readonly label: string;
  /** The key prefix (the proxy's `redisNamespace`). */
  readonly namespace: string;
}

/** A PostgreSQL server, as far as the library can tell. */
export interface ServerIdentity {
  /** What identifies it: a `PostgresServer`'s name or `host:port`. */
  readonly key: string;
  /** For messages. */
  readonly label: string;
  /** Connections LiteLLM may use on the whole server. */
  readonly maxConnections: number;
  /** Declared once as a `PostgresServer` (its databases get shares), rather than recognised by address. */
  readonly declared: boolean;
}

/** One database on a server. */
export interface DatabaseIdentity {
  /** The server, when known (a URL inside a Secret hides it). */
  readonly server?: ServerIdentity;
  /** Identifies the database (server and name, or the Secret holding its URL). */
  readonly key: string;
  /** For messages. */
  readonly label: string;
}

/** Connections one client may hold, with the terms for messages. */
export interface ConnectionUse {
  readonly total: number;
  /** e.g. `pool 10 × 2 worker(s) × 7 pod(s)`. */
  readonly detail: string;
}

interface Owned {
  /** Construct path of the stack (nearest chart) that owns the claim. */
  readonly owner: string;
  /** Construct path of the claiming construct. */
  readonly constructPath: string;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterIssuer', 'IngressClass', 'GatewayClass',
  'PriorityClass', 'StorageClass', 'CustomResourceDefinition', 'PersistentVolume']);

const registries = new WeakMap<IConstruct, AppChecks>();

export class AppChecks {
  /** The App's checks (created, and registered as one validation of the App, on first use). */
  public static of(scope: IConstruct): AppChecks {
    const root = scope.node.root;
    let checks = registries.get(root);
    if (checks === undefined) {
      checks = new AppChecks(root);
      registries.set(root, checks);
      const registered = checks;
      root.node.addValidation({ validate: () => { registered.check(); return []; } });
    }
    return checks;
  }

  private readonly namespaces: (Owned & { readonly namespace: string })[] = [];
  private readonly routes: (Owned & RouteClaim)[] = [];
  private readonly redisKeys: (Owned & RedisKeyClaim)[] = [];
  private readonly clients: (Owned & { readonly database: DatabaseIdentity; readonly use: () => ConnectionUse })[] = [];
  private readonly migrations: (Owned & { readonly database: DatabaseIdentity })[] = [];

  private constructor(private readonly root: IConstruct) {}

  /** A stack's namespace: one stack per namespace. */
  public claimNamespace(stack: IConstruct, namespace: string): void {
    this.namespaces.push({ ...owned(stack), namespace });
  }

  /** An edge's hosts and path on its ingress class or Gateway. */
  public claimRoutes(edge: IConstruct, claim: RouteClaim): void {
    this.routes.push({ ...owned(edge), ...claim });
  }

  /** A proxy's key prefix on its Redis. */
  public claimRedisNamespace(proxy: IConstruct, claim: RedisKeyClaim): void {
    this.redisKeys.push({ ...owned(proxy), ...claim });
  }

  /** A proxy's connections to a database; `use` is read at synth, when pool limits are final. */
  public claimDatabaseClient(proxy: IConstruct, database: DatabaseIdentity, use: () => ConnectionUse): void {
    this.clients.push({ ...owned(proxy), database, use });
  }

  /** A migration Job for a database (one connection while it runs). */
  public claimMigration(job: IConstruct, database: DatabaseIdentity): void {
    this.migrations.push({ ...owned(job), database });
  }

  /** Runs every check; throws the first problem as a {@link LiteLLMConfigError}. */
  public check(): void {
    this.checkNamespaces();
    this.checkRoutes();
    this.checkRedisNamespaces();
    this.checkMigrations();
    this.checkConnections();
    this.checkDuplicateObjects();
  }

  private checkNamespaces(): void {
    const seen = new Map<string, Owned>();
    for (const claim of this.namespaces) {
      const first = seen.get(claim.namespace);
      if (first === undefined) {
        seen.set(claim.namespace, claim);
      } else {
        throw new LiteLLMConfigError('namespace', claim.namespace,
          `already the namespace of stack ${first.owner}: give each stack a namespace of its own `
          + '(two stacks in one namespace emit the same objects, and their Argo CD Applications fight over them)', claim.owner);
      }
    }
  }

  private checkRoutes(): void {
    const seen = new Map<string, Owned>();
    for (const claim of this.routes) {
      claim.hosts.forEach((host, i) => {
        const key = `${claim.router}\0${host}\0${claim.prefix}`;
        const first = seen.get(key);
        if (first === undefined) {
          seen.set(key, claim);
        } else if (first.constructPath !== claim.constructPath) {
          throw new LiteLLMConfigError(`hosts[${i}]`, host,
            `${describeOwner(first)} already routes ${host}${claim.prefix} on ${claim.router}: a host and path can be served by one stack per `
            + 'ingress class or Gateway (otherwise the controller picks one of them); give another host or path, or another class or Gateway', claim.owner);
        }
      });
    }
  }

  private checkRedisNamespaces(): void {
    const seen = new Map<string, Owned & RedisKeyClaim>();
    for (const claim of this.redisKeys) {
      for (const address of claim.addresses) {
        const key = `${address}\0${claim.namespace}`;
        const first = seen.get(key);
        if (first === undefined) {
          seen.set(key, claim);
        } else if (first.constructPath !== claim.constructPath) {
          throw new LiteLLMConfigError('redisNamespace', claim.namespace,
            `${describeOwner(first)} already keeps its keys under this prefix on Redis ${claim.label}: proxies sharing a Redis need `
            + 'prefixes of their own, or they share rate-limit counters, cooldowns and cached responses; give another redisNamespace', claim.owner);
        }
      }
    }
  }

  private checkMigrations(): void {
    const seen = new Map<string, Owned>();
    for (const claim of this.migrations) {
      const first = seen.get(claim.database.key);
      if (first === undefined) {
        seen.set(claim.database.key, claim);
      } else if (first.constructPath !== claim.constructPath) {
        throw new LiteLLMConfigError('database.migrations', true,
          `${describeOwner(first)} already runs the migration Job for database ${claim.database.label}: at most one migration Job per `
          + 'database (two race on the same schema); set database.migrations: false in every other stack that uses it', claim.owner);
      }
    }
  }

  private checkConnections(): void {
    const groups = new Map<string, { server: ServerIdentity; owners: Map<string, { clients: ConnectionUse[]; migrations: number; first: Owned }> }>();
    const groupOf = (server: ServerIdentity, claim: Owned) => {
      let group = groups.get(server.key);
      if (group === undefined) {
        group = { server, owners: new Map() };
        groups.set(server.key, group);
      } else if (group.server.maxConnections !== server.maxConnections) {
        const other = [...group.owners.values()][0].first;
        throw new LiteLLMConfigError('database.maxConnections', server.maxConnections,
          `${describeOwner(other)} reaches the same PostgreSQL server ${server.label} with maxConnections ${group.server.maxConnections}: `
          + 'one server has one connection budget; declare it once as a PostgresServer and give each stack its database on it', claim.owner);
      }
      let entry = group.owners.get(claim.owner);
      if (entry === undefined) {
        entry = { clients: [], migrations: 0, first: claim };
        group.owners.set(claim.owner, entry);
      }
      return entry;
    };
    for (const claim of this.clients) {
      if (claim.database.server !== undefined) groupOf(claim.database.server, claim).clients.push(claim.use());
    }
    for (const claim of this.migrations) {
      if (claim.database.server !== undefined) groupOf(claim.database.server, claim).migrations += 1;
    }
    for (const { server, owners } of groups.values()) {
      // One stack alone is checked by its proxy, against the connections its database may use.
      if (owners.size < 2) continue;
      let total = 0;
      let over: Owned | undefined;
      const parts: string[] = [];
      for (const [owner, entry] of owners) {
        const own = entry.clients.reduce((sum, c) => sum + c.total, 0) + entry.migrations;
        total += own;
        if (over === undefined && total > server.maxConnections) over = entry.first;
        const terms = [...entry.clients.map(c => c.detail), ...(entry.migrations > 0 ? [`${entry.migrations} migration`] : [])];
        parts.push(`${owner} ${own} (${terms.join(' + ')})`);
      }
      if (over !== undefined) {
        throw new LiteLLMConfigError('database', server.label,
          `the ${owners.size} stacks on this PostgreSQL server can open ${total} connections, more than its maxConnections ${server.maxConnections}: `
          + `${parts.join(', ')}; `
          + (server.declared
            ? 'lower the stacks\' pools (governance.databaseConnectionPoolLimit), workers or replicas, or give the server more connections'
            : 'declare the server once as a PostgresServer listing its databases, so each stack\'s pool fits its share, or lower pools, workers or replicas'),
          over.owner);
      }
    }
  }

  private checkDuplicateObjects(): void {
    const seen = new Map<string, ApiObject>();
    for (const node of this.root.node.findAll()) {
      if (!(node instanceof ApiObject)) continue;
      const clusterScoped = CLUSTER_SCOPED.has(node.kind);
      const namespace = clusterScoped ? '' : node.metadata.namespace;
      // Without a namespace an object goes wherever its Application points: not comparable here.
      if (namespace === undefined) continue;
      const group = node.apiVersion.includes('/') ? node.apiVersion.split('/')[0] : '';
      const key = `${group}\0${node.kind}\0${namespace}\0${node.name}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, node);
        continue;
      }
      const where = clusterScoped ? '' : ` in namespace ${namespace}`;
      throw new LiteLLMConfigError('metadata.name', node.name,
        `${node.kind} ${node.name}${where} is also emitted by ${chartPath(first)} (${first.node.path}): two objects with one identity `
        + 'overwrite each other when applied; rename one (e.g. its construct\'s name prop) or move it to another namespace', chartPath(node));
    }
  }
}

/** The namespace a construct's objects land in (its chart's), when set. */
export function chartNamespace(c: IConstruct): string | undefined {
  for (let node: IConstruct | undefined = c; node !== undefined; node = node.node.scope) {
    if (Chart.isChart(node)) return node.namespace;
  }
  return undefined;
}

/**
 * `host:port` as a client in `clientNamespace` reaches it: a bare Service name
 * resolves in the client's own namespace, so `redis` seen from two namespaces
 * is two servers, and `x.ns.svc.cluster.local` is `x.ns.svc`.
 */
export function networkAddress(host: string, port: number, clientNamespace: string | undefined): string {
  let h = host.toLowerCase().replace(/\.$/, '').replace(/\.svc\.cluster\.local$/, '.svc');
  if (!h.includes('.') && !/^[0-9]+$/.test(h)) h = `${h}.${clientNamespace ?? 'default'}.svc`;
  return `${h}:${port}`;
}

function owned(c: IConstruct): Owned {
  return { owner: chartPath(c), constructPath: c.node.path };
}

function describeOwner(o: Owned): string {
  return `stack ${o.owner}`;
}
