import { CloudNativePgDatabase } from '../../lib/governance/cloudnative-pg';
import { ExternalPostgres } from '../../lib/governance/external-postgres';
import { WorkerSizing } from '../../lib/proxy/workers';
import { containerOf, envMap, one, synth, testChart } from '../support/synth';
import { configOf, proxyIn } from './helpers';

const url = { name: 'litellm-db', key: 'url' };

describe('ExternalPostgres', () => {
  test('GIVEN a URL Secret WHEN wired THEN the proxy reads DATABASE_URL from it and never updates the schema', () => {
    const objects = synth(chart => proxyIn(chart, { database: new ExternalPostgres({ url }) }));
    const env = envMap(containerOf(objects));
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: 'litellm-db', key: 'url' } });
    expect(env.DISABLE_SCHEMA_UPDATE).toBe('true');
    expect(JSON.stringify(objects)).not.toMatch(/postgresql:\/\//);
  });

  test('GIVEN parts WHEN wired THEN DATABASE_HOST carries host:port and the password comes from its Secret', () => {
    const objects = synth(chart => proxyIn(chart, {
      database: new ExternalPostgres({ host: 'pg.internal', port: 6432, database: 'litellm', username: 'litellm', password: { name: 'pg', key: 'password' } }),
    }));
    const env = envMap(containerOf(objects));
    expect(env.DATABASE_HOST).toBe('pg.internal:6432');
    expect(env.DATABASE_NAME).toBe('litellm');
    expect(env.DATABASE_USERNAME).toBe('litellm');
    expect(env.DATABASE_PASSWORD).toEqual({ secretKeyRef: { name: 'pg', key: 'password' } });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  test('GIVEN a username Secret THEN DATABASE_USERNAME is a secretKeyRef', () => {
    const db = new ExternalPostgres({ host: 'pg', database: 'd', usernameSecret: { name: 'pg', key: 'user' }, password: { name: 'pg', key: 'pw' } });
    const env = envMap(containerOf(synth(chart => proxyIn(chart, { database: db }))));
    expect(env.DATABASE_USERNAME).toEqual({ secretKeyRef: { name: 'pg', key: 'user' } });
  });

  test('GIVEN a CIDR WHEN wired THEN the proxy egress admits only that CIDR on the port', () => {
    const objects = synth(chart => proxyIn(chart, { database: new ExternalPostgres({ url, peers: [{ cidr: '10.20.0.0/24' }] }) }));
    const egress = one(objects, 'NetworkPolicy').spec.egress;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] });
  });

  test('WHEN no database is configured THEN there is no database egress', () => {
    const objects = synth(chart => proxyIn(chart));
    expect(JSON.stringify(one(objects, 'NetworkPolicy').spec.egress)).not.toMatch(/5432/);
  });

  test('the default connection limit is 90', () => {
    expect(new ExternalPostgres({ url }).maxConnections).toBe(90);
  });

  test.each([
    [{}, /database: received .*needs `url`/],
    [{ url, host: 'pg' }, /database\.url: .*either `url` or the parts/],
    [{ host: 'pg', database: 'd', username: 'u' }, /database\.password: received undefined; is required when the connection is given in parts/],
    [{ url: 'postgresql://u:p@h/d' as any }, /database\.url: .*a literal string.*Secret reference/],
    [{ host: 'pg:5432', database: 'd', username: 'u', password: { name: 'p', key: 'k' } }, /database\.host: received "pg:5432"; must be a bare host name/],
    [{ url, port: 70000 }, /database\.port: received 70000; must be an integer from 1 to 65535/],
    [{ url, maxConnections: 1 }, /database\.maxConnections: received 1; must be an integer >= 2/],
    [{ url, peers: [{ cidr: 'nope' }] }, /database\.peers\[0\]\.cidr: received "nope"; must be an IPv4 or IPv6 CIDR/],
  ])('GIVEN %j THEN it is rejected', (props, message) => {
    expect(() => new ExternalPostgres(props as any)).toThrow(message);
  });
});

describe('CloudNativePgDatabase', () => {
  function cnpgObjects(props = {}): any[] {
    return synth(chart => {
      const db = new CloudNativePgDatabase(chart, 'Postgres', { name: 'litellm-db', ...props });
      proxyIn(chart, { database: db });
    });
  }

  test('GIVEN defaults THEN a pinned 2-instance Cluster with Guaranteed resources and max_connections 100', () => {
    const spec = one(cnpgObjects(), 'Cluster').spec;
    expect(spec.instances).toBe(2);
    expect(spec.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie');
    expect(spec.postgresql.parameters.max_connections).toBe('100');
    expect(spec.bootstrap.initdb).toEqual({ database: 'litellm', owner: 'litellm' });
    expect(spec.resources.requests).toEqual(spec.resources.limits);
    expect(spec.storage.size).toBe('10Gi');
    expect(spec.enableSuperuserAccess).toBe(false);
  });

  test('WHEN wired THEN DATABASE_URL is the generated <cluster>-app Secret key uri', () => {
    expect(envMap(containerOf(cnpgObjects())).DATABASE_URL).toEqual({ secretKeyRef: { name: 'litellm-db-app', key: 'uri' } });
  });

  test('WHEN wired THEN the cluster NetworkPolicy admits the operator, the instances and the proxy only', () => {
    const np = one(cnpgObjects(), 'NetworkPolicy', 'litellm-db-postgres');
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'litellm-db' } });
    expect(np.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } } }],
        ports: [{ protocol: 'TCP', port: 8000 }, { protocol: 'TCP', port: 5432 }],
      },
      { from: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'litellm-db' } } }], ports: [{ protocol: 'TCP', port: 8000 }, { protocol: 'TCP', port: 5432 }] },
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'litellm', 'app.kubernetes.io/instance': 'litellm', 'app.kubernetes.io/component': 'proxy' } } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
  });

  test('WHEN wired THEN the proxy egress reaches the instance pods on 5432', () => {
    const egress = one(cnpgObjects(), 'NetworkPolicy', 'litellm').spec.egress;
    expect(egress).toContainEqual({ to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'litellm-db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] });
  });

  test('the Cluster is ordered first under Argo CD', () => {
    expect(one(cnpgObjects(), 'Cluster').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-3');
  });

  test('LiteLLM gets max_connections less the reserve', () => {
    const db = new CloudNativePgDatabase(testChart(), 'Pg', { maxConnections: 200, reservedConnections: 20 });
    expect(db.maxConnections).toBe(180);
  });

  test.each([
    [{ image: 'ghcr.io/cloudnative-pg/postgresql:latest' }, /image: .*moves between releases/],
    [{ image: 'ghcr.io/cloudnative-pg/postgresql:trixie' }, /image: .*must start with it/],
    [{ instances: 0 }, /instances: received 0; must be an integer from 1 to 9/],
    [{ parameters: { max_connections: '500' } }, /parameters\.max_connections: received "500"; use the maxConnections prop/],
    [{ reservedConnections: 100 }, /reservedConnections: received 100; must be less than maxConnections \(100\)/],
    [{ storageSize: '10GB' }, /storageSize: received "10GB"; must be a memory quantity/],
    [{ name: 'Bad_Name' }, /name: received "Bad_Name"; must be a DNS-1123 label/],
    // CloudNativePG's webhook: its Services carry the Cluster's name, so it must start with a letter.
    [{ name: '1db' }, /name: received "1db"; must be a DNS-1123 label that starts with a letter/],
    [{ storageClass: 'Fast SSD' }, /storageClass: received "Fast SSD"; must be a DNS-1123 subdomain/],
  ])('GIVEN %j THEN it is rejected', (props, message) => {
    expect(() => new CloudNativePgDatabase(testChart(), 'Pg', props as any)).toThrow(message);
  });
});

describe('connection budget', () => {
  test('GIVEN pool 10 × 4 workers × (3 replicas + 1 surge) + 1 = 161 > 90 WHEN synthesized THEN it fails with the numbers', () => {
    expect(() => synth(chart => proxyIn(chart, { cpu: '4', replicas: 3, database: new ExternalPostgres({ url }), governance: { databaseConnectionPoolLimit: 10 } })))
      .toThrow(/databaseConnectionPoolLimit: received 10; database_connection_pool_limit 10 × 4 worker\(s\) × 4 pod\(s\) \(3 maximum replica\(s\) \+ 1 rollout surge\) \+ 1 migration = 161 connections, more than the database's maxConnections 90; set a pool limit of at most 5/);
  });

  test('GIVEN the same proxy WHEN governance lowers the pool limit THEN it fits', () => {
    const objects = synth(chart => {
      proxyIn(chart, { cpu: '4', replicas: 3, database: new ExternalPostgres({ url }), governance: { databaseConnectionPoolLimit: 5 } });
    });
    expect(objects.length).toBeGreaterThan(0);
  });

  test('the autoscaler maximum counts, not the minimum', () => {
    expect(() => synth(chart => proxyIn(chart, {
      workers: WorkerSizing.onePerPod(), autoscaling: { minReplicas: 2, maxReplicas: 10 }, database: new ExternalPostgres({ url, maxConnections: 100 }),
      governance: { databaseConnectionPoolLimit: 10 },
    }))).toThrow(/10 × 1 worker\(s\) × 11 pod\(s\).* = 111 connections/);
  });

  test('GIVEN a database and no pool limit THEN the proxy sizes the pool to fit: every worker of every pod, a surge pod and the migration', () => {
    // floor((100 - 1 migration) / (1 worker × (10 + 1 surge))) = 9
    const config = configOf(synth(chart => proxyIn(chart, {
      workers: WorkerSizing.onePerPod(), autoscaling: { minReplicas: 2, maxReplicas: 10 }, database: new ExternalPostgres({ url, maxConnections: 100 }),
    })));
    expect(config.general_settings.database_connection_pool_limit).toBe(9);
    // A large database keeps LiteLLM's default of 10.
    const roomy = configOf(synth(chart => proxyIn(chart, { database: new ExternalPostgres({ url, maxConnections: 1000 }) })));
    expect(roomy.general_settings.database_connection_pool_limit).toBe(10);
  });
});

