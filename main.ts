import { Edge, GatewayImplementation, GitOpsApp, LiteLLMFleet, LiteLLMStack, Presets, SecretStoreKind } from './lib';

// The default app: `npm run synth` writes dist/ with one folder per stack (named by its
// namespace), one file per object, an Argo CD Application and an AppProject (confining it to
// its namespace and kinds) per stack folder in dist/argocd-applications/, and the root
// Application that syncs them in dist/argocd-bootstrap/ (the one file applied by hand).
const app = new GitOpsApp({
  argoCd: { repoURL: 'https://git.example.com/platform/llm-gateway.git', path: 'dist' },
});

// Secrets are referenced, never created: provision them with External Secrets,
// Sealed Secrets or `kubectl create secret` (see README, "Secrets: what each stack reads";
// `stack.secretInventory` lists them), or let a stack write ExternalSecrets (litellm-nginx-inc).
const common = {
  models: [
    { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
    { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 300 },
  ],
  masterKey: { name: 'litellm-master-key', key: 'master-key' },
  saltKey: { name: 'litellm-salt-key', key: 'salt-key' },
  redis: { password: { name: 'litellm-redis', key: 'password' } },
};

const tls = { clusterIssuer: 'letsencrypt-prod' };

// One box (OrbStack on a Mac mini): one replica, workers from CPU, LoadBalancer, no TLS.
new LiteLLMStack(app, 'litellm-edge', {
  ...common,
  namespace: 'litellm-edge',
  preset: Presets.edge(),
});

// Production behind ingress-nginx, with a CloudNativePG database, governance and the response cache.
new LiteLLMStack(app, 'litellm-production', {
  ...common,
  namespace: 'litellm',
  preset: Presets.production(),
  cache: { ttlSeconds: 600 },
  edge: Edge.ingressNginx({ tls, allowSourceRanges: ['203.0.113.0/24'], maxRequestBodySize: '20m' }),
  hosts: ['llm.example.com'],
  database: { cloudNativePg: { storageSize: '20Gi' } },
  // A worker holds at most 200 requests (streams included); beyond, 503 with Retry-After.
  proxy: { maxInFlightRequestsPerWorker: 200 },
  governance: {
    defaultKeyParams: { rpmLimit: 60, tpmLimit: 100000, maxBudget: 50, budgetDuration: '30d' },
    keyParamLimits: { rpmLimit: 600, tpmLimit: 1000000, maxBudget: 500, budgetDuration: '30d' },
  },
  // Governance as code: teams, a budget tier and keys, reconciled after each sync. Key values
  // come from the Secret litellm-virtual-keys (see README, "Governance as code").
  access: {
    teams: [
      { id: 'analytics', alias: 'Analytics', models: ['gpt-4o', 'claude-sonnet'], maxBudget: 400, budgetDuration: '30d', rpmLimit: 300 },
      { id: 'support-bot', alias: 'Support bot', models: ['claude-sonnet'], maxBudget: 200, budgetDuration: '30d' },
    ],
    budgets: [{ id: 'ci', maxBudget: 20, budgetDuration: '7d', rpmLimit: 60 }],
    keys: [
      { alias: 'analytics-ci', value: { name: 'litellm-virtual-keys', key: 'analytics-ci' }, team: 'analytics', budget: 'ci' },
      { alias: 'support-bot-prod', value: { name: 'litellm-virtual-keys', key: 'support-bot-prod' }, team: 'support-bot', rpmLimit: 120 },
    ],
  },
});

// The same gateway behind the other ingress controllers (hosts of their own: one host per
// ingress class, and both nginx controllers default to the class "nginx").
new LiteLLMStack(app, 'litellm-nginx-inc', {
  ...common,
  namespace: 'litellm-nginx-inc',
  edge: Edge.nginxInc({ tls, allowSourceRanges: ['203.0.113.0/24'] }),
  hosts: ['llm-nginx-inc.example.com'],
  database: { external: { url: { name: 'litellm-database', key: 'url' }, maxConnections: 200 } },
  // Its Secrets come from the platform's Vault through the External Secrets Operator.
  externalSecrets: { storeRef: { name: 'platform-vault', kind: SecretStoreKind.CLUSTER_SECRET_STORE }, remoteKeyPrefix: 'llm/nginx-inc/' },
});

new LiteLLMStack(app, 'litellm-traefik', {
  ...common,
  namespace: 'litellm-traefik',
  edge: Edge.traefik({ tls, allowSourceRanges: ['203.0.113.0/24'] }),
  hosts: ['llm-traefik.example.com'],
});

// A platform team's fleet: three tenant gateways on shared parts (one managed Redis, one
// PostgreSQL server with a database per tenant, one Gateway), each in its own namespace
// with its own models, limits and governance.
new LiteLLMFleet(app, 'tenants', {
  namespacePrefix: 'llm-',
  preset: Presets.production(),
  models: common.models,
  masterKey: common.masterKey,
  saltKey: common.saltKey,
  // Each tenant keeps its keys under its own prefix (`<namespace>/<tenant>`).
  redis: { external: { host: 'redis.platform.example.com', password: { name: 'litellm-redis', key: 'password' }, cidr: '10.20.1.0/24' } },
  // A database per tenant (team_a, team_b, team_c), each tenant's URL in a Secret
  // `litellm-database` in its own namespace; the server's 180 connections are split among them.
  database: { serverOptions: { name: 'platform-pg', host: 'pg.platform.example.com', maxConnections: 180, peers: [{ cidr: '10.20.2.0/24' }] } },
  edge: Edge.gatewayApi({
    gateway: { name: 'public', namespace: 'gateways', sectionName: 'https', httpSectionName: 'http' },
    redirectHttpToHttps: true,
    controllerNamespace: 'envoy-gateway-system',
    // Envoy Gateway: a BackendTrafficPolicy per tenant route (stream idle timeout from the timing bound).
    implementation: GatewayImplementation.ENVOY_GATEWAY,
  }),
  domain: 'llm.example.com',
  governance: { defaultKeyParams: { rpmLimit: 60, maxBudget: 20, budgetDuration: '30d' } },
  // A ResourceQuota and LimitRange per tenant namespace, sized from what the tenant runs at its largest.
  quota: {},
  // One Grafana dashboard of every tenant side by side (a ConfigMap in "monitoring", folder dist/tenants-dashboard/).
  fleetDashboard: {},
  tenants: [
    { name: 'team-a' },
    {
      name: 'team-b',
      models: [{ name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 600 }],
      // A worker of team-b's gateway holds at most 100 requests at once (503 with Retry-After beyond).
      proxy: { maxInFlightRequestsPerWorker: 100 },
      argoCd: { project: 'team-b' },
    },
    { name: 'team-c', proxy: { autoscaling: { minReplicas: 2, maxReplicas: 10 } }, database: { maxConnections: 80 } },
  ],
});

app.synth();
