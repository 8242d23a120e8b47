import { AppChecks, chartNamespace } from '../app-checks';
import { addStackValidation } from '../errors';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { assertConnectionBudget, connectionBudget } from '../proxy/connection-budget';
import { IDatabaseEndpoint, databaseEnv, validateCredentials } from './database-endpoint';

/**
 * Wires a database into a proxy: the connection env from Secrets, egress, no
 * schema updates from pods, and a synth-time check that the connection pools
 * fit the database.
 */
export function bindDatabase(proxy: LiteLLMProxy, database: IDatabaseEndpoint): void {
  const credentials = validateCredentials('database.credentials', database.credentials);
  for (const env of databaseEnv(credentials)) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) proxy.addSecretEnv(env.name, { name: ref.name ?? '', key: ref.key });
    else proxy.addEnv(env.name, env.value ?? '');
  }
  // Migrations run once, in the migration Job; pods racing on schema changes is litellm#14400.
  proxy.addEnv('DISABLE_SCHEMA_UPDATE', 'true');
  const clientNamespace = chartNamespace(proxy);
  database.admitClient({ podLabels: proxy.podSelector }, clientNamespace);
  proxy.addEgress(database.egress);
  // At synth, not now: governance settings may set the pool limit after the proxy is built.
  addStackValidation(proxy, () => assertConnectionBudget(proxy, database));
  // Every client of one server counts against it together (App-wide check).
  AppChecks.of(proxy).claimDatabaseClient(proxy, database.identityFor(clientNamespace), () => {
    const b = connectionBudget(proxy);
    return { total: b.poolLimit * b.workers * b.pods, detail: `pool ${b.poolLimit} × ${b.workers} worker(s) × ${b.pods} pod(s)` };
  });
}
