import { ConfigSection } from '../lib';
import { stackEdge } from './support/edges';
import { App, Chart, Testing } from 'cdk8s';
import {
  ExternalPostgres, ExternalRedis, IngressNginxEdge, LiteLLMConfigError, LiteLLMProxy, LiteLLMStack, LiteLLMStackProps,
  MigrationJob, PostgresServer, TraefikEdge,
} from '../lib';
import { AppChecks } from '../lib/app-checks';
import { byKind } from './support/synth';

/**
 * The checks across the whole App (issue 13): what no single stack can see.
 * Plain LiteLLMStacks nested in a `tenants` chart, the way the user
 * built them, and the lower-level constructs where they carry the information.
 */

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai'), rpm: 600 }];
const masterKey = secret('litellm-master', 'master-key');
const redisPassword = secret('litellm-redis', 'password');
const gateway = { name: 'public', namespace: 'gateways' };

/** A stack as a tenant: namespace = name, in-cluster Redis unless overridden. */
function tenantProps(name: string, props: Partial<LiteLLMStackProps> = {}): LiteLLMStackProps {
  return { namespace: name, models, masterKey, redis: { password: redisPassword }, ...props } as LiteLLMStackProps;
}

/** An app with a `tenants` chart holding one stack per entry. */
function tenants(entries: readonly [string, Partial<LiteLLMStackProps>][]): { app: App; stacks: LiteLLMStack[] } {
  const app = Testing.app();
  const chart = new Chart(app, 'tenants');
  const stacks = entries.map(([name, props]) => new LiteLLMStack(chart, name, tenantProps(name, props)));
  return { app, stacks };
}

/** The error synthesizing the app raises (or undefined when it is accepted). */
function synthError(app: App): LiteLLMConfigError | undefined {
  try {
    app.synthYaml();
  } catch (e) {
    if (e instanceof LiteLLMConfigError) return e;
    throw e;
  }
  return undefined;
}

function expectRejected(app: App, prop: string, constructPath: string, message: RegExp): LiteLLMConfigError {
  const error = synthError(app);
  expect(error).toBeInstanceOf(LiteLLMConfigError);
  expect(error!.prop).toBe(prop);
  expect(error!.constructPath).toBe(constructPath);
  expect(error!.message.startsWith(`[${constructPath}] ${prop}: received `)).toBe(true);
  expect(error!.message).toMatch(message);
  return error!;
}

const gatewayEdge = (hosts: string[], gw: object = gateway, path?: string) =>
  ({ ...stackEdge({ controller: 'gateway-api', hosts, gateway: gw, controllerNamespace: 'envoy-gateway-system', ...(path ? { path } : {}) }) }) as Partial<LiteLLMStackProps>;

describe('App-wide checks: namespaces', () => {
  test('GIVEN two stacks with the same namespace THEN the second is rejected naming both stacks', () => {
    const { app } = tenants([['team-a', {}], ['team-b', { namespace: 'team-a' }]]);
    expectRejected(app, 'namespace', 'tenants/team-b', /^\[tenants\/team-b\] namespace: received "team-a"; already the namespace of stack tenants\/team-a: give each stack a namespace of its own/);
  });

  test('GIVEN three stacks with their own namespaces THEN accepted', () => {
    expect(synthError(tenants([['team-a', {}], ['team-b', {}], ['team-c', {}]]).app)).toBeUndefined();
  });

  test('GIVEN the same namespace without the Namespace object (createNamespace: false) THEN still one stack per namespace', () => {
    const { app } = tenants([['team-a', { createNamespace: false }], ['team-b', { namespace: 'team-a', createNamespace: false, proxy: { name: 'other' } }]]);
    expectRejected(app, 'namespace', 'tenants/team-b', /already the namespace of stack tenants\/team-a/);
  });
});

describe('App-wide checks: one host per Gateway or ingress class', () => {
  test('GIVEN two tenants claiming one host on one Gateway THEN rejected naming both stacks and the Gateway', () => {
    const { app } = tenants([['team-a', gatewayEdge(['llm.example.com'])], ['team-b', gatewayEdge(['llm.example.com'])]]);
    expectRejected(app, 'hosts[0]', 'tenants/team-b',
      /received "llm\.example\.com"; stack tenants\/team-a already routes llm\.example\.com\/ on Gateway gateways\/public/);
  });

  test('GIVEN the same host on different Gateways, or under different paths THEN accepted', () => {
    expect(synthError(tenants([['team-a', gatewayEdge(['llm.example.com'])], ['team-b', gatewayEdge(['llm.example.com'], { name: 'internal', namespace: 'gateways' })]]).app)).toBeUndefined();
    expect(synthError(tenants([['team-a', gatewayEdge(['llm.example.com'], gateway, '/a')], ['team-b', gatewayEdge(['llm.example.com'], gateway, '/b')]]).app)).toBeUndefined();
  });

  test('GIVEN a Gateway without a namespace THEN it is the route\'s own: the same host in two namespaces is two Gateways', () => {
    expect(synthError(tenants([['team-a', gatewayEdge(['llm.example.com'], { name: 'public' })], ['team-b', gatewayEdge(['llm.example.com'], { name: 'public' })]]).app)).toBeUndefined();
  });

  test('GIVEN ingress-nginx and F5 NGINX both on the default class "nginx" with one host THEN rejected; on classes of their own THEN accepted', () => {
    const edge = (controller: string, ingressClassName?: string) =>
      ({ preset: undefined, ...stackEdge({ controller, hosts: ['llm.example.com'], tls: { secretName: 'llm-tls' }, ...(ingressClassName ? { ingressClassName } : {}) }) }) as Partial<LiteLLMStackProps>;
    expectRejected(tenants([['team-a', edge('ingress-nginx')], ['team-b', edge('nginx-inc')]]).app, 'hosts[0]', 'tenants/team-b',
      /already routes llm\.example\.com\/ on ingress class "nginx"/);
    expect(synthError(tenants([['team-a', edge('ingress-nginx')], ['team-b', edge('nginx-inc', 'nginx-plus')]]).app)).toBeUndefined();
  });

  test('GIVEN a consumer chart of lower-level constructs and a stack on one Traefik with one host THEN rejected (the edges record their hosts too)', () => {
    const app = Testing.app();
    const team = new Chart(app, 'team-gateway', { namespace: 'team', disableResourceNameHashes: true });
    const proxy = new LiteLLMProxy(team, 'Proxy', { models, masterKey });
    new TraefikEdge(team, 'Edge', proxy, { hosts: ['llm.example.com'] });
    new LiteLLMStack(app, 'shared', tenantProps('shared', { ...stackEdge({ controller: 'traefik', hosts: ['llm.example.com'], tls: { secretName: 'llm-tls' } }) }));
    expectRejected(app, 'hosts[0]', 'shared', /stack team-gateway already routes llm\.example\.com\/ on Traefik \(IngressRoutes without an ingress class\)/);
  });
});

describe('App-wide checks: Redis key prefixes', () => {
  const shared = { external: { host: 'redis.example.com', password: redisPassword } };

  test('GIVEN stacks on one external Redis with their default prefixes THEN accepted: each keeps its keys under <namespace>/<stack id>', () => {
    const { app, stacks } = tenants([['team-a', { redis: shared }], ['team-b', { redis: shared }]]);
    expect(synthError(app)).toBeUndefined();
    expect(stacks.map(s => s.proxy.redisNamespace)).toEqual(['team-a/team-a', 'team-b/team-b']);
  });

  test('GIVEN two stacks on one Redis with the same prefix THEN the second is rejected naming the first and the Redis', () => {
    const { app } = tenants([
      ['team-a', { redis: shared, proxy: { redisNamespace: 'llm' } }],
      ['team-b', { redis: shared, proxy: { redisNamespace: 'llm' } }],
    ]);
    expectRejected(app, 'redisNamespace', 'tenants/team-b', /received "llm"; stack tenants\/team-a already keeps its keys under this prefix on Redis redis\.example\.com:6379/);
  });

  test('GIVEN the same prefix on different Redis servers THEN accepted, also for the in-cluster Redis of each namespace (one Service name, two servers)', () => {
    const other = { external: { host: 'redis-2.example.com', password: redisPassword } };
    expect(synthError(tenants([['team-a', { redis: shared, proxy: { redisNamespace: 'llm' } }], ['team-b', { redis: other, proxy: { redisNamespace: 'llm' } }]]).app)).toBeUndefined();
    expect(synthError(tenants([['team-a', { proxy: { redisNamespace: 'llm' } }], ['team-b', { proxy: { redisNamespace: 'llm' } }]]).app)).toBeUndefined();
  });

  test('GIVEN Redis Cluster seeds that overlap THEN it is one Redis', () => {
    const seeds = (hosts: string[]) => ({ external: { cluster: { nodes: hosts.map(host => ({ host })) }, password: redisPassword } });
    const { app } = tenants([
      ['team-a', { redis: seeds(['r1.example.com', 'r2.example.com']), proxy: { redisNamespace: 'llm' } }],
      ['team-b', { redis: seeds(['r2.example.com', 'r3.example.com']), proxy: { redisNamespace: 'llm' } }],
    ]);
    expectRejected(app, 'redisNamespace', 'tenants/team-b', /on Redis cluster r2\.example\.com:6379, r3\.example\.com:6379/);
  });

  test('GIVEN lower-level proxies on one ExternalRedis object with the same prefix THEN rejected', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'team', { namespace: 'team', disableResourceNameHashes: true });
    const redis = new ExternalRedis(chart, 'Redis', { host: 'redis.example.com', password: redisPassword });
    new LiteLLMProxy(chart, 'a', { models, masterKey, redis, redisNamespace: 'shared' });
    new LiteLLMProxy(chart, 'b', { models, masterKey, redis, redisNamespace: 'shared' });
    expectRejected(app, 'redisNamespace', 'team', /stack team already keeps its keys under this prefix/);
  });
});

describe('App-wide checks: connections summed per PostgreSQL server', () => {
  const onServer = (host: string, maxConnections?: number) => (name: string): Partial<LiteLLMStackProps> => ({
    database: { external: { host, database: name.replace('-', '_'), username: 'litellm', password: secret('db', 'password'), ...(maxConnections ? { maxConnections } : {}) } },
  });

  test('GIVEN three stacks on one server, each told maxConnections 30 (the issue) THEN rejected with the per-stack breakdown', () => {
    const at = onServer('pg.example.com', 30);
    const { app } = tenants([['team-a', at('team-a')], ['team-b', at('team-b')], ['team-c', at('team-c')]]);
    const error = expectRejected(app, 'database', 'tenants/team-b',
      /received "pg\.example\.com:5432"; the 3 stacks on this PostgreSQL server can open 87 connections, more than its maxConnections 30: /);
    // Each stack lowered its own pool to fit 30 alone: pool 2 × 2 workers × 7 pods + its migration.
    for (const t of ['team-a', 'team-b', 'team-c']) expect(error.message).toContain(`tenants/${t} 29 (pool 2 × 2 worker(s) × 7 pod(s) + 1 migration)`);
    expect(error.message).toMatch(/declare the server once as a PostgresServer listing its databases/);
  });

  test('GIVEN the default maxConnections of 90 each THEN the sum the issue found is reported', () => {
    const at = onServer('pg.example.com');
    const error = synthError(tenants([['team-a', at('team-a')], ['team-b', at('team-b')], ['team-c', at('team-c')]]).app)!;
    expect(error.message).toMatch(/can open 255 connections, more than its maxConnections 90: tenants\/team-a 85 \(pool 6 × 2 worker\(s\) × 7 pod\(s\) \+ 1 migration\)/);
  });

  test('GIVEN a bare host (a Service in each namespace) THEN two namespaces are two servers', () => {
    const at = onServer('postgres', 30);
    expect(synthError(tenants([['team-a', at('team-a')], ['team-b', at('team-b')]]).app)).toBeUndefined();
  });

  test('GIVEN one PostgresServer listing the databases THEN each stack\'s pool fits its share and the sum fits the server', () => {
    const server = new PostgresServer({ name: 'shared-pg', host: 'pg.example.com', maxConnections: 90, databases: [{ name: 'team_a' }, { name: 'team_b' }, { name: 'team_c' }] });
    const on = (db: string) => ({ database: { external: { server, database: db, url: secret('litellm-database', 'url') } } }) as Partial<LiteLLMStackProps>;
    const { app, stacks } = tenants([['team-a', on('team_a')], ['team-b', on('team_b')], ['team-c', on('team_c')]]);
    expect(synthError(app)).toBeUndefined();
    // A share of 30 each: pool floor((30 - 1 migration) / (2 workers × 7 pods)) = 2.
    expect(stacks.map(s => s.database!.maxConnections)).toEqual([30, 30, 30]);
    expect(stacks.map(s => s.proxy.config.get(ConfigSection.GENERAL_SETTINGS, 'database_connection_pool_limit'))).toEqual([2, 2, 2]);
  });

  test('GIVEN two stacks sharing one database of a PostgresServer THEN each fits the share alone, and the sum is rejected with the breakdown', () => {
    const server = new PostgresServer({ name: 'shared-pg', host: 'pg.example.com', maxConnections: 90, databases: [{ name: 'litellm' }] });
    const on = (migrations: boolean) => ({ database: { external: { server, database: 'litellm', url: secret('db', 'url') }, migrations } }) as Partial<LiteLLMStackProps>;
    const { app } = tenants([['blue', on(true)], ['green', on(false)]]);
    // Each lowers its pool to fit the database's whole share: floor(89 / (2 × 7)) = 6, 84 connections each.
    const error = expectRejected(app, 'database', 'tenants/green',
      /received "\\"shared-pg\\" \(pg\.example\.com:5432\)"; the 2 stacks on this PostgreSQL server can open 169 connections, more than its maxConnections 90: /);
    expect(error.message).toContain('tenants/blue 85 (pool 6 × 2 worker(s) × 7 pod(s) + 1 migration), tenants/green 84 (pool 6 × 2 worker(s) × 7 pod(s))');
    expect(error.message).toMatch(/lower the stacks' pools \(governance\.databaseConnectionPoolLimit\), workers or replicas/);
  });

  test('GIVEN two stacks recognising one server by address with different maxConnections THEN rejected: one server, one budget', () => {
    const { app } = tenants([['team-a', onServer('pg.example.com', 60)('team-a')], ['team-b', onServer('pg.example.com', 90)('team-b')]]);
    expectRejected(app, 'database.maxConnections', 'tenants/team-b', /received 90; stack tenants\/team-a reaches the same PostgreSQL server pg\.example\.com:5432 with maxConnections 60/);
  });
});

describe('App-wide checks: one migration Job per database', () => {
  const server = () => new PostgresServer({ name: 'shared-pg', host: 'pg.example.com', maxConnections: 90, databases: [{ name: 'litellm' }] });
  // Pools set so that both stacks on the one database fit the server together (3 × 2 × 7 × 2 + 1 = 85 <= 90).
  const on = (s: PostgresServer, migrations?: boolean) => ({
    database: { external: { server: s, database: 'litellm', url: secret('litellm-database', 'url') }, ...(migrations !== undefined ? { migrations } : {}) },
    governance: { databaseConnectionPoolLimit: 3 },
  }) as Partial<LiteLLMStackProps>;

  test('GIVEN two stacks on one database, both migrating THEN the second is rejected naming the first', () => {
    const s = server();
    expectRejected(tenants([['blue', on(s)], ['green', on(s)]]).app, 'database.migrations', 'tenants/green',
      /received true; stack tenants\/blue already runs the migration Job for database "litellm" on server "shared-pg" \(pg\.example\.com:5432\): at most one migration Job per database/);
  });

  test('GIVEN migrations: false on one of them THEN accepted, and only one Job is emitted', () => {
    const s = server();
    const { app, stacks } = tenants([['blue', on(s)], ['green', on(s, false)]]);
    expect(synthError(app)).toBeUndefined();
    expect(stacks.map(st => st.migrations !== undefined)).toEqual([true, false]);
    expect(stacks.map(st => byKind(Testing.synth(st), 'Job').length)).toEqual([1, 0]);
  });

  test('GIVEN a lower-level MigrationJob for the same database as a stack\'s THEN rejected', () => {
    const app = Testing.app();
    const s = server();
    new LiteLLMStack(app, 'blue', tenantProps('blue', on(s)));
    const chart = new Chart(app, 'ops', { namespace: 'ops', disableResourceNameHashes: true });
    const database = new ExternalPostgres({ server: s, database: 'litellm', url: secret('litellm-database', 'url') });
    const proxy = new LiteLLMProxy(chart, 'Proxy', { models, masterKey, database });
    new MigrationJob(chart, 'Migrations', { proxy, database });
    expectRejected(app, 'database.migrations', 'ops', /stack blue already runs the migration Job/);
  });

  test('GIVEN URLs in Secrets without a server THEN each namespace\'s Secret is its own database: accepted', () => {
    const url = { database: { external: { url: secret('litellm-database', 'url') } } } as Partial<LiteLLMStackProps>;
    expect(synthError(tenants([['team-a', url], ['team-b', url]]).app)).toBeUndefined();
  });
});

describe('App-wide checks: the same object twice', () => {
  test('GIVEN two consumer charts building one proxy into the same namespace THEN rejected naming both', () => {
    const app = Testing.app();
    for (const id of ['gateway-1', 'gateway-2']) {
      const chart = new Chart(app, id, { namespace: 'team', disableResourceNameHashes: true });
      const proxy = new LiteLLMProxy(chart, 'Proxy', { models, masterKey });
      new IngressNginxEdge(chart, 'Edge', proxy, { hosts: [`${id}.example.com`] });
    }
    expectRejected(app, 'metadata.name', 'gateway-2', /received "proxy-config"; ConfigMap proxy-config in namespace team is also emitted by gateway-1 \(gateway-1\/Proxy\/Config\)/);
  });
});

describe('App-wide checks: errors name the stack', () => {
  test('GIVEN a bad value in a loop over three tenants THEN the error names the tenant\'s stack path, the prop, the value and what is allowed', () => {
    const app = new App();
    const chart = new Chart(app, 'tenants');
    let error: unknown;
    try {
      for (const [name, cpu] of [['team-a', '2'], ['team-b', '0'], ['team-c', '2']]) new LiteLLMStack(chart, name, tenantProps(name, { proxy: { cpu } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    expect((error as LiteLLMConfigError).constructPath).toBe('tenants/team-b');
    expect((error as LiteLLMConfigError).prop).toBe('proxy.cpu');
    expect((error as Error).message).toMatch(/^\[tenants\/team-b\] proxy\.cpu: received "0"; must be/);
  });

  test('GIVEN a pool too large for the database at synth THEN the per-stack check names the stack too', () => {
    const { app } = tenants([['team-a', { database: { external: { url: secret('db', 'url'), maxConnections: 20 } }, governance: { databaseConnectionPoolLimit: 10 } }]]);
    expectRejected(app, 'governance.databaseConnectionPoolLimit', 'tenants/team-a', /received 10; database_connection_pool_limit 10 × 2 worker\(s\) × 7 pod\(s\)/);
  });

  test('the checks are registered once per App, however many stacks claim', () => {
    const { app, stacks } = tenants([['team-a', {}], ['team-b', {}], ['team-c', {}]]);
    expect(new Set(stacks.map(s => AppChecks.of(s))).size).toBe(1);
    expect(AppChecks.of(app)).toBe(AppChecks.of(stacks[0]));
    expect(app.node.validate()).toEqual([]);
    expect(AppChecks.of(Testing.app())).not.toBe(AppChecks.of(app));
  });
});
