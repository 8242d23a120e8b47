import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Argo CD ordering, in one place (argo-cd docs: user-guide/sync-waves.md,
 * user-guide/resource_hooks.md). Lower waves are applied, and must be healthy,
 * before higher ones; state comes first, then migrations, the proxy, the edge.
 */
export const ARGO_HOOK = 'argocd.argoproj.io/hook';
export const ARGO_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const ARGO_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/** The Argo CD sync waves a stack's objects are annotated with, and a way to put your own objects in one. */
export class SyncWave {
  /** The stack's Namespace. */
  public static readonly NAMESPACE = -4;
  /**
   * The stack's ExternalSecrets: the Namespace's wave, before everything that reads a
   * Secret. Within a wave Argo CD applies Namespaces first and custom resources last
   * (user-guide/sync-waves.md), and the wave ends only when each ExternalSecret is
   * healthy, i.e. its Secret is written (Argo CD's built-in health check,
   * resource_customizations/external-secrets.io/ExternalSecret/health.lua).
   */
  public static readonly SECRETS = -4;
  /** Redis and an in-chart database (a CloudNativePG Cluster, waited on through Argo CD's built-in health check). */
  public static readonly STATE = -3;
  /** The migration Job's ServiceAccount and NetworkPolicy: before the Job that uses them. */
  public static readonly MIGRATION_PREREQUISITES = -2;
  /** The migration Job itself: before the proxy when it runs in the Sync phase. */
  public static readonly MIGRATIONS = -1;
  /** The proxy, its alerts, dashboard and the governance reconciler's objects. */
  public static readonly PROXY = 0;
  /** The ingress or route. */
  public static readonly EDGE = 1;

  /**
   * Annotates every ApiObject below `scope` with `wave`, leaving objects that
   * already carry a wave or are hooks (the migration Job) as their owner set them.
   */
  public static apply(scope: IConstruct, wave: number): void {
    for (const child of scope.node.findAll()) {
      if (!(child instanceof ApiObject)) continue;
      const annotations: Record<string, string> = child.metadata.toJson().annotations ?? {};
      if (annotations[ARGO_SYNC_WAVE] !== undefined || annotations[ARGO_HOOK] !== undefined) continue;
      child.metadata.addAnnotation(ARGO_SYNC_WAVE, String(wave));
    }
  }

  private constructor() {}
}
