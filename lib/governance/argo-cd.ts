/**
 * Argo CD ordering for the database and its migrations
 * (argo-cd docs: user-guide/sync-waves.md, user-guide/resource_hooks.md).
 * Lower waves are applied, and must be healthy, before higher ones; regular
 * resources sit in wave 0.
 */
export const ARGO_HOOK = 'argocd.argoproj.io/hook';
export const ARGO_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const ARGO_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/** An in-chart database (CNPG Cluster): first, and waited on through Argo CD's built-in Cluster health check. */
export const DATABASE_WAVE = -3;
/** The migration Job's ServiceAccount and NetworkPolicy: before the Job that uses them. */
export const MIGRATION_PREREQUISITES_WAVE = -2;
/** The migration Job itself: before the proxy (wave 0) when it runs in the Sync phase. */
export const MIGRATION_WAVE = -1;
