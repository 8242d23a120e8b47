import { Chart, Testing } from 'cdk8s';
import {
  CloudNativePgDatabase, ExternalPostgres, ExternalRedis, GatewayApiEdge, GitOpsApp, GovernanceReconciler, IngressNginxEdge, LiteLLMApplication,
  LiteLLMConfigError, LiteLLMFleet, LiteLLMProxy, LiteLLMStack, MigrationJob, NginxIncEdge, PostgresServer, Presets, ProxyAlerts, ProxyDashboard,
  RedisInstance, TraefikEdge,
} from '../../lib';
import { expectNoCredential } from '../support/expectations';
import { runs } from '../support/runs';
import { stringPropPaths } from '../support/string-props';

/**
 * Issue 20: no error message ever contains a credential. Every string prop of
 * every construct (found from the library's own types, so new props are
 * covered by themselves) gets credential-bearing values; whichever check
 * raises, the message must hold none of the secret part, and masking it must
 * change nothing. Accepted values are fine here (other tests check what is
 * written); a non-LiteLLMConfigError (a TypeError) is not.
 */

/** A credential-bearing value and the part of it that must never be printed. */
interface Credential {
  readonly value: string;
  readonly secret: string;
}

const CREDENTIALS: readonly Credential[] = [
  { value: 'rediss://default:S3cr3tPassw0rd@cache.example.com:6380', secret: 'S3cr3tPassw0rd' },
  { value: 'https://api.example.com/v1?api_key=Zx9vQ2mK7pL4rT8wQ1', secret: 'Zx9vQ2mK7pL4rT8wQ1' },
  { value: 'sk-live-4f9a8b7c6d5e4f3a2b1c', secret: '4f9a8b7c6d5e4f3a2b1c' },
  { value: 'ghp_1234567890abcdefghijABCDEFGHIJ1234', secret: '1234567890abcdefghijABCDEFGHIJ1234' },
  { value: 'AKIAIOSFODNN7EXAMPLE', secret: 'IOSFODNN7EXAMPLE' },
  { value: 'https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/XyZ0123456789abcdefXyZ01', secret: 'XyZ0123456789abcdefXyZ01' },
  { value: 'admin:hunter2pass@db.example.com', secret: 'hunter2pass' },
  { value: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM', secret: 'SflKxwRJSMeKKF2QT4fwpM' },
  { value: '0123456789abcdef0123456789abcdef', secret: '0123456789abcdef0123456789abcdef' },
  { value: 'postgresql://litellm:pa55w0rd-x9@db.internal:5432/litellm', secret: 'pa55w0rd-x9' },
];

const secret = (name: string, key: string) => ({ name, key });
const models = [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: secret('provider-keys', 'openai') }];
const masterKey = secret('litellm-master', 'master-key');
const chart = (): Chart => new Chart(Testing.app(), 'test', { namespace: 'llm', disableResourceNameHashes: true });
const proxyIn = (c: Chart, extra: Record<string, unknown> = {}) => new LiteLLMProxy(c, 'litellm', { models, masterKey, ...extra });
const governed = (c: Chart) => proxyIn(c, { database: new ExternalPostgres({ url: secret('db', 'url') }), metrics: {} });

/** Per construct: valid props, and how to build (and synthesize) it with given props. */
const CONSTRUCTS: Record<string, { base: () => Record<string, any>; build: (props: any) => void }> = {
  LiteLLMStack: {
    base: () => ({ namespace: 'llm', preset: Presets.edge(), models, masterKey, redis: { password: secret('redis', 'password') } }),
    build: p => Testing.synth(new LiteLLMStack(Testing.app(), 'stack', p)),
  },
  LiteLLMFleet: {
    base: () => ({ preset: Presets.edge(), models, masterKey, redis: { password: secret('redis', 'password') }, tenants: [{ name: 'team-a' }] }),
    build: p => { const app = Testing.app(); new LiteLLMFleet(app, 'fleet', p); app.synthYaml(); },
  },
  LiteLLMProxy: { base: () => ({ models, masterKey }), build: p => { const c = chart(); new LiteLLMProxy(c, 'litellm', p); Testing.synth(c); } },
  RedisInstance: { base: () => ({ password: secret('redis', 'password') }), build: p => { const c = chart(); new RedisInstance(c, 'redis', p); Testing.synth(c); } },
  ExternalRedis: { base: () => ({ host: 'cache.example.com', password: secret('redis', 'password') }), build: p => new ExternalRedis(chart(), 'redis', p) },
  ExternalPostgres: { base: () => ({ url: secret('db', 'url') }), build: p => new ExternalPostgres(p) },
  CloudNativePgDatabase: { base: () => ({}), build: p => { const c = chart(); new CloudNativePgDatabase(c, 'db', p); Testing.synth(c); } },
  PostgresServer: { base: () => ({ name: 'pg', databases: [{ name: 'a' }] }), build: p => new PostgresServer(p) },
  MigrationJob: {
    base: () => ({}),
    build: p => {
      const c = chart();
      const database = new ExternalPostgres({ url: secret('db', 'url') });
      new MigrationJob(c, 'migrate', { ...p, proxy: proxyIn(c, { database }), database });
      Testing.synth(c);
    },
  },
  GovernanceReconciler: {
    base: () => ({ teams: [{ id: 'team' }], users: [{ id: 'user', teams: ['team'] }], keys: [{ alias: 'key-a', value: secret('keys', 'a'), team: 'team' }], budgets: [{ id: 'tier', maxBudget: 5 }] }),
    build: p => { const c = chart(); new GovernanceReconciler(c, 'access', { ...p, proxy: governed(c) }); Testing.synth(c); },
  },
  ProxyAlerts: { base: () => ({}), build: p => { const c = chart(); new ProxyAlerts(c, 'alerts', { ...p, proxy: governed(c) }); Testing.synth(c); } },
  ProxyDashboard: { base: () => ({}), build: p => { const c = chart(); new ProxyDashboard(c, 'dashboard', { ...p, proxy: governed(c) }); Testing.synth(c); } },
  LiteLLMApplication: {
    base: () => ({ namespace: 'llm', repoURL: 'https://git.example.com/llm.git', path: 'dist/llm' }),
    build: p => { const c = new Chart(Testing.app(), 'apps'); new LiteLLMApplication(c, 'llm', p); Testing.synth(c); },
  },
  GitOpsApp: {
    base: () => ({ argoCd: { repoURL: 'https://git.example.com/llm.git' } }),
    build: p => {
      const app = new GitOpsApp({ outdir: '/nonexistent', ...p });
      new LiteLLMStack(app, 'stack', { namespace: 'llm', preset: Presets.edge(), models, masterKey, redis: { password: secret('redis', 'password') } });
      app.synthFiles();
    },
  },
  IngressNginxEdge: { base: () => ({ hosts: ['llm.example.com'] }), build: p => { const c = chart(); new IngressNginxEdge(c, 'edge', proxyIn(c), p); Testing.synth(c); } },
  NginxIncEdge: { base: () => ({ hosts: ['llm.example.com'] }), build: p => { const c = chart(); new NginxIncEdge(c, 'edge', proxyIn(c), p); Testing.synth(c); } },
  TraefikEdge: { base: () => ({ hosts: ['llm.example.com'] }), build: p => { const c = chart(); new TraefikEdge(c, 'edge', proxyIn(c), p); Testing.synth(c); } },
  GatewayApiEdge: {
    base: () => ({ hosts: ['llm.example.com'], gateway: { name: 'public' }, controllerNamespace: 'envoy-gateway-system' }),
    build: p => { const c = chart(); new GatewayApiEdge(c, 'edge', proxyIn(c), p); Testing.synth(c); },
  },
};

/** `props` with `value` at a path such as `models[0].apiBase` or `env.KEY` (missing parents created). */
function withValueAt(props: Record<string, any>, propPath: string, value: unknown): Record<string, any> {
  const root = structuredCloneLoose(props);
  const parts = propPath.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: any = root;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (last) {
      node[part] = value;
      return;
    }
    if (node[part] === undefined || node[part] === null || typeof node[part] !== 'object') node[part] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    node = node[part];
  });
  return root;
}

/** A deep copy of plain data that keeps class instances (a preset's WorkerSizing) as they are. */
function structuredCloneLoose(v: any): any {
  if (Array.isArray(v)) return v.map(structuredCloneLoose);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneLoose(x)]));
  }
  return v;
}

const cases = Object.entries(CONSTRUCTS).flatMap(([construct]) => stringPropPaths(construct).map((p, i) => [construct, p, i] as const));

describe('no error message contains a credential', () => {
  test('every construct has string props to try, and the walk finds the nested ones', () => {
    const byConstruct = Object.fromEntries(Object.keys(CONSTRUCTS).map(c => [c, stringPropPaths(c)]));
    for (const [c, paths] of Object.entries(byConstruct)) expect([c, paths.length > 0]).toEqual([c, true]);
    expect(byConstruct.LiteLLMStack).toEqual(expect.arrayContaining(['namespace', 'models[0].apiBase', 'redis.external.host', 'proxy.env.KEY', 'access.keys[0].alias']));
    expect(cases.length).toBeGreaterThan(400);
  });

  test.each(cases)('%s %s', (construct, propPath, i) => {
    const { base, build } = CONSTRUCTS[construct];
    // One credential shape per prop (five under CI's PROPERTY_RUNS=5), rotating over the
    // props, so every shape meets every kind of check.
    const perProp = Math.min(CREDENTIALS.length, runs(1));
    for (let k = 0; k < perProp; k++) {
      const credential = CREDENTIALS[(i * perProp + k) % CREDENTIALS.length];
      let error: unknown;
      try {
        build(withValueAt(base(), propPath, credential.value));
      } catch (e) {
        error = e;
      }
      if (error === undefined) continue;
      if (!(error instanceof LiteLLMConfigError)) throw new Error(`${construct} ${propPath}: expected LiteLLMConfigError, got ${String(error)}`);
      expect(error.message).not.toContain(credential.secret);
      expectNoCredential(error.message);
    }
  });
});

