import { Construct } from 'constructs';
import { Application } from '../../imports/argoproj.io';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { boolean, dns1123Label, dns1123Subdomain, nonEmptyString } from '../validate';

/** What one stack's Application may set differently from the App's (see {@link GitOpsApp.configureApplication}). */
export interface ApplicationOverrides {
  /** Branch, tag or commit. @default 'HEAD' */
  readonly targetRevision?: string;
  /** Argo CD project. @default 'default' */
  readonly project?: string;
  /** Sync automatically, pruning removed objects and undoing drift. @default true */
  readonly automated?: boolean;
}

/** Props of {@link LiteLLMApplication}. */
export interface LiteLLMApplicationProps extends ApplicationOverrides {
  /** Namespace the stack deploys into (the Application's destination). */
  readonly namespace: string;
  /** Git repository that holds the synthesized manifests. */
  readonly repoURL: string;
  /**
   * Folder of the stack's manifests in that repository, e.g. `dist/litellm-production`
   * (with `YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE`, one folder per stack).
   */
  readonly path: string;
  /** Only these files of the folder (a glob, Argo CD `directory.include`), for one-file-per-chart output. @default every file */
  readonly include?: string;
  /** Cluster API server. @default 'https://kubernetes.default.svc' (the cluster Argo CD runs in) */
  readonly destinationServer?: string;
  /** Namespace Argo CD watches for Applications. @default 'argocd' */
  readonly argoCdNamespace?: string;
}

/**
 * An Argo CD Application that syncs one synthesized stack from Git: the
 * rendered-manifests pattern (Argo CD has no cdk8s plugin; the committed
 * `dist/` is what it applies). Place it in a chart of its own, outside the
 * folder it syncs.
 */
export class LiteLLMApplication extends Construct {
  /** The Application (the primary child, id `Resource`). */
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: LiteLLMApplicationProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'LiteLLMApplication needs props with namespace, repoURL and path');
      }
      const name = dns1123Subdomain('name', id.toLowerCase());
      const namespace = dns1123Label('namespace', props.namespace);
      const repoURL = nonEmptyString('repoURL', props.repoURL);
      if (!/^(https:\/\/|ssh:\/\/|git@)\S+$/.test(repoURL)) {
        throw new LiteLLMConfigError('repoURL', repoURL, 'must be a Git URL (https://..., ssh://... or git@host:path)');
      }
      const path = nonEmptyString('path', props.path);
      if (path.startsWith('/') || path.split('/').includes('..')) {
        throw new LiteLLMConfigError('path', path, 'must be a folder relative to the repository root, without ".."');
      }
      const automated = boolean('automated', props.automated ?? true);

      this.application = new Application(this, 'Resource', {
        metadata: {
          name,
          namespace: dns1123Label('argoCdNamespace', props.argoCdNamespace ?? 'argocd'),
          labels: standardLabels(namespace, 'gitops'),
          // Deleting the Application deletes what it deployed.
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: props.project ?? 'default',
          source: {
            repoUrl: repoURL,
            targetRevision: props.targetRevision ?? 'HEAD',
            path,
            directory: { recurse: false, ...(props.include !== undefined ? { include: nonEmptyString('include', props.include) } : {}) },
          },
          destination: { server: props.destinationServer ?? 'https://kubernetes.default.svc', namespace },
          syncPolicy: {
            ...(automated ? { automated: { prune: true, selfHeal: true } } : {}),
            // The stack emits its own Namespace (with Pod Security labels); waves order the rest.
            syncOptions: ['CreateNamespace=false', 'PruneLast=true'],
            retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
          },
        },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }
}
