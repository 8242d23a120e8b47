import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import {
  Edge, FallbackTrigger, LiteLLMConfigError, LiteLLMFleet, LiteLLMProxy, LiteLLMProxyProps, LiteLLMStack, ModelDeployment, ModelFallback, Presets,
} from '../../lib';
import { FallbackPlan, reachableGroups, resolveFallbacks } from '../../lib/proxy/fallbacks';
import { nonStreamingBound, walkBound } from '../../lib/proxy/timing';
import { envMap, one, synth } from '../support/synth';

const key = { name: 'provider-keys', key: 'openai' };
const deployment = (name: string, extra: Partial<ModelDeployment> = {}): ModelDeployment => ({ name, model: `openai/${name}`, apiKey: key, ...extra });
const models = [deployment('gpt-4o'), deployment('claude'), deployment('llama', { accessGroups: ['cheap'] }), deployment('long-context')];
const base: LiteLLMProxyProps = { models, masterKey: { name: 'litellm-master', key: 'master-key' }, acceptPerReplicaLimits: true };

function build(props: Partial<LiteLLMProxyProps> = {}): { proxy: LiteLLMProxy; objects: any[] } {
  let proxy!: LiteLLMProxy;
  const objects = synth(chart => { proxy = new LiteLLMProxy(chart, 'litellm', { ...base, ...props } as LiteLLMProxyProps); });
  return { proxy, objects };
}
const routerSettings = (objects: any[]): any => parse(one(objects, 'ConfigMap').data['config.yaml']).router_settings;
const withFallbacks = (fallbacks: ModelFallback[], defaultFallbacks?: string[]) => build({ router: { fallbacks, defaultFallbacks } });
const errorOf = (props: Partial<LiteLLMProxyProps>): LiteLLMConfigError => {
  try {
    build(props);
  } catch (e) {
    if (e instanceof LiteLLMConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
};
const plan = (fallbacks: ModelFallback[], defaults?: string[]): FallbackPlan =>
  resolveFallbacks('router', fallbacks, defaults, { names: models.map(m => m.name), accessGroups: ['cheap'] });

describe('router.fallbacks: config.yaml', () => {
  test('none: no fallback key at all, and the bound is exactly the one-group bound (1983 s with the defaults)', () => {
    const { proxy, objects } = build();
    const settings = routerSettings(objects);
    for (const k of ['fallbacks', 'default_fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks']) expect(settings).not.toHaveProperty(k);
    expect(proxy.nonStreamingBound).toEqual({ ...nonStreamingBound(600, 2), modelGroups: ['gpt-4o'] });
    expect(proxy.nonStreamingBound.seconds).toBe(1983);
    expect(proxy.nonStreamingBound.explanation).toBe('3 attempt(s) × 600 s + 182.25 s backoff = 1983 s');
  });

  test('each trigger its own key, as lists of one-key objects in the order given; default fallbacks as the "*" entry', () => {
    const { objects } = withFallbacks([
      { model: 'gpt-4o', to: ['claude', 'llama'] },
      { model: 'gpt-4o', to: ['long-context'], on: FallbackTrigger.CONTEXT_WINDOW },
      { model: 'claude', to: ['gpt-4o'], on: FallbackTrigger.ERRORS },
      { model: 'claude', to: ['llama'], on: FallbackTrigger.CONTENT_POLICY },
    ], ['llama']);
    const settings = routerSettings(objects);
    expect(settings.fallbacks).toEqual([{ 'gpt-4o': ['claude', 'llama'] }, { claude: ['gpt-4o'] }, { '*': ['llama'] }]);
    expect(settings.context_window_fallbacks).toEqual([{ 'gpt-4o': ['long-context'] }]);
    expect(settings.content_policy_fallbacks).toEqual([{ claude: ['llama'] }]);
    expect(settings).not.toHaveProperty('default_fallbacks');
  });

  test('default fallbacks alone', () => {
    expect(routerSettings(withFallbacks([], ['llama']).objects).fallbacks).toEqual([{ '*': ['llama'] }]);
  });
});

describe('router.fallbacks: the timing bound counts every group a request can reach', () => {
  test('one fallback doubles the bound, and the edge, the drain, the longest stream and the grace period follow', () => {
    const { proxy, objects } = withFallbacks([{ model: 'gpt-4o', to: ['claude'] }]);
    expect(proxy.nonStreamingBound).toMatchObject({ attempts: 6, backoffSeconds: 364.5, seconds: 3965, modelGroups: ['gpt-4o', 'claude'] });
    expect(proxy.nonStreamingBound.explanation).toBe(
      '"gpt-4o": 3 attempt(s) × 600 s + 182.25 s backoff; fallback "claude": 3 attempt(s) × 600 s + 182.25 s backoff; 3965 s in all');
    const env = envMap(one(objects, 'Deployment').spec.template.spec.containers[0]);
    expect(env.GRACEFUL_SHUTDOWN_TIMEOUT).toBe('3965');
    expect(env.LITELLM_MAX_STREAMING_DURATION_SECONDS).toBe('3965');
    expect(one(objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(10 + 3965 + 15);
  });

  test('each group with its own longest attempt; a chain through several groups adds them all', () => {
    const { proxy } = build({
      models: [deployment('gpt-4o', { timeoutSeconds: 900 }), deployment('claude', { timeoutSeconds: 30 }), deployment('llama')],
      router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'] }, { model: 'claude', to: ['llama'] }] },
    });
    // gpt-4o: 3 × 900 + 182.25; claude: 3 × 600 (requestTimeoutSeconds is longer) + 182.25; llama: 3 × 600 + 182.25.
    expect(proxy.nonStreamingBound).toMatchObject({ seconds: Math.ceil(2700 + 1800 + 1800 + 3 * 182.25), modelGroups: ['gpt-4o', 'claude', 'llama'] });
  });

  test('the slowest group asked for sets the bound, fallbacks or not', () => {
    const { proxy } = build({
      models: [deployment('gpt-4o', { timeoutSeconds: 30 }), deployment('claude', { timeoutSeconds: 30 }), deployment('slow', { timeoutSeconds: 3000 })],
      requestTimeoutSeconds: 30,
      router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'] }] },
    });
    expect(proxy.nonStreamingBound).toMatchObject({ seconds: nonStreamingBound(3000, 2).seconds, modelGroups: ['slow'] });
  });

  test('deployments with several order levels count one full try per level, fallbacks or not', () => {
    const { proxy } = build({
      models: [deployment('gpt-4o', { params: { order: 1 } }), deployment('gpt-4o', { apiBase: 'https://backup.example.com', params: { order: 2 } })],
    });
    expect(proxy.nonStreamingBound).toMatchObject({ attempts: 6, seconds: 3965 });
    expect(proxy.nonStreamingBound.explanation).toBe('"gpt-4o": 2 order levels × (3 attempt(s) × 600 s + 182.25 s backoff); 3965 s in all');
  });

  test('walkBound of one group of one level is nonStreamingBound', () => {
    expect(walkBound([{ name: 'a', perAttemptSeconds: 30, orderLevels: 1 }], 1)).toEqual({ ...nonStreamingBound(30, 1), modelGroups: ['a'] });
    expect(walkBound([{ name: 'a', perAttemptSeconds: 30, orderLevels: 1 }, { name: 'b', perAttemptSeconds: 10, orderLevels: 1 }], 0))
      .toMatchObject({ attempts: 2, backoffSeconds: 0, seconds: 40 });
  });

  test('a cycle is accepted: each group is tried once per request (LiteLLM\'s AttemptedFallbackTargets)', () => {
    const { proxy, objects } = withFallbacks([{ model: 'gpt-4o', to: ['claude'] }, { model: 'claude', to: ['gpt-4o'] }]);
    expect(routerSettings(objects).fallbacks).toEqual([{ 'gpt-4o': ['claude'] }, { claude: ['gpt-4o'] }]);
    expect(proxy.nonStreamingBound.seconds).toBe(3965);
  });

  test('over a day is refused, naming the groups', () => {
    const many = Array.from({ length: 45 }, (_v, i) => deployment(`m${i}`));
    const e = errorOf({ models: many, router: { defaultFallbacks: many.slice(1).map(m => m.name) } });
    expect(e.prop).toBe('router.fallbacks');
    expect(e.message).toMatch(/^\[test\] router\.fallbacks: received an array of 45; a non-streaming request could take "m0": .* more than a day \(86400 s\) .*or fall back to fewer groups$/);
  });
});

describe('reachableGroups follows LiteLLM 1.108.14\'s walk', () => {
  test('a target without fallbacks of its own resumes the requested group\'s chain; the default applies only where neither has one', () => {
    const p = plan([{ model: 'gpt-4o', to: ['claude'] }], ['llama']);
    expect(reachableGroups(p, 'gpt-4o')).toEqual(['gpt-4o', 'claude']);
    expect(reachableGroups(p, 'long-context')).toEqual(['long-context', 'llama']);
  });

  test('context-window fallbacks: their own chain once any is configured; otherwise the error chain', () => {
    const cw = plan([{ model: 'gpt-4o', to: ['claude'] }, { model: 'claude', to: ['long-context'], on: FallbackTrigger.CONTEXT_WINDOW }]);
    // gpt-4o fails over to claude; claude's context-window error goes on to long-context.
    expect(reachableGroups(cw, 'gpt-4o')).toEqual(['gpt-4o', 'claude', 'long-context']);
    expect(reachableGroups(plan([{ model: 'gpt-4o', to: ['claude'] }]), 'gpt-4o')).toEqual(['gpt-4o', 'claude']);
  });

  test('a cycle reaches each group once', () => {
    const p = plan([{ model: 'gpt-4o', to: ['claude', 'llama'] }, { model: 'llama', to: ['gpt-4o', 'claude'] }]);
    expect(reachableGroups(p, 'llama')).toEqual(['llama', 'gpt-4o', 'claude']);
  });
});

describe('router.fallbacks: refused', () => {
  const cases: [string, Partial<LiteLLMProxyProps>, string, RegExp][] = [
    ['an unknown target, one letter off', { router: { fallbacks: [{ model: 'gpt-4o', to: ['claud'] }] } }, 'router.fallbacks[0].to[0]',
      /received "claud"; must be a model group of this proxy \(a models\[\]\.name: "gpt-4o", "claude", "llama", "long-context"\) \(did you mean "claude"\?\)$/],
    ['an unknown group', { router: { fallbacks: [{ model: 'gpt4o', to: ['claude'] }] } }, 'router.fallbacks[0].model', /received "gpt4o"; must be a model group .*\(did you mean "gpt-4o"\?\)$/],
    ['an access group as a target', { router: { fallbacks: [{ model: 'gpt-4o', to: ['cheap'] }] } }, 'router.fallbacks[0].to[0]', /received "cheap"; is a model access group; fallbacks name model groups/],
    ['a group falling back to itself', { router: { fallbacks: [{ model: 'gpt-4o', to: ['claude', 'gpt-4o'] }] } }, 'router.fallbacks[0].to[1]', /received "gpt-4o"; is the group that failed; LiteLLM skips it/],
    ['a target named twice', { router: { fallbacks: [{ model: 'gpt-4o', to: ['claude', 'claude'] }] } }, 'router.fallbacks[0].to[1]', /received "claude"; is named twice/],
    ['no targets', { router: { fallbacks: [{ model: 'gpt-4o', to: [] }] } }, 'router.fallbacks[0].to', /received an array of 0; must name at least one model group to try/],
    ['two entries for one group and trigger', { router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'] }, { model: 'gpt-4o', to: ['llama'], on: FallbackTrigger.ERRORS }] } },
      'router.fallbacks[1].model', /received "gpt-4o"; already has fallbacks in router\.fallbacks\[0\]; LiteLLM would use only the first entry: list every target in router\.fallbacks\[0\]\.to/],
    ['an unknown trigger', { router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'], on: 'context_window' as FallbackTrigger }] } }, 'router.fallbacks[0].on',
      /received "context_window"; must be one of FallbackTrigger\.ERRORS \("errors"\), FallbackTrigger\.CONTEXT_WINDOW \("context-window"\), FallbackTrigger\.CONTENT_POLICY \("content-policy"\) \(did you mean "context-window"\?\)$/],
    ['targets as a string', { router: { fallbacks: [{ model: 'gpt-4o', to: 'claude' as any }] } }, 'router.fallbacks[0].to', /received "claude"; must be an array$/],
    ['empty default fallbacks', { router: { defaultFallbacks: [] } }, 'router.defaultFallbacks', /received an array of 0; must name at least one model group \(leave it unset for none\)$/],
    ['an unknown default fallback', { router: { defaultFallbacks: ['lama'] } }, 'router.defaultFallbacks[0]', /received "lama"; must be a model group .*\(did you mean "llama"\?\)$/],
    ['fallbacks through the escape hatch', { extraConfig: { routerSettings: { context_window_fallbacks: [{ 'gpt-4o': ['long-context'] }] } } }, 'extraConfig.routerSettings.context_window_fallbacks',
      /not settable: fallbacks add attempts at other model groups, .*: use router\.fallbacks \(\{ model, to, on: FallbackTrigger\.ERRORS \| CONTEXT_WINDOW \| CONTENT_POLICY \}\) and router\.defaultFallbacks$/],
    ['weighted failover through the escape hatch', { extraConfig: { routerSettings: { enable_weighted_failover: true } } }, 'extraConfig.routerSettings.enable_weighted_failover',
      /not settable: it changes how long a request can take, .*; it adds attempts within a model group$/],
    ['an order that is not a whole number', { models: [deployment('gpt-4o', { params: { order: '1' } })] }, 'models[0].params.order', /received "1"; must be an integer >= 1$/],
    ['an order on some deployments of a group only',
      { models: [deployment('gpt-4o', { params: { order: 1 } }), deployment('gpt-4o', { apiBase: 'https://backup.example.com' })] }, 'models[1].params.order',
      /received undefined; must be set like models\[0\]\.params\.order .*LiteLLM routes to a deployment without an order only while every deployment of its group that has one is cooling down/],
  ];
  test.each(cases)('%s', (_name, props, prop, message) => {
    const e = errorOf(props);
    expect(e.prop).toBe(prop);
    expect(e.message).toMatch(new RegExp(`^\\[test\\] ${prop.replace(/[.[\]]/g, '\\$&')}: received `));
    expect(e.message).toMatch(message);
  });
});

describe('router.fallbacks through a stack', () => {
  const stackProps = { namespace: 'llm', models, masterKey: { name: 'litellm-master', key: 'master-key' }, redis: { password: { name: 'redis-auth', key: 'password' } } };

  test('the edge waits for the whole walk', () => {
    const stack = new LiteLLMStack(Testing.app(), 'stack', {
      ...stackProps, preset: Presets.production(),
      router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'] }] },
      edge: Edge.ingressNginx({ tls: { secretName: 'llm-tls' } }), hosts: ['llm.example.com'],
    });
    const ingress = Testing.synth(stack).find(o => o.kind === 'Ingress');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe(String(3965 + 30));
  });

  test.each([
    ['router', { router: { fallbacks: [{ model: 'gpt-4o', to: ['gtp-4o-mini'] }] } }, 'router.fallbacks[0].to[0]'],
    ['proxy.router', { proxy: { router: { fallbacks: [{ model: 'gpt-4o', to: ['gtp-4o-mini'] }] } } }, 'proxy.router.fallbacks[0].to[0]'],
  ])('errors name the prop as written (%s)', (_where, props, prop) => {
    expect(() => new LiteLLMStack(Testing.app(), 'stack', { ...stackProps, ...props })).toThrow(new RegExp(`^\\[stack\\] ${prop.replace(/[.[\]]/g, '\\$&')}: received "gtp-4o-mini"`));
  });
});

test('a fleet\'s fallbacks must fit every tenant that takes them; the error names the tenant', () => {
  expect(() => new LiteLLMFleet(Testing.app(), 'fleet', {
    preset: Presets.edge(), masterKey: { name: 'litellm-master', key: 'master-key' }, redis: { password: { name: 'redis-auth', key: 'password' } },
    models: [deployment('gpt-4o'), deployment('claude')],
    router: { fallbacks: [{ model: 'gpt-4o', to: ['claude'] }] },
    tenants: [{ name: 'team-a' }, { name: 'team-b', models: [deployment('gpt-4o')] }],
  })).toThrow(
    /^\[fleet\] router\.fallbacks\[0\]\.to\[0\]: received "claude"; must be a model group of this proxy \(a models\[\]\.name: "gpt-4o"\) \(found building tenant "team-b", tenants\[1\], which takes it from the fleet\)$/);
});
