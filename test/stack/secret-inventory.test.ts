import { Testing } from 'cdk8s';
import {
  Edge, GatewayImplementation, LiteLLMConfigError, LiteLLMFleet, LiteLLMStack, LiteLLMStackProps, PriorityShare, Presets, SecretInventory, SecretProvider,
  SecretRequirement, SecretStoreKind,
} from '../../lib';
import { looksLikeSecret } from '../../lib/credentials';
import { policyViolations } from '../support/policy';
import { schemaErrors } from '../support/schema';
import { byKind, one } from '../support/synth';
import { SYNC_WAVE, allBefore, baseStack } from './helpers';

/**
 * An independent reading of the manifests: every Secret name and key any
 * field of any object names, found by field name wherever it sits (a new
 * shape of reference that the inventory does not know fails here).
 */
function referencedKeys(objects: any[]): Set<string> {
  const out = new Set<string>();
  for (const obj of objects) {
    if (obj.kind === 'ExternalSecret') continue; // it writes the Secret it names
    const ns = obj.metadata?.namespace;
    const walk = (v: any, parentKey: string): void => {
      if (Array.isArray(v)) { v.forEach(x => walk(x, parentKey)); return; }
      if (typeof v !== 'object' || v === null) return;
      for (const [k, child] of Object.entries<any>(v)) {
        if (k === 'secretKeyRef' || k === 'secretTargetRef') {
          for (const r of Array.isArray(child) ? child : [child]) out.add(`${ns}/${r.name}/${r.key}`);
        } else if (k === 'secretRef') {
          out.add(`${ns}/${child.name}/*`);
        } else if (k === 'imagePullSecrets') {
          for (const r of child) out.add(`${ns}/${r.name}/.dockerconfigjson`);
        } else if (k === 'secret' && typeof child === 'object' && (child.secretName !== undefined || child.name !== undefined)) {
          const name = child.secretName ?? child.name;
          for (const key of child.items?.map((i: any) => i.key) ?? ['*']) out.add(`${ns}/${name}/${key}`);
        } else if (k === 'secretName' && typeof child === 'string' && parentKey !== 'secret') {
          for (const key of ['tls.crt', 'tls.key']) out.add(`${ns}/${child}/${key}`);
        } else {
          walk(child, k);
        }
      }
    };
    walk(obj, '');
  }
  return out;
}

const inventoryKeys = (reqs: SecretRequirement[]): Set<string> =>
  new Set(reqs.flatMap(r => r.keys.map(k => `${r.namespace}/${r.name}/${k.key}`)));

const secret = (name: string, key: string) => ({ name, key });
const models = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('llm-provider-keys', 'openai'), rpm: 600 },
  { name: 'gpt-4o', model: 'azure/gpt-4o', apiBase: 'https://example.openai.azure.com', apiKey: secret('llm-provider-keys', 'azure') },
  { name: 'claude', model: 'anthropic/claude-sonnet-4-5', apiKey: secret('llm-provider-keys', 'anthropic') },
];
const full: Partial<LiteLLMStackProps> = {
  models,
  saltKey: secret('litellm-salt-key', 'salt-key'),
  redis: { password: secret('litellm-redis', 'password') },
  edge: Edge.ingressNginx({ tls: { secretName: 'llm-tls' } }),
  hosts: ['llm.example.com'],
  database: { external: { host: 'pg.example.com', database: 'litellm', usernameSecret: secret('pg', 'user'), password: secret('pg', 'password') } },
  proxy: { imagePullSecrets: ['registry'], secretEnv: { SLACK_WEBHOOK_URL: secret('alerting', 'slack') } },
  extraConfig: { generalSettings: { alerting: ['slack'] } },
  governance: { priorityReservation: { shares: { prod: PriorityShare.fraction(0.75) }, license: secret('litellm-license', 'key') } },
  access: { teams: [{ id: 'a', models: ['gpt-4o'] }], keys: [{ alias: 'ci', value: secret('litellm-virtual-keys', 'ci'), team: 'a' }] },
};
const build = (props: Partial<LiteLLMStackProps> = {}): LiteLLMStack =>
  new LiteLLMStack(Testing.app(), 'stack', { ...baseStack, ...props } as LiteLLMStackProps);

describe('secret inventory', () => {
  const stack = build(full);
  const objects = Testing.synth(stack);
  const inventory = stack.secretInventory;

  test('THEN it matches every Secret reference in the synthesized manifests: none missing, none extra', () => {
    expect(inventoryKeys(inventory)).toEqual(referencedKeys(objects));
    expect(inventory.length).toBe(10);
  });

  test('THEN each Secret has its keys, what each is for, who reads it and who makes it; sorted', () => {
    const byName = Object.fromEntries(inventory.map(r => [r.name, r]));
    expect(inventory.map(r => r.name)).toEqual([...inventory.map(r => r.name)].sort());
    expect(byName['llm-provider-keys'].keys.map(k => [k.key, k.purpose])).toEqual([
      ['anthropic', 'the API key of model claude (config.yaml model_list)'],
      ['azure', 'the API key of model gpt-4o (config.yaml model_list)'],
      ['openai', 'the API key of model gpt-4o (config.yaml model_list)'],
    ]);
    expect(byName['litellm-master'].keys).toEqual([{
      key: 'master-key',
      purpose: expect.stringMatching(/^the master key \(general_settings\.master_key\)/),
      usedBy: ['Deployment/litellm env LITELLM_MASTER_KEY', expect.stringMatching(/^Job\/litellm-access-[0-9a-f]{8} env LITELLM_MASTER_KEY$/)],
    }]);
    expect(byName['litellm-salt-key'].keys[0].purpose).toMatch(/never change it once models are stored/);
    expect(byName['litellm-redis'].keys[0].purpose).toBe('the password the in-cluster Redis requires (AUTH); the password the proxy gives Redis (AUTH) for its shared limits, cooldowns and cache');
    expect(byName['litellm-redis'].usedBy).toEqual(['Deployment/litellm', 'StatefulSet/litellm-redis']);
    expect(byName.pg.keys.map(k => [k.key, k.purpose])).toEqual([['password', 'the PostgreSQL password'], ['user', 'the PostgreSQL user']]);
    expect(byName['litellm-virtual-keys'].keys[0].purpose).toBe('the value of virtual key "ci" (declared in access.keys)');
    expect(byName['litellm-license'].keys[0].purpose).toBe('the LiteLLM Enterprise licence key');
    expect(byName.alerting.keys[0].purpose).toBe('the environment variable SLACK_WEBHOOK_URL');
    expect(byName.registry).toMatchObject({ type: 'kubernetes.io/dockerconfigjson', keys: [{ key: '.dockerconfigjson', usedBy: expect.arrayContaining(['Deployment/litellm imagePullSecrets']) }] });
    expect(byName['llm-tls']).toMatchObject({ type: 'kubernetes.io/tls', provider: SecretProvider.USER, usedBy: ['Ingress/litellm'] });
    expect(inventory.every(r => r.namespace === 'llm')).toBe(true);
    expect(new Set(inventory.map(r => r.provider))).toEqual(new Set([SecretProvider.USER]));
  });

  test('GIVEN operator-made Secrets THEN they are listed with their maker, not as yours', () => {
    const s = build({
      redis: { password: secret('litellm-redis', 'password') }, database: { cloudNativePg: {} },
      edge: Edge.traefik({ tls: { clusterIssuer: 'letsencrypt' } }), hosts: ['llm.example.com'],
    });
    const objs = Testing.synth(s);
    const reqs = s.secretInventory;
    expect(inventoryKeys(reqs)).toEqual(referencedKeys(objs));
    expect(reqs.find(r => r.name === 'litellm-db-app')).toMatchObject({ provider: SecretProvider.CLOUDNATIVE_PG, type: 'kubernetes.io/basic-auth', keys: [{ key: 'uri' }] });
    expect(reqs.find(r => r.name === 'litellm-tls')).toMatchObject({ provider: SecretProvider.CERT_MANAGER, usedBy: ['Certificate/litellm', 'IngressRoute/litellm'] });
    const ingress = build({ redis: { password: secret('r', 'p') }, edge: Edge.ingressNginx({ tls: { issuer: 'local-ca' } }), hosts: ['llm.example.com'] });
    expect(ingress.secretInventory.find(r => r.name === 'litellm-tls')?.provider).toBe(SecretProvider.CERT_MANAGER);
  });

  test('GIVEN a reference added after construction (a JSON patch, a later env var) THEN the inventory sees it', () => {
    const s = build({ redis: { password: secret('r', 'p') } });
    s.proxy.addSecretEnv('DRAIN_ENDPOINT_TOKEN', secret('drain', 'token'));
    expect(s.secretInventory.find(r => r.name === 'drain')?.keys).toEqual([{
      key: 'token', purpose: 'the token of /health/drain (X-Drain-Token header)', usedBy: ['Deployment/litellm env DRAIN_ENDPOINT_TOKEN'],
    }]);
  });

  test('GIVEN a fleet THEN each tenant has its own inventory, and the fleet lists them all by namespace', () => {
    const app = Testing.app();
    const fleet = new LiteLLMFleet(app, 'fleet', {
      models: [models[0]], masterKey: secret('litellm-master-key', 'master-key'), redis: { password: secret('litellm-redis', 'password') },
      tenants: [{ name: 'team-a' }, { name: 'team-b', masterKey: secret('team-b-master', 'key') }],
    });
    const all = fleet.secretInventory;
    expect(all.map(r => `${r.namespace}/${r.name}`)).toEqual([
      'team-a/litellm-master-key', 'team-a/litellm-redis', 'team-a/llm-provider-keys',
      'team-b/litellm-redis', 'team-b/llm-provider-keys', 'team-b/team-b-master',
    ]);
    expect(fleet.stack('team-b').secretInventory).toEqual(all.filter(r => r.namespace === 'team-b'));
    expect(inventoryKeys(all)).toEqual(referencedKeys(fleet.stacks.flatMap(s => Testing.synth(s))));
  });

  test('THEN toMarkdown prints one row per key, names only', () => {
    const md = SecretInventory.of(stack).toMarkdown();
    expect(md.split('\n')[0]).toBe('| namespace | Secret | type | provided by | key | used for | read by |');
    expect(md.trim().split('\n')).toHaveLength(2 + inventory.reduce((n, r) => n + r.keys.length, 0));
    expect(md).toContain('| llm | llm-provider-keys | Opaque | user | openai | the API key of model gpt-4o (config.yaml model_list) | Deployment/litellm env LITELLM_SECRET_LLM_PROVIDER_KEYS_OPENAI |');
  });
});

describe('externalSecrets', () => {
  const eso = { storeRef: { name: 'vault', kind: SecretStoreKind.CLUSTER_SECRET_STORE }, remoteKeyPrefix: 'llm/prod/' };
  const stack = build({ ...full, externalSecrets: eso });
  const objects = Testing.synth(stack);
  const externalSecrets = byKind(objects, 'ExternalSecret');

  test('THEN one ExternalSecret per Secret you would otherwise create, named after it, owning it', () => {
    expect(externalSecrets.map(o => o.metadata.name)).toEqual([
      'alerting', 'litellm-license', 'litellm-master', 'litellm-redis', 'litellm-salt-key', 'litellm-virtual-keys', 'llm-provider-keys', 'llm-tls', 'pg', 'registry',
    ]);
    expect(one(objects, 'ExternalSecret', 'llm-provider-keys').spec).toEqual({
      secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' },
      refreshInterval: '1h',
      target: { name: 'llm-provider-keys', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [
        { secretKey: 'anthropic', remoteRef: { key: 'llm/prod/llm-provider-keys', property: 'anthropic' } },
        { secretKey: 'azure', remoteRef: { key: 'llm/prod/llm-provider-keys', property: 'azure' } },
        { secretKey: 'openai', remoteRef: { key: 'llm/prod/llm-provider-keys', property: 'openai' } },
      ],
    });
    expect(stack.secretInventory.every(r => r.provider === SecretProvider.EXTERNAL_SECRETS)).toBe(true);
  });

  test('THEN TLS and image pull Secrets keep their types', () => {
    expect(one(objects, 'ExternalSecret', 'llm-tls').spec.target.template).toEqual({ type: 'kubernetes.io/tls' });
    expect(one(objects, 'ExternalSecret', 'registry').spec.target.template).toEqual({ type: 'kubernetes.io/dockerconfigjson' });
    expect(one(objects, 'ExternalSecret', 'registry').spec.data).toEqual([{ secretKey: '.dockerconfigjson', remoteRef: { key: 'llm/prod/registry', property: '.dockerconfigjson' } }]);
  });

  test('THEN every ExternalSecret passes the ESO v2.9.0 schema, and nothing else changes: no value, same pods and NetworkPolicies', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
    const without = Testing.synth(build(full));
    const rest = (objs: any[]) => objs.filter(o => o.kind !== 'ExternalSecret');
    // Only the migration Job's phase moves (PreSync → Sync, after the Secrets); pods, NetworkPolicies and the rest are as without.
    const hooks = (objs: any[]) => objs.map(o => (o.metadata?.labels?.['app.kubernetes.io/component'] === 'migrations'
      ? { ...o, metadata: { ...o.metadata, annotations: undefined } } : o));
    expect(hooks(rest(objects))).toEqual(hooks(without));
    expect(byKind(without, 'Job').find(j => j.metadata.name.startsWith('litellm-migrate')).metadata.annotations['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(byKind(objects, 'Job').find(j => j.metadata.name.startsWith('litellm-migrate')).metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync', [SYNC_WAVE]: '-1',
    });
    for (const es of externalSecrets) expect(looksLikeSecret(JSON.stringify(es))).toBe(false);
  });

  test('THEN they sync before everything that reads a Secret (the Namespace\'s wave; custom resources come after Namespaces in a wave)', () => {
    expect(new Set(externalSecrets.map(o => o.metadata.annotations[SYNC_WAVE]))).toEqual(new Set(['-4']));
    const readers = objects.filter(o => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
    expect(allBefore(externalSecrets, readers)).toBe(true);
  });

  test('GIVEN operator-made Secrets THEN no ExternalSecret competes with the operator', () => {
    const objs = Testing.synth(build({
      redis: { password: secret('r', 'p') }, database: { cloudNativePg: {} }, edge: Edge.traefik({ tls: { clusterIssuer: 'le' } }), hosts: ['llm.example.com'],
      externalSecrets: eso,
    }));
    expect(byKind(objs, 'ExternalSecret').map(o => o.metadata.name)).toEqual(['litellm-master', 'provider-keys', 'r']);
  });

  test('GIVEN a virtual key added after construction to a known Secret THEN its key is fetched too', () => {
    const s = build({ ...full, externalSecrets: eso });
    s.access!.addKey({ alias: 'ci2', value: secret('litellm-virtual-keys', 'ci2'), team: 'a' });
    expect(one(Testing.synth(s), 'ExternalSecret', 'litellm-virtual-keys').spec.data.map((d: any) => d.secretKey)).toEqual(['ci', 'ci2']);
  });

  test('GIVEN a Secret first referenced after construction THEN synth fails rather than leave it unfetched', () => {
    const s = build({ ...full, externalSecrets: eso });
    s.access!.addKey({ alias: 'late', value: secret('late-keys', 'late'), team: 'a' });
    expect(() => Testing.synth(s)).toThrow(/^\[stack\] externalSecrets: received "late-keys"; Secret "late-keys" \(read by Job\/litellm-access-[0-9a-f]+\) was first referenced after the stack was built/);
  });

  test('GIVEN remoteRefs and exclude THEN those keys come from elsewhere and excluded Secrets get none', () => {
    const objs = Testing.synth(build({
      ...full,
      externalSecrets: {
        ...eso, refreshInterval: '15m', storeRef: { name: 'aws' },
        remoteRefs: [{ secretName: 'llm-provider-keys', key: 'openai', remoteKey: 'shared/openai', property: 'key', version: 'AWSCURRENT' }],
        exclude: ['llm-tls', 'registry'],
      },
    }));
    const es = one(objs, 'ExternalSecret', 'llm-provider-keys');
    expect(es.spec.secretStoreRef).toEqual({ name: 'aws', kind: 'SecretStore' });
    expect(es.spec.refreshInterval).toBe('15m');
    expect(es.spec.data.find((d: any) => d.secretKey === 'openai').remoteRef).toEqual({ key: 'shared/openai', property: 'key', version: 'AWSCURRENT' });
    expect(byKind(objs, 'ExternalSecret').map(o => o.metadata.name)).not.toContain('llm-tls');
  });

  test('GIVEN a fleet THEN each tenant gets its ExternalSecrets, a tenant\'s options merged over the fleet\'s', () => {
    const app = Testing.app();
    const fleet = new LiteLLMFleet(app, 'fleet', {
      models: [models[0]], masterKey: secret('litellm-master-key', 'master-key'), redis: { password: secret('litellm-redis', 'password') },
      externalSecrets: { storeRef: { name: 'vault', kind: SecretStoreKind.CLUSTER_SECRET_STORE }, remoteKeyPrefix: 'llm/' },
      tenants: [{ name: 'team-a' }, { name: 'team-b', externalSecrets: { remoteKeyPrefix: 'llm/team-b/' } as any }],
    });
    const [a, b] = fleet.stacks.map(s => one(Testing.synth(s), 'ExternalSecret', 'litellm-master-key'));
    expect(a.spec.data[0].remoteRef.key).toBe('llm/litellm-master-key');
    expect(b.metadata.namespace).toBe('team-b');
    expect(b.spec.secretStoreRef).toEqual({ name: 'vault', kind: 'ClusterSecretStore' });
    expect(b.spec.data[0].remoteRef.key).toBe('llm/team-b/litellm-master-key');
  });

  test('GIVEN the Gateway API edge with Envoy Gateway THEN the inventory and ExternalSecrets are unaffected by the edge', () => {
    const s = build({
      redis: { password: secret('r', 'p') }, externalSecrets: eso,
      edge: Edge.gatewayApi({ gateway: { name: 'public', namespace: 'gw' }, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY }),
      hosts: ['llm.example.com'],
    });
    expect(s.secretInventory.map(r => r.name)).toEqual(['litellm-master', 'provider-keys', 'r']);
  });

  test.each([
    ['a refresh interval with a space', { refreshInterval: '1 h' }, /^\[stack\] externalSecrets\.refreshInterval: received "1 h"; must be a Go duration such as "1h"/],
    ['a refresh interval in days', { refreshInterval: '1d' }, /externalSecrets\.refreshInterval: received "1d"; must be a Go duration/],
    ['an unknown store kind', { storeRef: { name: 'vault', kind: 'Vault' } }, /externalSecrets\.storeRef\.kind: received "Vault"; must be one of SecretStoreKind\.SECRET_STORE/],
    ['a store name that is no DNS name', { storeRef: { name: 'Vault Store' } }, /externalSecrets\.storeRef\.name: received "Vault Store"; must be a DNS-1123 subdomain/],
    ['a remote key with whitespace', { remoteKeyPrefix: 'llm /' }, /externalSecrets\.remoteKeyPrefix: received "llm \/"; must name a key in the provider/],
  ])('GIVEN %s THEN it is an error at synth naming the prop', (_what, options, message) => {
    expect(() => build({ ...full, externalSecrets: { ...eso, ...options } as any })).toThrow(message);
  });

  test('GIVEN a credential where a remote key belongs THEN it is refused, and not repeated', () => {
    let error: unknown;
    try {
      build({ ...full, externalSecrets: { ...eso, remoteRefs: [{ secretName: 'pg', key: 'password', remoteKey: 'sk-live-0123456789abcdefghij' }] } });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(LiteLLMConfigError);
    expect((error as Error).message).toMatch(/externalSecrets\.remoteRefs\[0\]\.remoteKey: received \(a value that looks like a credential, hidden\); must be the name of a secret in the provider, never the secret itself/);
    expect((error as Error).message).not.toContain('0123456789abcdefghij');
  });

  test.each([
    ['an exclude that names no Secret of the stack', { exclude: ['llm-provider-key'] },
      /externalSecrets\.exclude\[0\]: received "llm-provider-key"; is not a Secret this stack reads \(it reads .*\) \(did you mean "llm-provider-keys"\?\)/],
    ['a remote reference for an unknown key', { remoteRefs: [{ secretName: 'llm-provider-keys', key: 'openia', remoteKey: 'x' }] },
      /externalSecrets\.remoteRefs\[0\]\.key: received "openia"; is not a key the stack reads from Secret llm-provider-keys \(it reads anthropic, azure, openai\) \(did you mean "openai"\?\)/],
    ['a remote reference for an excluded Secret', { exclude: ['pg'], remoteRefs: [{ secretName: 'pg', key: 'password', remoteKey: 'db/password' }] },
      /externalSecrets\.remoteRefs\[0\]\.secretName: received "pg"; is also in externalSecrets\.exclude/],
    ['two remote references for one key', { remoteRefs: [{ secretName: 'pg', key: 'password', remoteKey: 'a' }, { secretName: 'pg', key: 'password', remoteKey: 'b' }] },
      /externalSecrets\.remoteRefs\[1\]\.key: received "password"; externalSecrets\.remoteRefs\[0\] already maps pg\/password/],
  ])('GIVEN %s THEN it is an error naming the prop', (_what, options, message) => {
    expect(() => Testing.synth(build({ ...full, externalSecrets: { ...eso, ...options } as any }))).toThrow(message);
  });

  test('GIVEN an operator-made Secret in exclude THEN it is an error', () => {
    expect(() => Testing.synth(build({
      redis: { password: secret('r', 'p') }, database: { cloudNativePg: {} }, externalSecrets: { ...eso, exclude: ['litellm-db-app'] },
    }))).toThrow(/externalSecrets\.exclude\[0\]: received "litellm-db-app"; is written by cloudnative-pg, not by an ExternalSecret of the stack/);
  });

  test('GIVEN the production preset THEN the stack still passes every policy with ExternalSecrets', () => {
    const objs = Testing.synth(build({ ...full, preset: Presets.production(), externalSecrets: eso }));
    expect(policyViolations(objs)).toEqual([]);
  });
});

describe('the README\'s inventory', () => {
  test('THEN the table under "Secrets: what each stack reads" is what the README\'s example stack prints', () => {
    const { readFileSync } = require('fs') as typeof import('fs');
    const readme = readFileSync(require('path').join(__dirname, '../../README.md'), 'utf8');
    const block = /<!-- secret-inventory:begin -->\n([\s\S]*?)<!-- secret-inventory:end -->/.exec(readme);
    expect(block).not.toBeNull();
    // The README's script builds exactly this stack.
    expect(readme).toContain("edge: Edge.gatewayApi({ gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' }, controllerNamespace: 'envoy-gateway-system' }),");
    // The example of the README's main.ts (and of its secrets.ts).
    const app = Testing.app();
    new LiteLLMStack(app, 'llm-gateway', {
      namespace: 'litellm',
      preset: Presets.production(),
      models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('llm-provider-keys', 'openai'), rpm: 600 }],
      masterKey: secret('litellm-master-key', 'master-key'),
      saltKey: secret('litellm-salt-key', 'salt-key'),
      redis: { password: secret('litellm-redis', 'password') },
      edge: Edge.gatewayApi({ gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' }, controllerNamespace: 'envoy-gateway-system' }),
      hosts: ['llm.example.com'],
    });
    expect(block![1]).toBe(SecretInventory.of(app).toMarkdown());
  });
});
