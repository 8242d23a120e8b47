import { Chart, Testing } from 'cdk8s';
import { CloudNativePgDatabase, ExternalPostgres, LiteLLMConfigError, LiteLLMProxy, LiteLLMStack, MigrationJob, PostgresServer } from '../../lib';
import { expectOurError } from '../support/expectations';
import { containerOf, envMap, one } from '../support/synth';

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai') }];
const masterKey = secret('litellm-master', 'master-key');
const url = secret('litellm-database', 'url');

describe('PostgresServer: a share of the connections per database', () => {
  test('GIVEN databases without shares THEN each gets an equal part of maxConnections (rounded down)', () => {
    const server = new PostgresServer({ name: 'pg', host: 'pg.example.com', maxConnections: 100, databases: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    expect(Object.entries(server.shares)).toEqual([['a', 33], ['b', 33], ['c', 33]]);
  });

  test('GIVEN some explicit shares THEN the others split what is left; the default budget is 90', () => {
    const server = new PostgresServer({ name: 'pg', databases: [{ name: 'big', maxConnections: 50 }, { name: 'a' }, { name: 'b' }] });
    expect(server.maxConnections).toBe(90);
    expect(Object.entries(server.shares)).toEqual([['big', 50], ['a', 20], ['b', 20]]);
  });

  test.each([
    ['no databases', { name: 'pg', databases: [] }, 'server.databases', /must list at least one database/],
    ['a database twice', { name: 'pg', databases: [{ name: 'a' }, { name: 'a' }] }, 'server.databases[1].name', /must be unique on a server/],
    ['shares beyond the server', { name: 'pg', maxConnections: 50, databases: [{ name: 'a', maxConnections: 40 }, { name: 'b', maxConnections: 20 }] }, 'server.databases',
      /received "60 connections"; the databases' maxConnections add up to more than the server's maxConnections \(50\)/],
    ['too many databases for the budget', { name: 'pg', maxConnections: 10, databases: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' }, { name: 'f' }] }, 'server.maxConnections',
      /received 10; leaves 1 connection\(s\) for each of 6 database\(s\)/],
    ['a host with a port', { name: 'pg', host: 'pg.example.com:5432', databases: [{ name: 'a' }] }, 'server.host', /bare host name/],
    ['no name', { databases: [{ name: 'a' }] }, 'server.name', /non-empty string/],
  ])('GIVEN %s THEN rejected', (_label, props, prop, message) => {
    expectOurError(() => new PostgresServer(props as any));
    try {
      new PostgresServer(props as any);
    } catch (e) {
      expect((e as LiteLLMConfigError).prop).toBe(prop);
      expect((e as Error).message).toMatch(message);
    }
  });
});

describe('ExternalPostgres on a shared server', () => {
  const server = new PostgresServer({ name: 'shared-pg', host: 'pg.example.com', port: 6432, maxConnections: 60, peers: [{ cidr: '10.20.0.0/24' }], databases: [{ name: 'team_a' }, { name: 'team_b' }] });

  test('GIVEN a database on the server THEN its budget is its share, port and egress are the server\'s', () => {
    const db = new ExternalPostgres({ server, database: 'team_a', url });
    expect(db.maxConnections).toBe(30);
    expect(db.port).toBe(6432);
    expect(db.egress.peers).toEqual([{ cidr: '10.20.0.0/24' }]);
    expect(db.credentials).toEqual({ kind: 'url', url });
  });

  test('GIVEN parts on the server THEN DATABASE_HOST is the server\'s host and port', () => {
    const chart = new Chart(Testing.app(), 'team-a', { namespace: 'team-a', disableResourceNameHashes: true });
    const database = new ExternalPostgres({ server, database: 'team_a', username: 'team_a', password: secret('team-a-db', 'password') });
    new LiteLLMProxy(chart, 'litellm', { models, masterKey, database });
    const env = envMap(containerOf(Testing.synth(chart)));
    expect(env.DATABASE_HOST).toBe('pg.example.com:6432');
    expect(env.DATABASE_NAME).toBe('team_a');
  });

  test.each([
    ['its own maxConnections', { maxConnections: 10, url }, 'database.maxConnections', /comes from the server "shared-pg"/],
    ['its own host', { host: 'other.example.com', username: 'u', password: secret('p', 'p') }, 'database.host', /comes from the server/],
    ['no database name', { url, database: undefined }, 'database.database', /required with a server/],
    ['a database the server does not list', { url, database: 'team_z' }, 'database.database',
      /received "team_z"; is not a database of PostgreSQL server "shared-pg" \(it lists "team_a", "team_b"\)/],
    ['a server that is not one', { server: { name: 'x' }, url, database: 'team_a' }, 'database.server', /must be a PostgresServer/],
  ])('GIVEN %s THEN rejected', (_label, props, prop, message) => {
    let error: unknown;
    try {
      new ExternalPostgres({ server, database: 'team_a', ...props } as any);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    expect((error as LiteLLMConfigError).prop).toBe(prop);
    expect((error as Error).message).toMatch(message);
  });

  test('GIVEN parts on a server without a host THEN rejected: DATABASE_HOST needs one', () => {
    const hostless = new PostgresServer({ name: 'pg', databases: [{ name: 'a' }] });
    expect(() => new ExternalPostgres({ server: hostless, database: 'a', username: 'u', password: secret('p', 'p') }))
      .toThrow(/database\.username: received "u"; connecting in parts needs the server's host/);
  });
});

describe('PostgresServer.fromCloudNativePg: one CloudNativePG cluster serving several stacks', () => {
  function platform() {
    const app = Testing.app();
    const databases = new Chart(app, 'databases', { namespace: 'databases', disableResourceNameHashes: true });
    const cluster = new CloudNativePgDatabase(databases, 'SharedPg', { name: 'shared-pg', maxConnections: 200 });
    const server = PostgresServer.fromCloudNativePg(cluster, { databases: [{ name: 'team_a' }, { name: 'team_b' }] });
    return { app, databases, cluster, server };
  }

  test('THEN the server is the cluster\'s -rw Service, with its budget split', () => {
    const { server } = platform();
    expect(server.host).toBe('shared-pg-rw.databases.svc');
    expect(server.port).toBe(5432);
    // 200 less the 10 reserved, split in two.
    expect(Object.entries(server.shares)).toEqual([['team_a', 95], ['team_b', 95]]);
  });

  test('GIVEN two tenant stacks on it THEN their proxies and migration Jobs reach its pods, and its NetworkPolicy admits them by namespace', () => {
    const { app, databases, server } = platform();
    for (const [ns, db] of [['team-a', 'team_a'], ['team-b', 'team_b']]) {
      new LiteLLMStack(app, ns, {
        namespace: ns, models, masterKey, redis: { password: secret('redis', 'password') },
        database: { external: { server, database: db, url } },
      });
    }
    const policy = one(Testing.synth(databases), 'NetworkPolicy', 'shared-pg-postgres');
    const clients = policy.spec.ingress[2].from;
    expect(clients).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'litellm', 'app.kubernetes.io/instance': 'litellm', 'app.kubernetes.io/component': 'proxy' } },
    });
    expect(clients.filter((c: any) => c.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'team-b')).toHaveLength(2);
    const tenant = Testing.synth(app.node.findChild('team-a') as Chart);
    const egress = one(tenant, 'NetworkPolicy', 'litellm').spec.egress;
    expect(egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } }, podSelector: { matchLabels: { 'cnpg.io/cluster': 'shared-pg' } } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
  });

  test('GIVEN a client of the cluster in its own namespace THEN it is admitted by pod labels only, as before', () => {
    const { databases, cluster } = platform();
    const proxy = new LiteLLMProxy(databases, 'litellm', { models, masterKey, database: cluster });
    new MigrationJob(databases, 'Migrations', { proxy, database: cluster });
    const clients = one(Testing.synth(databases), 'NetworkPolicy', 'shared-pg-postgres').spec.ingress[2].from;
    expect(clients.every((c: any) => c.namespaceSelector === undefined)).toBe(true);
  });

  test('GIVEN a cluster in a chart without a namespace THEN rejected: the host needs it', () => {
    const cluster = new CloudNativePgDatabase(new Chart(Testing.app(), 'x'), 'Pg', { name: 'pg' });
    expect(() => PostgresServer.fromCloudNativePg(cluster, { databases: [{ name: 'a' }] })).toThrow(/cluster: received "pg"; the CloudNativePG cluster's chart needs a namespace/);
  });
});
