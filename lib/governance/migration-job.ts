import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AppChecks, chartNamespace } from '../app-checks';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels, selectorLabels } from '../labels';
import { dnsEgress, renderEgress } from '../network';
import { restrictedContainerSecurityContext } from '../pod-security';
import { proxyImageJobSpec } from '../proxy/job';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { boolean, integer } from '../validate';
import { ARGO_HOOK, ARGO_HOOK_DELETE_POLICY, ARGO_SYNC_WAVE, SyncWave } from '../argocd';
import { IDatabaseEndpoint, databaseEnv, validateCredentials } from './database-endpoint';
import { WAIT_FOR_POSTGRES_SCRIPT } from './wait-for-postgres';

export interface MigrationJobProps {
  /** The proxy whose image, database and pull secrets the Job mirrors. */
  readonly proxy: LiteLLMProxy;
  /** The database the proxy was given. */
  readonly database: IDatabaseEndpoint;
  /** How long the Job waits for the database to accept connections before failing. @default 300 */
  readonly waitTimeoutSeconds?: number;
  /** Retries of a failed pod (`backoffLimit`). @default 2 */
  readonly backoffLimit?: number;
  /**
   * Hard limit on the whole Job (`activeDeadlineSeconds`), every retry included.
   * @default 900: the wait, plus LiteLLM's own four 60 s `prisma migrate deploy` attempts, plus margin
   */
  readonly activeDeadlineSeconds?: number;
  /** How long a finished Job (and its logs) is kept (`ttlSecondsAfterFinished`). @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Run as a `Sync` hook in wave -1 even for an external database, as for one the
   * sync creates: when the same sync writes the Secret the Job reads (a stack's
   * ExternalSecrets, wave -4), a `PreSync` hook would start before that Secret exists.
   * @default false: a `PreSync` hook for an external database
   */
  readonly runInSyncPhase?: boolean;
  /** CPU request. @default '250m' */
  readonly cpu?: string;
  /** Memory request; the limit is twice this. @default '512Mi' (python importing the proxy, plus node running the Prisma CLI) */
  readonly memory?: string;
}

const MIGRATION_DIR = '/var/lib/litellm/migrations';
const WORKDIR = '/app';

/**
 * Runs LiteLLM's migration script (`python litellm/proxy/prisma_migration.py`,
 * workingDir /app, as the official chart does) exactly once per change, before
 * the proxy rolls out:
 *
 * - an init container waits until PostgreSQL accepts connections (bounded, see
 *   {@link WAIT_FOR_POSTGRES_SCRIPT});
 * - under Argo CD it is a `PreSync` hook (`BeforeHookCreation`) for an external
 *   database; for a database created by the same sync it runs as a `Sync` hook
 *   in wave -1, after the database (wave -3) is healthy and before the proxy
 *   (wave 0): a PreSync hook would wait for a database that is only created after it;
 * - its name carries a hash of the pod template (image, env, command), so a
 *   plain `kubectl apply` creates a new Job whenever anything it runs changes
 *   (a Job's template is immutable) and leaves an unchanged one alone.
 */
export class MigrationJob extends Construct {
  /** The Job (the primary child, id `Resource`). */
  public readonly job: k8s.KubeJob;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The Job's name, `<proxy>-migrate-<hash>`: `kubectl wait --for=condition=complete job/<name>` before rolling the proxy without Argo CD. */
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null || props.proxy === undefined || props.database === undefined) {
        throw new LiteLLMConfigError(id, props, 'MigrationJob needs { proxy, database }');
      }
      const { proxy, database } = props;
      const credentials = validateCredentials('database.credentials', database.credentials);
      const dbEnv = databaseEnv(credentials);
      // The Job must migrate the database the proxy uses, not another one.
      const proxyEnv = JSON.stringify(proxy.environment.filter(e => dbEnv.some(d => d.name === e.name)));
      if (proxyEnv !== JSON.stringify(dbEnv)) {
        throw new LiteLLMConfigError('database', database.credentials, 'must be the database passed to the proxy (its `database` prop)');
      }
      const waitTimeout = integer('waitTimeoutSeconds', props.waitTimeoutSeconds ?? 300, 10, 3600);
      const deadline = integer('activeDeadlineSeconds', props.activeDeadlineSeconds ?? 900, 60);
      if (deadline <= waitTimeout) {
        throw new LiteLLMConfigError('activeDeadlineSeconds', deadline, `must exceed waitTimeoutSeconds (${waitTimeout}) so the migration itself has time to run`);
      }
      const backoffLimit = integer('backoffLimit', props.backoffLimit ?? 2, 0, 10);
      const ttl = integer('ttlSecondsAfterFinished', props.ttlSecondsAfterFinished ?? 86400, 0);
      const cpuMillis = parseCpuMillis('cpu', props.cpu ?? '250m');
      const memoryBytes = parseMemoryBytes('memory', props.memory ?? '512Mi');

      const baseName = `${proxy.name}-migrate`;
      const labels = standardLabels(proxy.name, 'migrations');
      const podSelector = selectorLabels(proxy.name, 'migrations');

      // Under Argo CD: PreSync for a database that already exists; for one created by this
      // sync, a Sync hook ordered after it. The ServiceAccount and NetworkPolicy are hooks of
      // the same phase one wave earlier, so they exist before the Job on a first install.
      const inSync = database.deployedWithChart || (props.runInSyncPhase !== undefined && boolean('runInSyncPhase', props.runInSyncPhase));
      const phase = inSync ? 'Sync' : 'PreSync';
      const hook = (wave: number): Record<string, string> => ({
        [ARGO_HOOK]: phase,
        // Replace the previous run's object at the next sync; keep it until then to read its logs.
        [ARGO_HOOK_DELETE_POLICY]: 'BeforeHookCreation',
        [ARGO_SYNC_WAVE]: String(inSync ? wave : wave - SyncWave.MIGRATIONS),
      });

      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: { name: baseName, labels, annotations: hook(SyncWave.MIGRATION_PREREQUISITES) },
        // The migration never calls the Kubernetes API.
        automountServiceAccountToken: false,
      });

      const clientNamespace = chartNamespace(this);
      database.admitClient({ podLabels: podSelector }, clientNamespace);
      // One migration Job per database, and its connection counts against the server (App-wide checks).
      AppChecks.of(this).claimMigration(this, database.identityFor(clientNamespace));
      this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: { name: baseName, labels, annotations: hook(SyncWave.MIGRATION_PREREQUISITES) },
        spec: {
          podSelector: { matchLabels: podSelector },
          // Nothing connects to the Job; it reaches DNS and the database only.
          policyTypes: ['Ingress', 'Egress'],
          ingress: [],
          egress: [dnsEgress(), renderEgress(database.egress, 'database.egress')],
        },
      });

      const resources: k8s.ResourceRequirements = {
        requests: { cpu: k8s.Quantity.fromString(formatCpu(cpuMillis)), memory: k8s.Quantity.fromString(formatMemory(memoryBytes)) },
        limits: { memory: k8s.Quantity.fromString(formatMemory(2 * memoryBytes)) },
      };
      const emptyDir = (name: string, sizeLimit: string): k8s.Volume => ({ name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } });

      const containers: k8s.Container[] = [{
        name: 'migrate',
        image: proxy.image.reference,
        imagePullPolicy: 'IfNotPresent',
        workingDir: WORKDIR,
        command: ['python', 'litellm/proxy/prisma_migration.py'],
        env: [
          ...dbEnv,
          // The one place schema changes are applied (the proxy pods set "true").
          { name: 'DISABLE_SCHEMA_UPDATE', value: 'false' },
          // Without it a failed migration only logs "continuing startup" and the Job succeeds (litellm/proxy/proxy_cli.py).
          { name: 'ENFORCE_PRISMA_MIGRATION_CHECK', value: 'true' },
          // litellm_proxy_extras copies migrations and schema.prisma here: the root filesystem is read-only.
          { name: 'LITELLM_MIGRATION_DIR', value: MIGRATION_DIR },
          // Caches on the writable /tmp. Not an emptyDir on /app/.cache: the image bakes the Prisma CLI
          // and engines under /app/.cache/prisma-python (PRISMA_BINARY_CACHE_DIR), which it would hide.
          { name: 'XDG_CACHE_HOME', value: '/tmp/.cache' },
          { name: 'NPM_CONFIG_CACHE', value: '/tmp/.npm' },
          // No Prisma update check: egress is limited to the database.
          { name: 'CHECKPOINT_DISABLE', value: '1' },
        ],
        resources,
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'migrations', mountPath: MIGRATION_DIR },
        ],
      }];
      const initContainers: k8s.Container[] = [{
        name: 'wait-for-database',
        image: proxy.image.reference,
        imagePullPolicy: 'IfNotPresent',
        command: ['python', '-c', WAIT_FOR_POSTGRES_SCRIPT],
        env: [...dbEnv, { name: 'WAIT_TIMEOUT_SECONDS', value: String(waitTimeout) }],
        resources: {
          requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
          limits: { memory: k8s.Quantity.fromString('128Mi') },
        },
        securityContext: restrictedContainerSecurityContext(),
      }];

      // The hash covers everything the pod runs; pull secrets and hook annotations are left out (they change nothing it does).
      const hash = createHash('sha256').update(JSON.stringify({ containers, initContainers, backoffLimit, deadline })).digest('hex').slice(0, 8);
      // A Job's name is copied into a pod label (63 characters at most).
      this.jobName = `${baseName.slice(0, 63 - 9)}-${hash}`;

      this.job = new k8s.KubeJob(this, 'Resource', {
        metadata: { name: this.jobName, labels, annotations: hook(SyncWave.MIGRATIONS) },
        spec: proxyImageJobSpec(proxy, {
          labels, podSelector, serviceAccountName: this.serviceAccount.name,
          backoffLimit, activeDeadlineSeconds: deadline, ttlSecondsAfterFinished: ttl,
          initContainers, containers, volumes: [emptyDir('tmp', '512Mi'), emptyDir('migrations', '64Mi')],
        }),
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }
}

