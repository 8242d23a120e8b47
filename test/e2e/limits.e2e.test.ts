import { stackEdge } from '../support/edges';
import { execFileSync } from 'child_process';
import { Testing } from 'cdk8s';
import { randomBytes } from 'crypto';
import * as lib from '../../lib';
import { nonStreamingBound } from '../../lib/proxy/timing';
import { Harness, ProxyInstance } from './support/harness';
import { contentChunks, freePort, request, sleep, stream } from './support/http';
import { EdgeProxy, startEdge } from './support/nginx';
import { killAll } from './support/processes';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * The timeout agreement and the parallel limits, on the real release:
 * - a silent provider costs a non-streaming client at most the proxy's
 *   non-streaming bound (attempts × per-attempt timeout + backoff), and the
 *   edge (a real nginx rendered from our ingress-nginx annotations) waits for
 *   LiteLLM's own answer instead of cutting it with a 504;
 * - a stream longer than maxStreamSeconds is ended by LiteLLM itself with an
 *   SSE error event, and one within it is delivered whole;
 * - models[].maxParallelRequests answers 429 and maxInFlightRequestsPerWorker
 *   503 (Retry-After), each for exactly the requests over its limit.
 * Short timeouts keep the suite fast; the rules are the ones the defaults use.
 */

const REQUEST_TIMEOUT = 3;
/** rpm of the silent model with a limit: one timed-out request, then the limit is reached. */
const SILENT_RPM = 1;
const MAX_STREAM = 4;
const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => randomBytes(6).toString('hex');

const model = (name: string, providerModel: string, extra: Partial<lib.ModelDeployment> = {}): lib.ModelDeployment => ({
  name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...extra,
});

/** One replica, one worker: the timeouts under test, behind ingress-nginx. */
function timeoutsStack(): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'timeouts', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: { enabled: false },
    redis: { password: SECRET_REFS.redisPassword },
    proxy: { replicas: 1, workers: lib.WorkerSizing.onePerPod(), requestTimeoutSeconds: REQUEST_TIMEOUT, maxStreamSeconds: MAX_STREAM },
    models: [
      model('e2e-silent', 'fake-hang'),
      // The same silent provider behind an rpm limit the router enforces: its retries would count against it.
      model('e2e-silent-limited', 'fake-hang-limited', { rpm: SILENT_RPM }),
      // 10 chunks 0.6 s apart: every gap within the per-read timeout, the whole stream past maxStreamSeconds.
      model('e2e-long-stream', 'fake-chunks-10-ms-600'),
      model('e2e-short-stream', 'fake-chunks-4-ms-300'),
    ],
    masterKey: SECRET_REFS.masterKey,
    ...stackEdge({ controller: 'ingress-nginx', hosts: ['llm.example.com'], tls: { secretName: 'llm-tls' } }),
  }));
}

/** One replica, one worker: a deployment limit of 2 and a worker limit of 3, no queue. */
function limitsStack(): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'limits', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: { enabled: false },
    redis: { password: SECRET_REFS.redisPassword },
    // The default retries (2): a 429 must still come back at once (router.retryRateLimited false).
    proxy: { replicas: 1, workers: lib.WorkerSizing.onePerPod(), maxInFlightRequestsPerWorker: 3, maxQueuedRequestsPerWorker: 0 },
    models: [model('e2e-slow', 'fake-sleep-3000', { maxParallelRequests: 2 }), model('e2e-provider-429', 'fake-fail-429')],
    masterKey: SECRET_REFS.masterKey,
  }));
}

let timeouts: Harness;
let limits: Harness;
let t: ProxyInstance;
let l: ProxyInstance;
let edge: EdgeProxy;

beforeAll(async () => {
  timeouts = new Harness(timeoutsStack(), { name: 'timeouts' });
  await timeouts.startFakeProvider();
  await timeouts.startRedis();
  limits = new Harness(limitsStack(), { name: 'limits', secretValues: timeouts.secretValues });
  limits.shareWith(timeouts);
  [t, l] = await Promise.all([timeouts.startProxy('proxy-timeouts'), limits.startProxy('proxy-limits')]);
  const ingress = timeouts.objects.find(o => o.kind === 'Ingress');
  edge = await startEdge(ingress, [t.port], await freePort(), `${timeouts.root}/nginx`);
}, 240000);

afterAll(async () => {
  await killAll();
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements: limits and timeouts (litellm ' + lib.LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

function chatVia(port: number, h: Harness, modelName: string, timeoutMs: number): ReturnType<typeof request> {
  return request(port, 'POST', '/v1/chat/completions', {
    body: { model: modelName, messages: [{ role: 'user', content: `limits ${nonce()}` }] },
    headers: { authorization: `Bearer ${h.masterKey}`, host: 'llm.example.com' },
    timeoutMs,
  });
}

test('a silent provider: the client waits at most the non-streaming bound, and the edge lets LiteLLM answer', async () => {
  const deployment = timeouts.proxyWorkload;
  const config = timeouts.proxyConfigYaml;
  expect(config).toMatch(/num_retries: 2/);
  // The bound the library derived: 3 attempts × 3 s + 3 sleeps of at most 60.75 s (a Retry-After is honoured).
  const bound = nonStreamingBound(REQUEST_TIMEOUT, 2);
  const ingress = timeouts.objects.find(o => o.kind === 'Ingress');
  const edgeTimeout = Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']);
  expect(edgeTimeout).toBe(bound.seconds + 30);
  expect(Number(deployment.spec.template.spec.containers[0].env.find((e: any) => e.name === 'GRACEFUL_SHUTDOWN_TIMEOUT').value)).toBe(bound.seconds);

  const before = await timeouts.providerCalls();
  const r = await chatVia(edge.port, timeouts, 'e2e-silent', (bound.seconds + 10) * 1000);
  const attempts = (await timeouts.providerCalls()) - before;
  // LiteLLM's own timeout error (JSON an SDK understands), not nginx's 504.
  expect(r.status).toBe(408);
  expect(r.headers['content-type']).toMatch(/application\/json/);
  expect(attempts).toBe(bound.attempts);
  expect(r.ms / 1000).toBeGreaterThanOrEqual(bound.attempts * REQUEST_TIMEOUT);
  expect(r.ms / 1000).toBeLessThanOrEqual(bound.seconds);
  note('silent provider via nginx: status / attempts / client wait', `${r.status} / ${attempts} / ${(r.ms / 1000).toFixed(2)} s (bound ${bound.explanation}; edge read timeout ${edgeTimeout} s)`);
});

/** The router's rpm counters of one provider model in Redis (`<ns>:[global_router:]<id>:<provider>/<model>:rpm:<HH-MM>`), by key. */
function rpmCounters(h: Harness, providerModel: string): Record<string, number> {
  const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(h.redis!.port), ...args],
    { env: { ...h.redis!.plan.env, PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 5000 });
  const keys = cli('--scan', '--pattern', `*${providerModel}:rpm:*`).split('\n').filter(Boolean);
  return Object.fromEntries(keys.map(k => [k, Number(cli('GET', k).trim())]));
}

test('a silent provider behind an rpm limit: one attempt (it is not retried), one count against the rpm, and the next 429 at once', async () => {
  const config = timeouts.proxyConfigYaml;
  // The limited model gets no retries (LiteLLM would retry into its own 429 and sleep its 60 s Retry-After first).
  expect(config).toMatch(/model_group_retry_policy:\n\s+e2e-silent-limited:\n\s+DefaultRetries: 0/);
  // Both requests in one rpm minute (counters are per UTC minute).
  const s = new Date().getUTCSeconds();
  if (s >= 60 - (REQUEST_TIMEOUT + 8)) await sleep((60 - s) * 1000 + 300);
  const providerModel = timeouts.providerModel('e2e-silent-limited');
  const before = await timeouts.providerCalls();
  const first = await chatVia(edge.port, timeouts, 'e2e-silent-limited', 60000);
  const attempts = (await timeouts.providerCalls()) - before;
  const counted = rpmCounters(timeouts, providerModel);
  const second = await chatVia(edge.port, timeouts, 'e2e-silent-limited', 60000);
  const calls = (await timeouts.providerCalls()) - before;
  expect(first.status).toBe(408);
  expect(attempts).toBe(1);
  expect(first.ms / 1000).toBeGreaterThanOrEqual(REQUEST_TIMEOUT);
  expect(first.ms / 1000).toBeLessThan(REQUEST_TIMEOUT + 3);
  // The pre-call check's counter and the router's usage counter (`global_router:` prefix): one request, one count.
  expect(Object.keys(counted).length).toBeGreaterThan(0);
  expect(Object.values(counted).filter(v => v !== 1)).toEqual([]);
  expect(second.status).toBe(429);
  expect(second.ms).toBeLessThan(1500);
  expect(calls).toBe(1);
  note(`silent provider, rpm ${SILENT_RPM} (not retried): first request`, `${first.status} after ${(first.ms / 1000).toFixed(2)} s, ${attempts} provider attempt, rpm counter ${Object.values(counted).join(', ')}`);
  note(`silent provider, rpm ${SILENT_RPM}: the next request in the minute`, `${second.status} in ${Math.round(second.ms)} ms, no provider call`);
});

test('a stream past maxStreamSeconds is ended by LiteLLM with an error event; a shorter one arrives whole', async () => {
  const auth = { headers: { authorization: `Bearer ${timeouts.masterKey}`, host: 'llm.example.com' }, timeoutMs: 30000 };
  const long = await stream(edge.port, '/v1/chat/completions', { model: 'e2e-long-stream', stream: true, messages: [{ role: 'user', content: nonce() }] }, auth);
  const short = await stream(edge.port, '/v1/chat/completions', { model: 'e2e-short-stream', stream: true, messages: [{ role: 'user', content: nonce() }] }, auth);
  expect(long.status).toBe(200);
  expect(long.done).toBe(false);
  const error = long.events.find(e => e.data.includes('"error"'));
  expect(error?.data).toMatch(/max streaming duration/i);
  expect(contentChunks(long.events).length).toBeLessThan(10);
  expect(long.totalMs / 1000).toBeGreaterThanOrEqual(MAX_STREAM);
  expect(long.totalMs / 1000).toBeLessThan(MAX_STREAM + 1.5);
  expect(short.done).toBe(true);
  expect(contentChunks(short.events)).toHaveLength(4);
  note(`stream past maxStreamSeconds (${MAX_STREAM} s)`, `${contentChunks(long.events).length}/10 chunks, error event at ${(error!.t / 1000).toFixed(2)} s, no [DONE]`);
  note('stream within maxStreamSeconds', `${contentChunks(short.events).length}/4 chunks, [DONE] ${short.done}`);
});

test('models[].maxParallelRequests answers 429 and maxInFlightRequestsPerWorker 503 with Retry-After, for exactly the requests over each limit', async () => {
  const config = limits.proxyConfigYaml;
  expect(config).toMatch(/max_parallel_requests: 2/);
  expect(config).toMatch(/max_in_flight_requests_per_worker: 3/);
  const results = await Promise.all(Array.from({ length: 6 }, () => chatVia(l.port, limits, 'e2e-slow', 20000)));
  const by = (s: number) => results.filter(r => r.status === s);
  // The worker admits 3 (the other 3 get 503 at once); the deployment serves 2 of those, the third gets 429.
  expect(by(200)).toHaveLength(2);
  expect(by(429)).toHaveLength(1);
  expect(by(503)).toHaveLength(3);
  for (const r of by(503)) {
    expect(r.headers['retry-after']).toBe('1');
    expect(r.ms).toBeLessThan(1000);
  }
  expect(by(429)[0].ms).toBeLessThan(1500);
  expect(by(429)[0].body).toMatch(/max_parallel_requests/);
  note('6 concurrent 3-s requests, deployment limit 2, worker limit 3', `200 × ${by(200).length}, 429 × ${by(429).length} (${Math.round(by(429)[0].ms)} ms), 503 × ${by(503).length} (≤ ${Math.round(Math.max(...by(503).map(r => r.ms)))} ms, Retry-After 1)`);
});

test('a 429 from the provider goes back to the client at once, not retried (router.retryRateLimited false)', async () => {
  const config = limits.proxyConfigYaml;
  expect(config).toMatch(/num_retries: 2/);
  expect(config).toMatch(/retry_policy:\n\s+RateLimitErrorRetries: 0/);
  const before = await limits.providerCalls();
  const r = await chatVia(l.port, limits, 'e2e-provider-429', 20000);
  const calls = (await limits.providerCalls()) - before;
  expect(r.status).toBe(429);
  expect(calls).toBe(1);
  expect(r.ms).toBeLessThan(1500);
  note('provider answers 429 (num_retries 2)', `429 to the client in ${Math.round(r.ms)} ms after ${calls} provider call`);
});
