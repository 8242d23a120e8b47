import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { secretKeyRef } from '../secret';
import { IDatabaseEndpoint } from './database-endpoint';

/** Wires a database into a proxy: DATABASE_URL from its Secret, egress, no schema updates from pods. */
export function connectDatabase(proxy: LiteLLMProxy, database: IDatabaseEndpoint): void {
  proxy.addSecretEnv('DATABASE_URL', secretKeyRef('database.url', database.url));
  // Migrations run once, in the migration Job; pods racing on schema changes is litellm#14400.
  proxy.addEnv('DISABLE_SCHEMA_UPDATE', 'true');
  database.admitClient({ podLabels: proxy.podSelector });
  proxy.addEgress(database.egress);
}
