import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AppProject } from '../../imports/argoproj.io';
import { ARGO_SYNC_WAVE } from '../argocd';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { dns1123Label, dns1123Subdomain, nonEmptyString } from '../validate';

/** Props of {@link LiteLLMAppProject}. */
export interface LiteLLMAppProjectProps {
  /** The project's name, which its Applications name in `spec.project`. @default the construct id, lower-cased */
  readonly name?: string;
  /** The namespace its Application deploys into (the Application's destination): always a permitted destination. */
  readonly namespace: string;
  /**
   * The objects its Application syncs (e.g. a {@link GitOpsFolder}'s objects). The project
   * permits exactly their kinds, their namespaces and, by name, the cluster-scoped ones among
   * them, read from the synthesized objects at synth time.
   */
  readonly objects: ApiObject[];
  /** The Git repository its Application syncs from (the only permitted source). */
  readonly repoURL: string;
  /** Cluster API server. @default 'https://kubernetes.default.svc' */
  readonly destinationServer?: string;
  /** Namespace Argo CD watches for Applications and AppProjects. @default 'argocd' */
  readonly argoCdNamespace?: string;
}

/** Argo CD's finalizer on an AppProject: the project stays until no Application names it (controller/appcontroller.go finalizeProjectDeletion). */
const PROJECT_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** AppProjects are synced before the Applications that name them (wave 0) by the root Application. */
export const PROJECT_SYNC_WAVE = -1;

/**
 * Cluster-scoped kinds, by `group/kind`, for objects that still carry their chart's namespace
 * (cdk8s stamps it on every object; the API server ignores it on these). Any object without a
 * namespace is taken as cluster-scoped too.
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace', '/Node', '/PersistentVolume', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment', 'scheduling.k8s.io/PriorityClass', 'networking.k8s.io/IngressClass', 'node.k8s.io/RuntimeClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'apiregistration.k8s.io/APIService', 'certificates.k8s.io/CertificateSigningRequest', 'cert-manager.io/ClusterIssuer',
  'gateway.networking.k8s.io/GatewayClass', 'external-secrets.io/ClusterSecretStore',
]);

/** Objects already rendered by the App writing them (GitOpsApp.synthFiles): derived from, not rendered twice. */
const rendered = new WeakMap<ApiObject, any>();

/** @internal Records an object's rendered JSON for the projects that derive from it (the App's writer calls it). */
export function _rememberRendered(obj: ApiObject, json: any): void {
  rendered.set(obj, json);
}

/** What a project permits, derived from the objects its Application syncs. */
interface Permits {
  readonly destinations: string[];
  readonly namespaced: Array<{ group: string; kind: string }>;
  readonly cluster: Array<{ group: string; kind: string; name: string }>;
}

/** The kinds, namespaces and cluster-scoped names of `objects`, sorted (the same bytes on every run). */
export function projectPermits(namespace: string, objects: readonly ApiObject[]): Permits {
  const namespaces = new Set<string>();
  const namespaced = new Map<string, { group: string; kind: string }>();
  const cluster = new Map<string, { group: string; kind: string; name: string }>();
  for (const obj of objects) {
    const json = rendered.get(obj) ?? obj.toJson();
    const apiVersion = String(json.apiVersion ?? '');
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const kind = String(json.kind);
    const ns: string | undefined = json.metadata?.namespace;
    if (ns === undefined || CLUSTER_SCOPED.has(`${group}/${kind}`)) {
      const name = String(json.metadata?.name);
      cluster.set(`${group}/${kind}/${name}`, { group, kind, name });
    } else {
      namespaces.add(ns);
      namespaced.set(`${group}/${kind}`, { group, kind });
    }
  }
  namespaces.delete(namespace);
  const byKey = <T extends { group: string; kind: string }>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
  return { destinations: [namespace, ...[...namespaces].sort()], namespaced: byKey(namespaced), cluster: byKey(cluster) };
}

/**
 * An Argo CD AppProject that confines one Application to what it deploys:
 * its Git repository as the only source, its namespace (and any other
 * namespace its objects name) as the only destinations, exactly the kinds of
 * its objects (`namespaceResourceWhitelist`), and of cluster-scoped objects
 * only those it holds, by name (its own Namespace). Argo CD refuses to sync
 * anything else (controller/sync.go validateSyncPermissions), so a tenant's
 * Application cannot write into another tenant's namespace or create
 * cluster-wide objects. It is synced in wave -1, before the Applications, and
 * carries Argo CD's finalizer: it is deleted only once no Application names it.
 *
 * The `name` of a `clusterResourceWhitelist` entry needs Argo CD 3.3 or later
 * (argoproj/argo-cd#24674); a stack with `createNamespace: false` emits no
 * cluster-scoped object, and its project works with any 2.x or 3.x.
 */
export class LiteLLMAppProject extends Construct {
  /** The AppProject (the primary child, id `Resource`). */
  public readonly project: AppProject;
  /** Its name. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: LiteLLMAppProjectProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'LiteLLMAppProject needs props with namespace, objects and repoURL');
      }
      this.name = dns1123Subdomain('name', props.name ?? id.toLowerCase());
      if (this.name === 'default') {
        throw new LiteLLMConfigError('name', this.name, 'is Argo CD\'s own project, which this one would overwrite: choose another name');
      }
      const namespace = dns1123Label('namespace', props.namespace);
      const repoURL = nonEmptyString('repoURL', props.repoURL);
      if (!Array.isArray(props.objects) || props.objects.some(o => !(o instanceof ApiObject))) {
        throw new LiteLLMConfigError('objects', props.objects, 'must be a list of the ApiObjects the project\'s Application syncs');
      }
      const objects = [...props.objects];
      const server = props.destinationServer ?? 'https://kubernetes.default.svc';
      let permits: Permits | undefined;
      const permitted = (): Permits => (permits ??= projectPermits(namespace, objects));

      this.project = new AppProject(this, 'Resource', {
        metadata: {
          name: this.name,
          namespace: dns1123Label('argoCdNamespace', props.argoCdNamespace ?? 'argocd'),
          labels: standardLabels(namespace, 'gitops'),
          annotations: { [ARGO_SYNC_WAVE]: String(PROJECT_SYNC_WAVE) },
          finalizers: [PROJECT_FINALIZER],
        },
        spec: {
          description: `LiteLLM gateway in namespace ${namespace}: its Application may deploy only its own kinds, into its own namespace (generated by cdk8s-litellm)`,
          sourceRepos: [repoURL],
          destinations: Lazy.any({ produce: () => permitted().destinations.map(ns => ({ server, namespace: ns })) }),
          // Unset or empty, Argo CD permits no cluster-scoped object at all (app_project_types.go IsGroupKindNamePermitted).
          clusterResourceWhitelist: Lazy.any({ produce: () => (permitted().cluster.length > 0 ? permitted().cluster : undefined) }),
          // Unset it would permit every namespaced kind: a folder without namespaced objects denies them all instead.
          namespaceResourceWhitelist: Lazy.any({ produce: () => (permitted().namespaced.length > 0 ? permitted().namespaced : undefined) }),
          namespaceResourceBlacklist: Lazy.any({ produce: () => (permitted().namespaced.length > 0 ? undefined : [{ group: '*', kind: '*' }]) }),
        } as any,
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }
}
