import { CloudNativePgDatabase } from '../../lib/governance/cloudnative-pg';
import { ExternalPostgres } from '../../lib/governance/external-postgres';
import { PriorityShare } from '../../lib';
import { MigrationJob } from '../../lib/governance/migration-job';
import { schemaErrors } from '../support/schema';
import { synth } from '../support/synth';
import { proxyIn } from './helpers';

/** An external Postgres given in parts, with governance settings and the migration Job. */
function externalChart(): any[] {
  return synth(chart => {
    const database = new ExternalPostgres({
      host: 'pg.db.internal', database: 'litellm', username: 'litellm', password: { name: 'litellm-db', key: 'password' },
      peers: [{ cidr: '10.20.0.0/24' }], maxConnections: 180,
    });
    const proxy = proxyIn(chart, {
      cpu: '2', replicas: 2, database, imagePullSecrets: ['ghcr'],
      governance: {
        defaultKeyParams: { maxBudget: 25, budgetDuration: '7d', rpmLimit: 60 },
        keyParamLimits: { maxBudget: 500, budgetDuration: '1mo', rpmLimit: 1200 },
        proxyBudget: { maxBudget: 10000, budgetDuration: '1mo' },
        databaseConnectionPoolLimit: 20,
      },
    });
    new MigrationJob(chart, 'Migrations', { proxy, database });
  });
}

/** An in-cluster CloudNativePG database with the migration Job and priority reservation. */
function cnpgChart(): any[] {
  return synth(chart => {
    const database = new CloudNativePgDatabase(chart, 'Postgres', { name: 'litellm-db', instances: 3, storageSize: '20Gi', parameters: { shared_buffers: '256MB' } });
    const proxy = proxyIn(chart, {
      database, autoscaling: { maxReplicas: 4 },
      governance: {
        priorityReservation: { shares: { prod: PriorityShare.fraction(0.75), dev: PriorityShare.fraction(0.25) }, license: { name: 'litellm-license', key: 'key' } },
        disableSpendLogs: true,
      },
    });
    new MigrationJob(chart, 'Migrations', { proxy, database });
  });
}

describe('governance charts', () => {
  const external = externalChart();
  const cnpg = cnpgChart();

  test('snapshot: external Postgres in parts + governance + migration Job', () => {
    expect(external).toMatchSnapshot();
  });

  test('snapshot: CloudNativePG + priority reservation + migration Job', () => {
    expect(cnpg).toMatchSnapshot();
  });

  test('every object (Job, Cluster, NetworkPolicies, proxy) passes the upstream schemas', () => {
    const kinds = new Set([...external, ...cnpg].map(o => o.kind));
    expect(['Job', 'Cluster', 'NetworkPolicy', 'ServiceAccount', 'Deployment'].filter(k => !kinds.has(k))).toEqual([]);
    expect(schemaErrors([...external, ...cnpg])).toEqual([]);
  });

  test('no secret value and no latest tag anywhere', () => {
    const text = JSON.stringify([...external, ...cnpg]);
    expect(text).not.toMatch(/postgresql:\/\/|:latest"/);
  });
});
