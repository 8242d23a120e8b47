import { App, Chart, YamlOutputType } from 'cdk8s';
import { LiteLLMApplication, LiteLLMStack, LiteLLMStackProps, Presets } from './lib';

// The default app: `npm run synth` writes one folder per stack into dist/,
// one file per object, so each Argo CD Application syncs exactly one folder.
const app = new App({ yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });

// Secrets are referenced, never created: provision them with External Secrets,
// Sealed Secrets or `kubectl create secret` (see README, "Secrets you supply").
const common = {
  models: [
    { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
    { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 300 },
  ],
  masterKey: { name: 'litellm-master-key', key: 'master-key' },
  saltKey: { name: 'litellm-salt-key', key: 'salt-key' },
  redis: { password: { name: 'litellm-redis', key: 'password' } },
} satisfies Partial<LiteLLMStackProps>;

const tls = { clusterIssuer: 'letsencrypt-prod' };
const hosts = ['llm.example.com'];

// One box (OrbStack on a Mac mini): one replica, workers from CPU, LoadBalancer, no TLS.
new LiteLLMStack(app, 'litellm-edge', {
  ...common,
  namespace: 'litellm-edge',
  preset: Presets.edge,
});

// Production behind ingress-nginx, with a CloudNativePG database, governance and the response cache.
new LiteLLMStack(app, 'litellm-production', {
  ...common,
  namespace: 'litellm',
  preset: Presets.production,
  cache: { ttlSeconds: 600 },
  edge: { controller: 'ingress-nginx', hosts, tls, allowSourceRanges: ['203.0.113.0/24'], maxRequestBodySize: '20m' },
  database: { cloudNativePg: { storageSize: '20Gi' } },
  governance: {
    maxParallelRequests: 200,
    defaultKeyParams: { rpmLimit: 60, tpmLimit: 100000, maxBudget: 50, budgetDuration: '30d' },
    keyParamLimits: { rpmLimit: 600, tpmLimit: 1000000, maxBudget: 500, budgetDuration: '30d' },
  },
});

// The same gateway behind each other controller.
new LiteLLMStack(app, 'litellm-nginx-inc', {
  ...common,
  namespace: 'litellm-nginx-inc',
  edge: { controller: 'nginx-inc', hosts, tls, allowSourceRanges: ['203.0.113.0/24'] },
  database: { external: { url: { name: 'litellm-database', key: 'url' }, maxConnections: 200 } },
});

new LiteLLMStack(app, 'litellm-traefik', {
  ...common,
  namespace: 'litellm-traefik',
  edge: { controller: 'traefik', hosts, tls, allowSourceRanges: ['203.0.113.0/24'] },
});

new LiteLLMStack(app, 'litellm-gateway-api', {
  ...common,
  namespace: 'litellm-gateway-api',
  edge: {
    controller: 'gateway-api',
    hosts,
    gateway: { name: 'public', namespace: 'gateways', sectionName: 'https', httpSectionName: 'http' },
    redirectHttpToHttps: true,
    controllerNamespace: 'envoy-gateway-system',
  },
});

// Argo CD Applications, one per stack folder, in a chart of their own (apply once, or app-of-apps).
const argocd = new Chart(app, 'argocd-applications', { disableResourceNameHashes: true });
for (const [stack, namespace] of [
  ['litellm-edge', 'litellm-edge'], ['litellm-production', 'litellm'], ['litellm-nginx-inc', 'litellm-nginx-inc'],
  ['litellm-traefik', 'litellm-traefik'], ['litellm-gateway-api', 'litellm-gateway-api'],
] as const) {
  new LiteLLMApplication(argocd, stack, {
    namespace,
    repoURL: 'https://git.example.com/platform/llm-gateway.git',
    path: `dist/${stack}`,
  });
}

app.synth();
