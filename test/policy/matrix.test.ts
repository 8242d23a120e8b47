import { Testing } from 'cdk8s';
import { EdgeController, LiteLLMStack, LiteLLMStackProps, Presets, StackPreset, WorkerSizing } from '../../lib';
import { EDGE_CONTROLLERS, EdgeCase, stackEdge } from '../support/edges';
import { nameViolations } from '../support/expectations';
import { policyViolations } from '../support/policy';
import { schemaErrors } from '../support/schema';
import { byKind } from '../support/synth';

/**
 * The policy gate over a representative matrix of whole stacks (issue 8):
 * both presets x the four edge controllers x Redis (in-cluster, external,
 * none) x database (none, external Postgres, CloudNativePG). Every object of
 * every stack must pass the policy gate with no exception and the strict
 * schema check.
 */

type RedisChoice = 'in-cluster' | 'external' | 'none';
type DatabaseChoice = 'none' | 'external' | 'cloudnative-pg';
const PRESETS = { edge: Presets.edge(), production: Presets.production() } as const;
const REDIS: readonly RedisChoice[] = ['in-cluster', 'external', 'none'];
const DATABASES: readonly DatabaseChoice[] = ['none', 'external', 'cloudnative-pg'];

interface Case {
  readonly preset: keyof typeof PRESETS;
  readonly controller: EdgeController;
  readonly redis: RedisChoice;
  readonly database: DatabaseChoice;
}

/**
 * The edge for a controller. The production preset requires TLS: a Secret
 * for the ingress controllers (cert-manager issues it for Traefik, to cover
 * the Certificate too); for the Gateway API it terminates on the Gateway's
 * listener, which the route names with sectionName.
 */
function edgeFor(controller: EdgeController, preset: keyof typeof PRESETS): EdgeCase {
  const hosts = [preset === 'edge' ? 'llm.home.arpa' : 'llm.example.com'];
  const tls = preset === 'production' ? { tls: controller === EdgeController.TRAEFIK ? { clusterIssuer: 'letsencrypt' } : { secretName: 'llm-tls' } } : {};
  switch (controller) {
    case EdgeController.GATEWAY_API:
      return {
        controller, hosts,
        gateway: { name: 'public', namespace: 'gateway', ...(preset === 'production' ? { sectionName: 'https' } : {}) },
        controllerNamespace: 'envoy-gateway-system',
      };
    case EdgeController.INGRESS_NGINX: return { controller, hosts, ...tls, allowSourceRanges: ['10.0.0.0/8', '192.168.0.0/16'] };
    case EdgeController.NGINX_INC: return { controller, hosts, ...tls, allowSourceRanges: ['10.0.0.0/8'] };
    case EdgeController.TRAEFIK: return { controller, hosts, ...tls };
  }
}

/**
 * Stack props for one case. "No Redis" turns the preset's in-cluster Redis
 * off, and then the proxy must not run several processes that each count
 * limits on their own, unless the user consents:
 *  - edge preset (one replica): one Uvicorn worker per pod (WorkerSizing
 *    onePerPod via the preset's `workers`), so one process and exact limits,
 *    which is what a single box without Redis should run;
 *  - production preset (2-6 replicas): several processes are the point, so
 *    `acceptPerReplicaLimits: true`, the documented consent to per-process limits.
 */
function propsFor(c: Case): LiteLLMStackProps {
  let preset: StackPreset = PRESETS[c.preset];
  let proxy: LiteLLMStackProps['proxy'];
  if (c.redis !== 'in-cluster') {
    preset = { ...preset, inClusterRedis: false };
    if (c.redis === 'none') {
      if (c.preset === 'edge') preset = { ...preset, workers: WorkerSizing.onePerPod() };
      else proxy = { acceptPerReplicaLimits: true };
    }
  }
  const redis: LiteLLMStackProps['redis'] = c.redis === 'in-cluster' ? { password: { name: 'redis-auth', key: 'password' } }
    : c.redis === 'external' ? { external: { host: 'cache.example.com', password: { name: 'redis-auth', key: 'password' }, cidr: '10.40.0.0/16' } }
      : undefined;
  const database: LiteLLMStackProps['database'] = c.database === 'external'
    ? { external: { url: { name: 'litellm-db', key: 'url' }, peers: [{ cidr: '10.20.0.0/24' }] } }
    : c.database === 'cloudnative-pg' ? { cloudNativePg: {} } : undefined;
  return {
    namespace: 'llm',
    preset,
    models: [
      { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
      { name: 'claude', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'provider-keys', key: 'anthropic' } },
    ],
    masterKey: { name: 'litellm-master', key: 'master-key' },
    ...(database ? {
      saltKey: { name: 'litellm-master', key: 'salt-key' }, database, governance: { keyParamLimits: { maxBudget: 100 } },
      // Governance as code: the reconciler Job, its desired state and NetworkPolicy.
      access: { teams: [{ id: 'platform', models: ['gpt-4o'], maxBudget: 100 }], keys: [{ alias: 'platform-ci', value: { name: 'access-keys', key: 'platform-ci' }, team: 'platform' }] },
    } : {}),
    ...(redis ? { redis } : {}),
    ...(proxy ? { proxy } : {}),
    ...(c.redis !== 'none' ? { cache: { ttlSeconds: 300 } } : {}),
    ...stackEdge(edgeFor(c.controller, c.preset)),
  };
}

const CASES: Case[] = (Object.keys(PRESETS) as (keyof typeof PRESETS)[]).flatMap(preset => EDGE_CONTROLLERS.flatMap(controller =>
  REDIS.flatMap(redis => DATABASES.map(database => ({ preset, controller, redis, database })))));
const name = (c: Case) => `${c.preset} preset, ${c.controller}, Redis ${c.redis}, database ${c.database}`;

describe('policy matrix over whole stacks', () => {
  test('the matrix covers both presets x four controllers x Redis (3) x database (3)', () => {
    expect(CASES).toHaveLength(2 * 4 * 3 * 3);
  });

  test.each(CASES.map(c => [name(c), c] as const))('%s: policy clean and strictly schema-valid', (label, c) => {
    const objects = Testing.synth(new LiteLLMStack(Testing.app(), 'stack', propsFor(c)));
    expect(policyViolations(objects)).toEqual([]);
    expect(schemaErrors(objects)).toEqual([]);
    expect(nameViolations(objects)).toEqual([]);
    // The parts the case asks for are there (the matrix really varies what it claims to).
    const kinds = new Set(objects.map(o => o.kind));
    expect(kinds.has('StatefulSet')).toBe(c.redis === 'in-cluster');
    expect(kinds.has('Cluster')).toBe(c.database === 'cloudnative-pg');
    expect(byKind(objects, 'Job')).toHaveLength(c.database !== 'none' ? 2 : 0);
    expect(kinds.has('HorizontalPodAutoscaler')).toBe(c.preset === 'production');
  });
});
