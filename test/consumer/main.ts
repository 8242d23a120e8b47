// A consumer's cdk8s app, used by scripts/consumer-test.sh: it imports the
// library only through its package name (the packed tarball), type-checks under
// the consumer's strict settings and synthesizes into ./dist.
//
// It composes the library four ways, in a GitOpsApp (a folder per stack, Argo CD
// Applications generated):
//   1. TeamGateway, the consumer's own Chart class, built from the lower-level
//      constructs (RedisInstance + LiteLLMProxy + IngressNginxEdge) next to an
//      object of the consumer's own;
//   2. Platform, another consumer Chart, with a LiteLLMStack nested inside it
//      (a LiteLLMStack is itself a Chart; cdk8s puts each object in its nearest chart);
//   3. a LiteLLMStack directly in the App, next to the consumer's charts,
//      from a preset the consumer copies and overrides;
//   4. a LiteLLMFleet of two tenants on one external Redis, one PostgreSQL
//      server and one Gateway.
import { App, Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  Edge,
  FleetTenant,
  GitOpsApp,
  IngressNginxEdge,
  LiteLLMConfigError,
  LiteLLMFleet,
  LiteLLMProxy,
  LiteLLMStack,
  ModelDeployment,
  Presets,
  RedisInstance,
  SecretKeyRef,
  StackPreset,
  WorkerSizing,
} from 'cdk8s-litellm';

const masterKey: SecretKeyRef = { name: 'litellm-master-key', key: 'master-key' };
const models: ModelDeployment[] = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'llm-provider-keys', key: 'openai' }, rpm: 600, tpm: 200000 },
  { name: 'claude-sonnet', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'llm-provider-keys', key: 'anthropic' }, rpm: 400 },
];

/** The consumer's own chart: a gateway assembled from the building blocks, plus their own config. */
class TeamGateway extends Chart {
  public readonly proxy: LiteLLMProxy;
  public readonly redis: RedisInstance;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    this.redis = new RedisInstance(this, 'Redis', { name: 'team-redis', password: { name: 'team-redis', key: 'password' } });
    this.proxy = new LiteLLMProxy(this, 'Proxy', {
      name: 'team-llm',
      models,
      masterKey,
      redis: this.redis,
      replicas: 2,
      cpu: '1',
      workers: WorkerSizing.perCpu(),
    });
    new IngressNginxEdge(this, 'Edge', this.proxy, {
      hosts: ['llm.team.example.com'],
      tls: { secretName: 'team-llm-tls' },
    });
    // The consumer's own object, using the construct's public fields.
    new k8s.KubeConfigMap(this, 'ClientSettings', {
      metadata: { name: 'team-llm-client' },
      data: { OPENAI_BASE_URL: `http://${this.proxy.serviceName}:${this.proxy.port}/v1` },
    });
  }
}

/** Another consumer chart, with a whole stack nested inside it. */
class Platform extends Chart {
  public readonly gateway: LiteLLMStack;

  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'platform', disableResourceNameHashes: true });
    new k8s.KubeServiceAccount(this, 'Operator', { metadata: { name: 'platform-operator' }, automountServiceAccountToken: false });
    this.gateway = new LiteLLMStack(this, 'Gateway', {
      namespace: 'platform-llm',
      models,
      masterKey,
      redis: { password: { name: 'litellm-redis', key: 'password' } },
      edge: Edge.ingressNginx({ tls: { clusterIssuer: 'letsencrypt-prod' } }),
      hosts: ['llm.platform.example.com'],
    });
  }
}

const app = new GitOpsApp({ argoCd: { repoURL: 'https://git.example.com/team/llm.git' } });
new TeamGateway(app, 'team-gateway', { namespace: 'team' });
new Platform(app, 'platform');

// Presets are plain data a consumer copies and overrides.
const bigger: StackPreset = { ...Presets.production(), cpu: '4', description: 'production, 4 CPU per pod' };
new LiteLLMStack(app, 'shared-llm', {
  namespace: 'shared-llm',
  preset: bigger,
  models,
  masterKey,
  redis: { password: { name: 'litellm-redis', key: 'password' } },
  edge: Edge.ingressNginx({ tls: { secretName: 'llm-example-com-tls' } }),
  hosts: ['llm.example.com'],
});

// Tenants on shared parts; each gets its own namespace, folder and Application.
const tenants: FleetTenant[] = [{ name: 'alpha' }, { name: 'beta', governance: { proxyBudget: { maxBudget: 500, budgetDuration: '30d' } } }];
new LiteLLMFleet(app, 'tenants', {
  namespacePrefix: 'llm-',
  models,
  masterKey,
  redis: { external: { host: 'redis.example.com', password: { name: 'litellm-redis', key: 'password' } } },
  database: { serverOptions: { name: 'shared-pg', host: 'pg.example.com', maxConnections: 120 } },
  edge: Edge.gatewayApi({ gateway: { name: 'public', namespace: 'gateways' }, controllerNamespace: 'envoy-gateway-system' }),
  domain: 'llm.example.com',
  tenants,
});

// The declarations are real types, not `any`: a required prop left out does not compile.
// @ts-expect-error masterKey is required
void (() => new LiteLLMProxy(new Chart(new App(), 'x'), 'y', { models }));

// Bad input surfaces as the library's one error type, and `instanceof` holds across the package boundary.
let rejected: unknown;
try {
  new LiteLLMProxy(new Chart(new App(), 'bad'), 'Proxy', { models, masterKey, image: 'ghcr.io/berriai/litellm:latest' });
} catch (e) {
  rejected = e;
}
if (!(rejected instanceof LiteLLMConfigError) || rejected.prop !== 'image') {
  throw new Error(`expected a LiteLLMConfigError for image, got ${String(rejected)}`);
}

app.synth();
