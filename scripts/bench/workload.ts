// What a production user of the library declares for one gateway, shared by the benches so that
// the stack bench (scale.ts) and the fleet bench (fleet.ts) synthesize the same thing per tenant.
import type { ModelDeployment, SecretKeyRef } from '../../lib';

export const BENCH_MODELS: ModelDeployment[] = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
  { name: 'gpt-4o-mini', model: 'openai/gpt-4o-mini', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 3000, tpm: 1000000 },
  { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 400, tpm: 400000 },
];
export const BENCH_MASTER_KEY: SecretKeyRef = { name: 'litellm-master-key', key: 'master-key' };
export const BENCH_SALT_KEY: SecretKeyRef = { name: 'litellm-salt-key', key: 'salt-key' };
