import { stackEdge } from '../support/edges';
import { Testing } from 'cdk8s';
import { randomBytes } from 'crypto';
import { parse } from 'yaml';
import * as lib from '../../lib';
import { reachableGroups, resolveFallbacks } from '../../lib/proxy/fallbacks';
import { NonStreamingBound, walkBound } from '../../lib/proxy/timing';
import { Harness, ProxyInstance } from './support/harness';
import { HttpResult, freePort, request } from './support/http';
import { EdgeProxy, startEdge } from './support/nginx';
import { killAll } from './support/processes';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * Typed fallbacks on the real release (issue 21): a group whose provider
 * fails hands the request on to the groups `router.fallbacks` names, each
 * tried with the router's own retries, and the answer arrives within the
 * non-streaming bound the library computed for that walk (the edge, drain
 * and grace derive from it). The fake provider fails by model name
 * (fake_provider.py: `fail-N`, `context-window`, `content-policy`), and
 * counts every call, so the attempts at each group are seen, not assumed.
 */

const REQUEST_TIMEOUT = 3;
const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => `fallbacks ${randomBytes(6).toString('hex')}`;

/** Public name → the fake provider's model (its behaviour). */
const PROVIDER: Record<string, string> = {
  'e2e-down': 'fake-fail-500-down',
  'e2e-silent': 'fake-hang-silent',
  'e2e-busy': 'fake-fail-429-busy',
  'e2e-backup': 'fake-backup',
  'e2e-small-context': 'fake-context-window',
  'e2e-large-context': 'fake-large',
  'e2e-refuses': 'fake-content-policy',
  // Error fallbacks only, while another group has context-window fallbacks.
  'e2e-small-context-2': 'fake-context-window-2',
  'e2e-cycle-a': 'fake-fail-502-cycle-a',
  'e2e-cycle-b': 'fake-fail-503-cycle-b',
};
const model = (name: string, providerModel = PROVIDER[name], extra: Partial<lib.ModelDeployment> = {}): lib.ModelDeployment => ({
  name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...extra,
});
const MODELS: lib.ModelDeployment[] = [
  ...Object.keys(PROVIDER).map(name => model(name)),
  // Two order levels of one group: the first fails, the second answers (LiteLLM's order-based fallback).
  model('e2e-ordered', 'fake-fail-500-order-1', { params: { order: 1 } }),
  model('e2e-ordered', 'fake-order-2', { params: { order: 2 } }),
];
const FALLBACKS: lib.ModelFallback[] = [
  { model: 'e2e-down', to: ['e2e-backup'] },
  { model: 'e2e-silent', to: ['e2e-backup'] },
  { model: 'e2e-busy', to: ['e2e-backup'] },
  { model: 'e2e-small-context', to: ['e2e-large-context'], on: lib.FallbackTrigger.CONTEXT_WINDOW },
  { model: 'e2e-refuses', to: ['e2e-backup'], on: lib.FallbackTrigger.CONTENT_POLICY },
  { model: 'e2e-small-context-2', to: ['e2e-backup'] },
  // Each backs the other up: LiteLLM tries each group once per request.
  { model: 'e2e-cycle-a', to: ['e2e-cycle-b'] },
  { model: 'e2e-cycle-b', to: ['e2e-cycle-a'] },
];

/** The bound of a request for `group`: every group it can reach, as the library computes it. */
function boundFor(group: string): NonStreamingBound {
  const names = [...new Set(MODELS.map(m => m.name))];
  const plan = resolveFallbacks('router', FALLBACKS, undefined, { names, accessGroups: [] });
  return walkBound(reachableGroups(plan, group).map(g => ({ name: g, perAttemptSeconds: REQUEST_TIMEOUT, orderLevels: g === 'e2e-ordered' ? 2 : 1 })), 2);
}

function fallbackStack(): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'fallbacks', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: { enabled: false },
    redis: { password: SECRET_REFS.redisPassword },
    // Default retries (2); a 429 is not retried (router.retryRateLimited false), but it does fall back.
    proxy: { replicas: 1, workers: lib.WorkerSizing.onePerPod(), requestTimeoutSeconds: REQUEST_TIMEOUT },
    router: { fallbacks: FALLBACKS },
    models: MODELS,
    masterKey: SECRET_REFS.masterKey,
    ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls: { secretName: 'llm-tls' } }),
  }));
}

let h: Harness;
let p: ProxyInstance;
let edge: EdgeProxy;

beforeAll(async () => {
  h = new Harness(fallbackStack(), { name: 'fallbacks' });
  await h.startFakeProvider();
  await h.startRedis();
  p = await h.startProxy('proxy-fallbacks');
  edge = await startEdge(h.objects.find(o => o.kind === 'Ingress'), [p.port], await freePort(), `${h.root}/nginx`);
}, 240000);

afterAll(async () => {
  await killAll();
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements: fallbacks (litellm ' + lib.LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

/** One chat request (through nginx when `port` is the edge's) and the provider calls it caused, by provider model. */
async function chat(port: number, group: string): Promise<{ r: HttpResult; calls: Record<string, number> }> {
  const content = nonce();
  const r = await request(port, 'POST', '/v1/chat/completions', {
    body: { model: group, messages: [{ role: 'user', content }] },
    headers: { authorization: `Bearer ${h.masterKey}`, host: 'llm.example.com' },
    timeoutMs: (boundFor(group).seconds + 30) * 1000,
  });
  const stats = JSON.parse((await request(h.fakePort, 'GET', '/stats')).body);
  const calls: Record<string, number> = {};
  for (const q of stats.requests.filter((x: any) => x.last === content)) calls[q.model] = (calls[q.model] ?? 0) + 1;
  return { r, calls };
}

const seconds = (r: HttpResult): string => `${(r.ms / 1000).toFixed(2)} s`;
const callList = (calls: Record<string, number>): string => Object.entries(calls).map(([m, n]) => `${m} × ${n}`).join(', ');

test('config.yaml carries the fallbacks as lists of one-key objects, and the edge waits for the slowest walk', () => {
  const settings = parse(h.proxyConfigYaml).router_settings;
  expect(settings.fallbacks).toEqual([
    { 'e2e-down': ['e2e-backup'] }, { 'e2e-silent': ['e2e-backup'] }, { 'e2e-busy': ['e2e-backup'] }, { 'e2e-small-context-2': ['e2e-backup'] },
    { 'e2e-cycle-a': ['e2e-cycle-b'] }, { 'e2e-cycle-b': ['e2e-cycle-a'] },
  ]);
  expect(settings.context_window_fallbacks).toEqual([{ 'e2e-small-context': ['e2e-large-context'] }]);
  expect(settings.content_policy_fallbacks).toEqual([{ 'e2e-refuses': ['e2e-backup'] }]);
  // The slowest request: two groups of 3 attempts × 3 s + 3 × 60.75 s each (the order levels count the same).
  const slowest = Math.max(...Object.keys(PROVIDER).concat('e2e-ordered').map(g => boundFor(g).seconds));
  expect(slowest).toBe(Math.ceil(2 * (3 * REQUEST_TIMEOUT + 182.25)));
  const ingress = h.objects.find(o => o.kind === 'Ingress');
  expect(Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBe(slowest + 30);
  const env = h.proxyWorkload.spec.template.spec.containers[0].env;
  expect(Number(env.find((e: any) => e.name === 'GRACEFUL_SHUTDOWN_TIMEOUT').value)).toBe(slowest);
  note('bound of the slowest walk (edge read timeout)', `${slowest} s (${Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])} s)`);
});

test('a provider answering 500: the group\'s retries, then the fallback group answers, through nginx, within the bound', async () => {
  const bound = boundFor('e2e-down');
  const { r, calls } = await chat(edge.port, 'e2e-down');
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body).choices[0].message.content).toMatch(/^echo: fallbacks /);
  expect(calls).toEqual({ 'fake-fail-500-down': 3, 'fake-backup': 1 });
  expect(r.headers['x-litellm-attempted-fallbacks']).toBe('1');
  expect(r.ms / 1000).toBeLessThanOrEqual(bound.seconds);
  note('500 → fallback (via nginx): status / provider calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)} (bound ${bound.seconds} s: ${bound.explanation})`);
});

test('a silent provider: every attempt times out, then the fallback group answers, within the bound', async () => {
  const bound = boundFor('e2e-silent');
  const { r, calls } = await chat(edge.port, 'e2e-silent');
  expect(r.status).toBe(200);
  expect(calls).toEqual({ 'fake-hang-silent': 3, 'fake-backup': 1 });
  expect(r.ms / 1000).toBeGreaterThanOrEqual(3 * REQUEST_TIMEOUT);
  expect(r.ms / 1000).toBeLessThanOrEqual(bound.seconds);
  note('silent provider → fallback (via nginx): status / provider calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)} (bound ${bound.seconds} s)`);
});

test('a provider answering 429: no retry, the fallback group answers at once', async () => {
  const { r, calls } = await chat(p.port, 'e2e-busy');
  expect(r.status).toBe(200);
  expect(calls).toEqual({ 'fake-fail-429-busy': 1, 'fake-backup': 1 });
  expect(r.ms).toBeLessThan(1500);
  note('429 → fallback: status / provider calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)}`);
});

test('a prompt over the context window goes to the context-window fallback, without retries', async () => {
  const { r, calls } = await chat(p.port, 'e2e-small-context');
  expect(r.status).toBe(200);
  expect(calls).toEqual({ 'fake-context-window': 1, 'fake-large': 1 });
  expect(r.headers['x-litellm-attempted-fallbacks']).toBe('1');
  expect(r.ms).toBeLessThan(1500);
  note('context window exceeded → context-window fallback: status / calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)}`);
});

test('once any group has context-window fallbacks, a context-window error elsewhere is not handed to the error fallbacks', async () => {
  // LiteLLM 1.108.14 (router.py async_function_with_fallbacks_common_utils): the README's warning, and reachableGroups' rule.
  expect(boundFor('e2e-small-context-2').modelGroups).toEqual(['e2e-small-context-2', 'e2e-backup']);
  const { r, calls } = await chat(p.port, 'e2e-small-context-2');
  expect(r.status).toBe(400);
  expect(r.body).toMatch(/maximum context length/);
  expect(calls).toEqual({ 'fake-context-window-2': 1 });
  note('context window exceeded, only error fallbacks: status / calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)}`);
});

test('a content-policy refusal goes to the content-policy fallback, without retries', async () => {
  const { r, calls } = await chat(p.port, 'e2e-refuses');
  expect(r.status).toBe(200);
  expect(calls).toEqual({ 'fake-content-policy': 1, 'fake-backup': 1 });
  expect(r.ms).toBeLessThan(1500);
  note('content policy refusal → content-policy fallback: status / calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)}`);
});

test('two groups that back each other up, both failing: each tried once with its retries, then the error, within the bound', async () => {
  const bound = boundFor('e2e-cycle-a');
  expect(bound.modelGroups).toEqual(['e2e-cycle-a', 'e2e-cycle-b']);
  const { r, calls } = await chat(p.port, 'e2e-cycle-a');
  expect(r.status).toBeGreaterThanOrEqual(500);
  expect(calls).toEqual({ 'fake-fail-502-cycle-a': 3, 'fake-fail-503-cycle-b': 3 });
  expect(r.ms / 1000).toBeLessThanOrEqual(bound.seconds);
  note('cycle a ↔ b, both failing: status / provider calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)} (bound ${bound.seconds} s)`);
});

test('deployments with two order levels: the first level\'s retries, then the second answers, within the bound', async () => {
  const bound = boundFor('e2e-ordered');
  const { r, calls } = await chat(p.port, 'e2e-ordered');
  expect(r.status).toBe(200);
  expect(calls).toEqual({ 'fake-fail-500-order-1': 3, 'fake-order-2': 1 });
  expect(r.ms / 1000).toBeLessThanOrEqual(bound.seconds);
  note('order 1 failing → order 2: status / provider calls / time', `${r.status} / ${callList(calls)} / ${seconds(r)} (bound ${bound.seconds} s)`);
});
