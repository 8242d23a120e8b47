import { CloudNativePgDatabase } from '../../lib/governance/cloudnative-pg';
import { ExternalPostgres } from '../../lib/governance/external-postgres';
import { MigrationJob, MigrationJobProps } from '../../lib/governance/migration-job';
import { WAIT_FOR_POSTGRES_SCRIPT } from '../../lib/governance/wait-for-postgres';
import { byKind, envMap, one, synth } from '../support/synth';
import { proxyIn } from './helpers';

const url = { name: 'litellm-db', key: 'url' };

function jobObjects(opts: { image?: string; cnpg?: boolean; job?: Partial<MigrationJobProps>; pullSecrets?: string[] } = {}): any[] {
  return synth(chart => {
    const database = opts.cnpg ? new CloudNativePgDatabase(chart, 'Postgres', { name: 'litellm-db' }) : new ExternalPostgres({ url });
    const proxy = proxyIn(chart, { database, ...(opts.image ? { image: opts.image } : {}), ...(opts.pullSecrets ? { imagePullSecrets: opts.pullSecrets } : {}) });
    new MigrationJob(chart, 'Migrations', { proxy, database, ...opts.job });
  });
}

describe('MigrationJob', () => {
  test('exactly one Job runs the migration script from /app with the proxy image', () => {
    const objects = jobObjects();
    const jobs = byKind(objects, 'Job');
    expect(jobs).toHaveLength(1);
    const c = jobs[0].spec.template.spec.containers[0];
    expect(c.command).toEqual(['python', 'litellm/proxy/prisma_migration.py']);
    expect(c.workingDir).toBe('/app');
    expect(c.image).toBe('ghcr.io/berriai/litellm-non_root:v1.108.14');
  });

  test('the migration applies the schema, fails loudly and writes only to emptyDirs', () => {
    const c = byKind(jobObjects(), 'Job')[0].spec.template.spec.containers[0];
    const env = envMap(c);
    expect(env).toMatchObject({
      DATABASE_URL: { secretKeyRef: url }, DISABLE_SCHEMA_UPDATE: 'false', ENFORCE_PRISMA_MIGRATION_CHECK: 'true',
      LITELLM_MIGRATION_DIR: '/var/lib/litellm/migrations', XDG_CACHE_HOME: '/tmp/.cache',
    });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/tmp', '/var/lib/litellm/migrations']);
    // Never over /app/.cache: the image's Prisma CLI and engines live there.
    expect(JSON.stringify(c.volumeMounts)).not.toMatch(/\/app\/\.cache/);
  });

  test('an init container waits for the database, bounded by waitTimeoutSeconds', () => {
    const spec = byKind(jobObjects({ job: { waitTimeoutSeconds: 120 } }), 'Job')[0].spec.template.spec;
    const init = spec.initContainers[0];
    expect(init.name).toBe('wait-for-database');
    expect(init.command).toEqual(['python', '-c', WAIT_FOR_POSTGRES_SCRIPT]);
    expect(envMap(init)).toMatchObject({ DATABASE_URL: { secretKeyRef: url }, WAIT_TIMEOUT_SECONDS: '120' });
    expect(init.resources.limits.memory).toBeDefined();
  });

  test('pod security: restricted, no token, own ServiceAccount, resources with a memory limit', () => {
    const objects = jobObjects();
    const job = byKind(objects, 'Job')[0];
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.restartPolicy).toBe('Never');
    const sa = one(objects, 'ServiceAccount', 'litellm-migrate');
    expect(pod.serviceAccountName).toBe('litellm-migrate');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } });
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 86400 });
  });

  test('GIVEN an external database THEN the Job is a PreSync hook replaced before the next one, its prerequisites a wave earlier', () => {
    const objects = jobObjects();
    expect(byKind(objects, 'Job')[0].metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', 'argocd.argoproj.io/sync-wave': '0',
    });
    expect(one(objects, 'ServiceAccount', 'litellm-migrate').metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' });
    expect(one(objects, 'NetworkPolicy', 'litellm-migrate').metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' });
  });

  test('GIVEN a database created by the same sync THEN the Job is a Sync hook after it and before the proxy', () => {
    const objects = jobObjects({ cnpg: true });
    expect(byKind(objects, 'Job')[0].metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '-1' });
    expect(one(objects, 'ServiceAccount', 'litellm-migrate').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-2');
    expect(one(objects, 'Cluster').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-3');
    expect(one(objects, 'Deployment').metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBeUndefined();
  });

  test('GIVEN runInSyncPhase (the sync writes the database Secret, e.g. an ExternalSecret) THEN an external database migrates as a Sync hook in wave -1', () => {
    const objects = jobObjects({ job: { runInSyncPhase: true } });
    expect(one(objects, 'Job').metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '-1' });
    expect(one(objects, 'ServiceAccount', 'litellm-migrate').metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '-2' });
    // The name hashes what the Job runs, not when: unchanged.
    expect(one(objects, 'Job').metadata.name).toBe(one(jobObjects(), 'Job').metadata.name);
    expect(() => jobObjects({ job: { runInSyncPhase: 'yes' as any } })).toThrow(/runInSyncPhase: received "yes"; must be true or false/);
  });

  test('the Job name changes with the image and stays put otherwise', () => {
    const name = (objects: any[]) => byKind(objects, 'Job')[0].metadata.name;
    const a = name(jobObjects());
    expect(a).toMatch(/^litellm-migrate-[0-9a-f]{8}$/);
    expect(name(jobObjects())).toBe(a);
    expect(name(jobObjects({ image: 'ghcr.io/berriai/litellm-non_root:v1.89.5' }))).not.toBe(a);
    expect(name(jobObjects({ cnpg: true }))).not.toBe(a);
  });

  test('NetworkPolicy: no ingress; egress to DNS and the database only', () => {
    const np = one(jobObjects(), 'NetworkPolicy', 'litellm-migrate');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([]);
    expect(np.spec.egress).toHaveLength(2);
    expect(np.spec.egress[1]).toEqual({ ports: [{ protocol: 'TCP', port: 5432 }] });
  });

  test('GIVEN a CNPG database THEN the cluster admits the Job', () => {
    const np = one(jobObjects({ cnpg: true }), 'NetworkPolicy', 'litellm-db-postgres');
    expect(JSON.stringify(np.spec.ingress)).toMatch(/"app.kubernetes.io\/component":"migrations"/);
  });

  test('the proxy pull secrets are mirrored', () => {
    const pod = byKind(jobObjects({ pullSecrets: ['ghcr'] }), 'Job')[0].spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'ghcr' }]);
  });

  test.each([
    [{ waitTimeoutSeconds: 5 }, /waitTimeoutSeconds: received 5; must be an integer from 10 to 3600/],
    [{ waitTimeoutSeconds: 600, activeDeadlineSeconds: 600 }, /activeDeadlineSeconds: received 600; must exceed waitTimeoutSeconds \(600\)/],
    [{ backoffLimit: -1 }, /backoffLimit: received -1; must be an integer from 0 to 10/],
    [{ memory: 'lots' }, /memory: received "lots"; must be a memory quantity/],
  ])('GIVEN %j THEN it is rejected', (job, message) => {
    expect(() => jobObjects({ job })).toThrow(message);
  });

  test('GIVEN a database the proxy was not given THEN it is rejected', () => {
    expect(() => synth(chart => {
      const proxy = proxyIn(chart, { database: new ExternalPostgres({ url }) });
      new MigrationJob(chart, 'Migrations', { proxy, database: new ExternalPostgres({ url: { name: 'other', key: 'url' } }) });
    })).toThrow(/database: received .*must be the database passed to the proxy/);
  });
});
