import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ARGO_HOOK, ARGO_SYNC_WAVE } from '../governance/argo-cd';

/**
 * Argo CD sync waves of a stack (argo-cd docs, user-guide/sync-waves.md):
 * lower waves are applied, and must be healthy, before higher ones.
 * State comes first, then migrations, then the proxy, then the edge.
 */
export const SYNC_WAVES = {
  namespace: -4,
  /** Redis and an in-cluster database: the proxy's dependencies. */
  state: -3,
  /** The migration Job (and its ServiceAccount/NetworkPolicy, one wave earlier). */
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
