// The TypeScript side of the error-parity check (scripts/python-roundtrip.sh): builds the
// refused inputs of refusals.py and prints each message as a JSON line, in the same order.
import { Testing } from 'cdk8s';
import { Edge, EdgeTls, ExternalRedisProps, FallbackTrigger, GovernanceReconcilerOptions, LiteLLMFleet, LiteLLMStack, Presets } from '../../lib';

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai') }];
const masterKey = secret('litellm-master', 'master-key');
const redis = { password: secret('redis', 'password') };

const attempts: Array<() => unknown> = [
  // A namespace with the wrong case and a trailing dot: raised while the stack is built.
  () => new LiteLLMStack(Testing.app(), 'gateway', { namespace: 'Team_A.', models, masterKey, redis }),
  // A Redis URL with its password where the host goes: the password is masked.
  () => new LiteLLMStack(Testing.app(), 'gateway', {
    namespace: 'llm', models, masterKey, redis: { external: { host: 'rediss://default:S3cr3t@cache.example.com:6380', password: secret('redis', 'password') } as ExternalRedisProps },
  }),
  // A tenant's key names a model in the wrong case: raised at synth, naming the tenant.
  () => {
    const app = Testing.app();
    new LiteLLMFleet(app, 'fleet', {
      preset: Presets.edge(), models, masterKey, redis,
      database: { serverOptions: { name: 'pg', host: 'pg.example.com', maxConnections: 100 } },
      tenants: [{ name: 'team-a' }, { name: 'team-b', access: { keys: [{ alias: 'ci', value: secret('keys', 'ci'), models: ['GPT-4o'] }] } as GovernanceReconcilerOptions }],
    });
    return app.synthYaml();
  },
  // Production preset, an ingress without TLS.
  () => new LiteLLMStack(Testing.app(), 'gateway', { namespace: 'llm', models, masterKey, redis, edge: Edge.traefik({ tls: undefined as EdgeTls | undefined }), hosts: ['llm.example.com'] }),
  // A context-window fallback to a model the stack does not have (an enum and a struct list from Python).
  () => new LiteLLMStack(Testing.app(), 'gateway', {
    namespace: 'llm', models, masterKey, redis, router: { fallbacks: [{ model: 'gpt-4o', to: ['gpt-4o-mini'], on: FallbackTrigger.CONTEXT_WINDOW }] },
  }),
];

for (const attempt of attempts) {
  try {
    attempt();
    console.log(JSON.stringify(null));
  } catch (e) {
    console.log(JSON.stringify((e as Error).message));
  }
}
