import { LiteLLMConfigError } from '../errors';
import { ConfigSection } from './config';
import { IProxyDatabase } from './bindings';
import type { LiteLLMProxy } from './litellm-proxy';

/** LiteLLM's default `database_connection_pool_limit` (litellm/proxy/proxy_cli.py, LiteLLMDatabaseConnectionPool). */
export const DEFAULT_POOL_LIMIT = 10;
/**
 * Extra pods during a rollout: the proxy Deployment uses maxSurge 1, so while
 * it rolls at its maximum size one more pod holds a pool of its own.
 */
export const ROLLOUT_SURGE_PODS = 1;
/**
 * The migration Job: `prisma migrate deploy` and the post-migration
 * `prisma migrate diff` run one after the other, each over a single
 * schema-engine connection (litellm_proxy_extras/utils.py).
 */
export const MIGRATION_CONNECTIONS = 1;

/** How many connections the proxy can open at most, with the terms for error messages. */
export interface ConnectionBudget {
  readonly poolLimit: number;
  readonly workers: number;
  readonly pods: number;
  readonly total: number;
}

/**
 * Connections LiteLLM may hold at once. The pool limit is per worker process
 * (docs/proxy/prod.md: total = limit × workers × pods), and every pod of a
 * rollout counts.
 */
export function connectionBudget(proxy: LiteLLMProxy): ConnectionBudget {
  const configured = proxy.config.get(ConfigSection.GENERAL_SETTINGS, 'database_connection_pool_limit');
  const poolLimit = typeof configured === 'number' ? configured : DEFAULT_POOL_LIMIT;
  const pods = proxy.maxReplicas + ROLLOUT_SURGE_PODS;
  return { poolLimit, workers: proxy.workers, pods, total: poolLimit * proxy.workers * pods + MIGRATION_CONNECTIONS };
}

/** Throws when the proxy could open more connections than the database accepts. */
export function assertConnectionBudget(proxy: LiteLLMProxy, database: IProxyDatabase): void {
  const b = connectionBudget(proxy);
  if (b.total > database.maxConnections) {
    const fitting = Math.floor((database.maxConnections - MIGRATION_CONNECTIONS) / (b.workers * b.pods));
    throw new LiteLLMConfigError('governance.databaseConnectionPoolLimit', b.poolLimit,
      `database_connection_pool_limit ${b.poolLimit} × ${b.workers} worker(s) × ${b.pods} pod(s) `
      + `(${proxy.maxReplicas} maximum replica(s) + ${ROLLOUT_SURGE_PODS} rollout surge) + ${MIGRATION_CONNECTIONS} migration = ${b.total} connections, `
      + `more than the database's maxConnections ${database.maxConnections}; `
      + (fitting >= 1 ? `set a pool limit of at most ${fitting}, ` : '')
      + 'or lower workers/replicas, or raise the database\'s max_connections');
  }
}

/**
 * The largest per-worker pool (at most LiteLLM's default) with which every
 * worker of every pod, a rollout's surge pod and the migration fit
 * `maxConnections`. At least 1: when even that does not fit, the
 * connection-budget check explains the numbers.
 */
export function fittingPoolLimit(workers: number, maxReplicas: number, maxConnections: number): number {
  const processes = workers * (maxReplicas + ROLLOUT_SURGE_PODS);
  return Math.max(1, Math.min(DEFAULT_POOL_LIMIT, Math.floor((maxConnections - MIGRATION_CONNECTIONS) / processes)));
}
