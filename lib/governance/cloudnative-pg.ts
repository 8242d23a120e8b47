import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Cluster, ClusterSpecPrimaryUpdateStrategy, ClusterSpecResourcesLimits, ClusterSpecResourcesRequests } from '../../imports/postgresql.cnpg.io';
import { DatabaseIdentity, chartNamespace, networkAddress } from '../app-checks';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { EgressRule, NetworkPeer, renderPeer, renderPorts, validatePeer } from '../network';
import { parseImage } from '../image';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { dns1035Label, dns1123Label, dns1123Subdomain, integer, nonEmptyString } from '../validate';
import { ARGO_SYNC_WAVE, SyncWave } from '../argocd';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { DatabaseConnection, IDatabaseEndpoint } from './database-endpoint';
import { bindDatabase } from './database-wiring';

/**
 * The operand image CloudNativePG 1.30.0 uses when none is given
 * (cloudnative-pg pkg/versions/versions.go @ v1.30.0, DefaultImageName).
 * Pinned here so an operator upgrade does not silently move PostgreSQL.
 */
export const DEFAULT_CNPG_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie';
/** PostgreSQL's port; the instance manager's status endpoint is 8000 (CNPG docs: networking.md). */
const POSTGRES_PORT = 5432;
const INSTANCE_MANAGER_PORT = 8000;
/** Label CNPG puts on every pod of a cluster (pkg/utils/labels_annotations.go, ClusterLabelName). */
const CLUSTER_LABEL = 'cnpg.io/cluster';

/** Longest Cluster name: room for the suffixes CNPG appends (`-rw`, `-app`, `-1-initdb-xxxxx`) within its own 50. */
export const CNPG_NAME_MAX = 40;

export interface CloudNativePgDatabaseProps {
  /** Name of the Cluster; its Services are `<name>-rw`/`-ro`/`-r`, its app Secret `<name>-app`. @default the construct id, lower-cased */
  readonly name?: string;
  /**
   * PostgreSQL instances (one primary, the rest streaming standbys).
   * @default 2: a standby to fail over to, and a single-instance cluster's PodDisruptionBudget blocks node drains (CNPG docs: kubernetes_upgrade.md)
   */
  readonly instances?: number;
  /** PostgreSQL image, pinned. @default `ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie` (CNPG 1.30.0's default) */
  readonly image?: string;
  /** Size of each instance's volume. @default '10Gi' */
  readonly storageSize?: string;
  /** StorageClass of the volumes. @default the cluster's default StorageClass */
  readonly storageClass?: string;
  /** CPU per instance, request and limit (Guaranteed QoS, as CNPG recommends: resource_management.md). @default '500m' */
  readonly cpu?: string;
  /** Memory per instance, request and limit. @default '1Gi' */
  readonly memory?: string;
  /** PostgreSQL `max_connections`. @default 100 (PostgreSQL's default) */
  readonly maxConnections?: number;
  /**
   * Connections kept back from LiteLLM's budget: `superuser_reserved_connections`
   * (3) plus the instance manager, monitoring and an administrator.
   * @default 10
   */
  readonly reservedConnections?: number;
  /** Further PostgreSQL parameters (`postgresql.parameters`); `max_connections` has its own prop. @default none */
  readonly parameters?: { [key: string]: string };
  /** Database created at bootstrap. @default 'litellm' */
  readonly database?: string;
  /** Owner of that database (the app user in `<name>-app`). @default 'litellm' */
  readonly owner?: string;
  /** Namespace of the CloudNativePG operator, which must reach the instances on 8000 and 5432. @default 'cnpg-system' */
  readonly operatorNamespace?: string;
}

/**
 * PostgreSQL run in the cluster by the CloudNativePG operator: a `Cluster`
 * whose generated `<name>-app` Secret (key `uri`) becomes LiteLLM's
 * `DATABASE_URL`, and a NetworkPolicy that admits only the operator, the
 * instances themselves and the clients wired to it. The instance pods'
 * security contexts are the operator's (restricted-compliant by default).
 */
export class CloudNativePgDatabase extends Construct implements IDatabaseEndpoint {
  /** The CNPG Cluster (the primary child, id `Resource`). */
  public readonly cluster: Cluster;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  public readonly name: string;
  public readonly credentials: DatabaseConnection;
  public readonly port = POSTGRES_PORT;
  public readonly maxConnections: number;
  public readonly egress: EgressRule;
  public readonly deployedWithChart = true;
  /** Labels of the instance pods. */
  public readonly podSelector: { [key: string]: string };
  /** The database created at bootstrap. */
  public readonly databaseName: string;

  private readonly clients: NetworkPeer[] = [];

  constructor(scope: Construct, id: string, props: CloudNativePgDatabaseProps = {}) {
    super(scope, id);
    try {
      // CNPG's webhook wants a DNS-1035 label: the Cluster's name becomes its Services' names.
      this.name = dns1035Label('name', props.name ?? id.toLowerCase(), CNPG_NAME_MAX);
      const instances = integer('instances', props.instances ?? 2, 1, 9);
      const image = parseImage('image', props.image ?? DEFAULT_CNPG_IMAGE, { example: DEFAULT_CNPG_IMAGE });
      const tag = image.tag ?? '';
      if (image.digest === undefined && !/^\d+(\.\d+)*([._-].*)?$/.test(tag)) {
        throw new LiteLLMConfigError('image', props.image, 'CloudNativePG reads the PostgreSQL major version from the tag: it must start with it, e.g. "18.4-system-trixie"');
      }
      const storageSize = formatMemory(parseMemoryBytes('storageSize', props.storageSize ?? '10Gi'));
      const cpu = formatCpu(parseCpuMillis('cpu', props.cpu ?? '500m'));
      const memory = formatMemory(parseMemoryBytes('memory', props.memory ?? '1Gi'));
      const maxConnections = integer('maxConnections', props.maxConnections ?? 100, 10, 10000);
      const reserved = integer('reservedConnections', props.reservedConnections ?? 10, 3);
      if (reserved >= maxConnections) {
        throw new LiteLLMConfigError('reservedConnections', reserved, `must be less than maxConnections (${maxConnections}) so LiteLLM has connections left`);
      }
      this.maxConnections = maxConnections - reserved;
      const parameters = { ...(props.parameters ?? {}) };
      for (const [k, v] of Object.entries(parameters)) {
        if (k === 'max_connections') throw new LiteLLMConfigError('parameters.max_connections', v, 'use the maxConnections prop: the connection budget is checked against it');
        if (typeof v !== 'string') throw new LiteLLMConfigError(`parameters.${k}`, v, 'PostgreSQL parameters are strings, e.g. "256MB"');
      }
      const database = nonEmptyString('database', props.database ?? 'litellm');
      this.databaseName = database;
      const owner = nonEmptyString('owner', props.owner ?? 'litellm');
      const operatorNamespace = dns1123Label('operatorNamespace', props.operatorNamespace ?? 'cnpg-system');

      this.podSelector = { [CLUSTER_LABEL]: this.name };
      // CNPG names the app Secret `<cluster>-app` and writes `uri` as postgresql://user:pass@<cluster>-rw.<ns>:5432/<db>
      // (pkg/specs/secrets.go @ v1.30.0).
      this.credentials = DatabaseConnection.fromUrl({ name: `${this.name}-app`, key: 'uri' });
      this.egress = { peers: [{ podLabels: this.podSelector }], ports: [POSTGRES_PORT], reason: `PostgreSQL (CloudNativePG cluster ${this.name})` };

      const labels = standardLabels(this.name, 'database');
      const annotations = { [ARGO_SYNC_WAVE]: String(SyncWave.STATE) };

      this.cluster = new Cluster(this, 'Resource', {
        metadata: { name: this.name, labels, annotations },
        spec: {
          instances,
          imageName: image.reference,
          // The operator switches over to an updated standby itself (the CNPG default, stated so it is visible).
          primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
          enableSuperuserAccess: false,
          postgresql: { parameters: { ...parameters, max_connections: String(maxConnections) } },
          bootstrap: { initdb: { database, owner } },
          storage: { size: storageSize, ...(props.storageClass !== undefined ? { storageClass: dns1123Subdomain('storageClass', props.storageClass) } : {}) },
          resources: {
            requests: { cpu: ClusterSpecResourcesRequests.fromString(cpu), memory: ClusterSpecResourcesRequests.fromString(memory) },
            limits: { cpu: ClusterSpecResourcesLimits.fromString(cpu), memory: ClusterSpecResourcesLimits.fromString(memory) },
          },
        },
      });

      const operator: NetworkPeer = { namespace: operatorNamespace, podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } };
      const self: NetworkPeer = { podLabels: this.podSelector };
      this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: { name: `${this.name}-postgres`, labels, annotations },
        spec: {
          podSelector: { matchLabels: this.podSelector },
          // Ingress only: the instance manager must reach the Kubernetes API, whose address a policy cannot name portably.
          policyTypes: ['Ingress'],
          ingress: Lazy.any({
            produce: () => [
              // CNPG docs (networking.md): the operator reaches every instance on 8000 (status) and 5432.
              { from: [renderPeer(operator)], ports: renderPorts('ports', [INSTANCE_MANAGER_PORT, POSTGRES_PORT]) },
              // Instances replicate from each other.
              { from: [renderPeer(self)], ports: renderPorts('ports', [INSTANCE_MANAGER_PORT, POSTGRES_PORT]) },
              ...(this.clients.length > 0 ? [{ from: this.clients.map(renderPeer), ports: renderPorts('ports', [POSTGRES_PORT]) }] : []),
            ],
          }),
        },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** Wires this database into a proxy (the proxy calls this with its `database` prop). */
  public bind(proxy: LiteLLMProxy): void {
    bindDatabase(proxy, this);
  }

  /** Admits a client (the proxy, the migration Job) to PostgreSQL's port; one in another namespace by that namespace too. */
  public admitClient(peer: NetworkPeer, clientNamespace?: string): void {
    validatePeer('database client', peer);
    const elsewhere = clientNamespace !== undefined && peer.namespace === undefined && clientNamespace !== chartNamespace(this);
    this.clients.push(elsewhere ? { ...peer, namespace: clientNamespace } : peer);
  }

  /** The cluster's `-rw` Service as the server, and its bootstrap database. */
  public identityFor(_clientNamespace?: string): DatabaseIdentity {
    const key = networkAddress(`${this.name}-rw`, POSTGRES_PORT, chartNamespace(this));
    const server = { key, label: `CloudNativePG cluster ${this.name} (${key})`, maxConnections: this.maxConnections, declared: false };
    return { server, key: `${key}/${this.databaseName}`, label: `"${this.databaseName}" on ${server.label}` };
  }
}
