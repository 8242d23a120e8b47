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

export const SYNC_WAVES = {
  namespace: -4,
  /** Redis and an in-chart database (CNPG Cluster, waited on through Argo CD's built-in health check). */
  state: -3,
  /** The migration Job's ServiceAccount and NetworkPolicy: before the Job that uses them. */
  migrationPrerequisites: -2,
  /** The migration Job itself: before the proxy when it runs in the Sync phase. */
  migrations: -1,
  proxy: 0,
  edge: 1,
} as const;

/**
 * Annotates every ApiObject below `scope` with `wave`, leaving objects that
 * already carry a wave or are hooks (the migration Job) as their owner set them.
 */
export function applySyncWave(scope: IConstruct, wave: number): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const annotations: Record<string, string> = child.metadata.toJson().annotations ?? {};
    if (annotations[ARGO_SYNC_WAVE] !== undefined || annotations[ARGO_HOOK] !== undefined) continue;
    child.metadata.addAnnotation(ARGO_SYNC_WAVE, String(wave));
  }
}
