import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { assertConnectionBudget } from './connection-budget';
import { IDatabaseEndpoint, databaseEnv, validateCredentials } from './database-endpoint';

/**
 * Wires a database into a proxy: the connection env from Secrets, egress, no
 * schema updates from pods, and a synth-time check that the connection pools
 * fit the database.
 */
export function connectDatabase(proxy: LiteLLMProxy, database: IDatabaseEndpoint): void {
  const credentials = validateCredentials('database.credentials', database.credentials);
  for (const env of databaseEnv(credentials)) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) proxy.addSecretEnv(env.name, { name: ref.name ?? '', key: ref.key });
    else proxy.addEnv(env.name, env.value ?? '');
  }
  // Migrations run once, in the migration Job; pods racing on schema changes is litellm#14400.
  proxy.addEnv('DISABLE_SCHEMA_UPDATE', 'true');
  database.admitClient({ podLabels: proxy.podSelector });
  proxy.addEgress(database.egress);
  // At synth, not now: governance settings may set the pool limit after the proxy is built.
  proxy.node.addValidation({
    validate: () => {
      assertConnectionBudget(proxy, database);
      return [];
    },
  });
}
