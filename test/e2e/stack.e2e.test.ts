import { execFile, execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { LiteLLMRelease } from '../../lib';
import { COMPANIONS, Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { HttpResult, canConnect, contentChunks, freePort, request, sleep, stream, within } from './support/http';
import { startEdge } from './support/nginx';
import { withoutRedis } from './support/manifests';
import { killAll } from './support/processes';
import { EDGE_HOST, MODELS, PACE, RPM_LIMIT, synthesizeStack } from './support/stack';

/**
 * End to end: the synthesized stack (two proxy replicas, in-cluster Redis,
 * rpm limits, caching) runs as real processes — redis-server and two
 * `litellm` — started from the manifests, against a fake provider.
 * Everything listens on 127.0.0.1. Order matters: the Redis-down test runs
 * after the others and before the termination test, which ends one replica.
 */

/** Sequential traffic: a limit may let through at most this many extra requests. */
const RPM_TOLERANCE = 1;

const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => {
  measured.push([what, value]);
};
const ms = (v: number): string => `${Math.round(v)} ms`;
const nonce = (): string => randomBytes(6).toString('hex');

let h: Harness;
let a: ProxyInstance;
let b: ProxyInstance;

/**
 * rpm counters are per UTC minute (`{id}:{model}:rpm:%H-%M`, litellm router):
 * a burst must not straddle a minute boundary, so wait for a fresh minute when
 * fewer than 15 s are left.
 */
async function withinOneMinute(): Promise<void> {
  const s = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
  if (s >= 45) await sleep((60 - s) * 1000 + 300);
}

/** `n` requests, one at a time, alternating between the instances. */
async function burst(instances: readonly ProxyInstance[], model: string, n: number): Promise<{ accepted: number; statuses: number[]; maxMs: number }> {
  await withinOneMinute();
  const statuses: number[] = [];
  let maxMs = 0;
  for (let i = 0; i < n; i++) {
    const r = await h.chat(instances[i % instances.length].port, model, `burst ${i} ${nonce()}`, 20000);
    statuses.push(r.status);
    maxMs = Math.max(maxMs, r.ms);
  }
  return { accepted: statuses.filter(s => s === 200).length, statuses, maxMs };
}

beforeAll(async () => {
  const t0 = performance.now();
  h = new Harness(synthesizeStack());
  await h.startFakeProvider();
  await h.startRedis();
  // Two replicas start side by side, as a rollout would.
  [a, b] = await Promise.all([h.startProxy('proxy-a'), h.startProxy('proxy-b')]);
  note('proxy start -> startup probe 200 (a / b)', `${ms(a.startMs)} / ${ms(b.startMs)}`);
  note('setup (provider + redis + 2 proxies)', ms(performance.now() - t0));
}, 240000);

afterAll(async () => {
  await killAll();
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements (litellm ' + LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

test('0. the installed LiteLLM is the release the library pins (image tag and PyPI version), or the one LITELLM_VERSION asks for', () => {
  const installed = execFileSync(path.join(VENV_BIN, 'python'), ['-c', 'from importlib.metadata import version; print(version("litellm"))'], { encoding: 'utf8' }).trim();
  const image: string = h.proxyWorkload.spec.template.spec.containers[0].image;
  const wanted = process.env.LITELLM_VERSION ?? LiteLLMRelease.VERSION;
  expect(installed).toBe(wanted);
  // The manifests always pin the library's release; an override only changes what the suite runs.
  expect(image.endsWith(`:v${LiteLLMRelease.VERSION}`)).toBe(true);
  const companions = fs.existsSync(COMPANIONS) ? fs.readFileSync(COMPANIONS, 'utf8').trim() : '';
  note('litellm (PyPI) / image tag', `${installed} / ${image.split(':').pop()}${wanted !== LiteLLMRelease.VERSION ? ' (LITELLM_VERSION override)' : ''}`);
  if (companions) note('companion packages substituted', companions.replace(/\n/g, '; '));
});

test('1. every probe taken from the manifests passes on both proxies and on Redis', async () => {
  const httpProbes = a.plan.probes.filter(p => p.httpPath !== undefined);
  expect(httpProbes.map(p => p.kind).sort()).toEqual(['liveness', 'readiness', 'startup']);
  for (const inst of [a, b]) {
    for (const p of inst.plan.probes) {
      const r = await request(p.port!, 'GET', p.httpPath!, { timeoutMs: 10000 });
      expect({ instance: inst.name, probe: p.kind, path: p.httpPath, status: r.status }).toEqual({ instance: inst.name, probe: p.kind, path: p.httpPath, status: 200 });
    }
  }
  note('proxy probe paths (200 on a and b)', [...new Set(httpProbes.map(p => p.httpPath))].join(', '));

  const redisPlan = h.redis!.plan;
  const readiness = redisPlan.probes.find(p => p.kind === 'readiness')!;
  const liveness = redisPlan.probes.find(p => p.kind === 'liveness')!;
  expect(await h.runExecProbe(redisPlan, readiness)).toBe(0);
  expect(await canConnect(liveness.port!)).toBe(true);
  // The readiness probe authenticates with REDISCLI_AUTH: without it Redis refuses.
  expect(await h.runExecProbe({ ...redisPlan, env: {} }, readiness)).not.toBe(0);
  note('redis probes', 'readiness (authenticated PING) ok, liveness (tcp) ok, PING without password refused');

  // The master key from the Secret guards the API.
  const noKey = await request(a.port, 'POST', '/v1/chat/completions', { body: { model: MODELS.chat, messages: [{ role: 'user', content: 'x' }] } });
  expect(noKey.status).toBe(401);
});

test('2. a streamed completion arrives chunk by chunk at the provider\'s pace', async () => {
  const body = (model: string): unknown => ({ model, stream: true, messages: [{ role: 'user', content: `stream ${nonce()}` }] });
  const auth = { headers: { authorization: `Bearer ${h.masterKey}` } };
  const direct = await stream(h.fakePort, '/v1/chat/completions', body(h.providerModel(MODELS.stream)));
  // The first request a worker serves pays one-off set-up (~1 s of imports) while the provider's first
  // chunks queue up; the replica has two workers, so a few requests warm both before the steady state.
  const first = await stream(a.port, '/v1/chat/completions', body(MODELS.stream), auth);
  // Concurrent pairs: while one worker is busy the other accepts, so both get warmed.
  for (let i = 0; i < 2; i++) await Promise.all([0, 1].map(() => stream(a.port, '/v1/chat/completions', body(MODELS.stream), auth)));
  const warm = await stream(a.port, '/v1/chat/completions', body(MODELS.stream), auth);
  const expectedSpan = (PACE.stream.chunks - 1) * PACE.stream.intervalMs;
  for (const r of [direct, first, warm]) {
    expect(r.status).toBe(200);
    expect(r.done).toBe(true);
    expect(contentChunks(r.events)).toHaveLength(PACE.stream.chunks);
  }
  for (const r of [direct, warm]) {
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    expect(r.done).toBe(true);
    const chunks = contentChunks(r.events);
    expect(chunks).toHaveLength(PACE.stream.chunks);
    // Spread over the provider's pace, not delivered in one buffered lump at the end.
    expect(chunks[chunks.length - 1].t - chunks[0].t).toBeGreaterThanOrEqual(expectedSpan * 0.8);
  }
  const ttfc = (r: typeof direct): number => contentChunks(r.events)[0].t;
  const span = (r: typeof direct): number => { const c = contentChunks(r.events); return c[c.length - 1].t - c[0].t; };
  note('stream: content chunks (direct / proxy)', `${contentChunks(direct.events).length} / ${contentChunks(warm.events).length} (provider: ${PACE.stream.chunks} x ${PACE.stream.intervalMs} ms)`);
  note('stream: time to first chunk (direct / proxy first / proxy warm)', `${ms(ttfc(direct))} / ${ms(ttfc(first))} / ${ms(ttfc(warm))}`);
  note('stream: first->last chunk (direct / proxy warm)', `${ms(span(direct))} / ${ms(span(warm))} (expected ${expectedSpan} ms)`);
});

/** `n` requests at once, spread over the instances (each replica's workers take their share). */
async function concurrentBurst(instances: readonly ProxyInstance[], model: string, n: number): Promise<{ accepted: number; statuses: number[]; maxMs: number }> {
  await withinOneMinute();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => h.chat(instances[i % instances.length].port, model, `burst ${i} ${nonce()}`, 20000)));
  const statuses = results.map(r => r.status);
  return { accepted: statuses.filter(s => s === 200).length, statuses, maxMs: Math.max(...results.map(r => r.ms)) };
}

test(`3. the rpm limit (${RPM_LIMIT}) holds across both replicas and all their workers through Redis, and multiplies without it`, async () => {
  const workers = Number(a.args[a.args.indexOf('--num_workers') + 1]);
  const n = 4 * RPM_LIMIT;
  // A concurrent burst of 4x the limit over 2 replicas x `workers` processes: every process counts in Redis.
  const shared = await concurrentBurst([a, b], MODELS.limited, n);
  expect(shared.statuses.every(s => s === 200 || s === 429)).toBe(true);
  expect(shared.accepted).toBeLessThanOrEqual(RPM_LIMIT);
  expect(shared.accepted).toBeGreaterThanOrEqual(1);
  // Over the limit is a prompt 429 (router.retryRateLimited false), never a wait for the next minute.
  expect(shared.maxMs).toBeLessThan(5000);

  // The same two replicas without the Redis wiring: the redis keys removed from config.yaml, and
  // REDIS_* removed from the env (LiteLLM 1.108.14 connects from REDIS_HOST alone:
  // proxy_server.py _init_coordination_redis_env_fallback).
  const { removed } = withoutRedis(h.proxyConfigYaml);
  const noRedisEnv = (env: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('REDIS_')));
  const [c, d] = await Promise.all([
    h.startProxy('proxy-c-no-redis', y => withoutRedis(y).yaml, {}, noRedisEnv),
    h.startProxy('proxy-d-no-redis', y => withoutRedis(y).yaml, {}, noRedisEnv),
  ]);
  let separate: Awaited<ReturnType<typeof concurrentBurst>>;
  try {
    separate = await concurrentBurst([c, d], MODELS.limited, n);
  } finally {
    await Promise.all([c.proc.stop(), d.proc.stop()]);
  }
  expect(separate.statuses.every(s => s === 200 || s === 429)).toBe(true);
  // Each process counts alone: more than one limit gets through, at most one per process.
  expect(separate.accepted).toBeGreaterThan(RPM_LIMIT);
  expect(separate.accepted).toBeLessThanOrEqual(2 * workers * RPM_LIMIT);
  note(`rpm ${RPM_LIMIT}, ${n} concurrent requests over 2 replicas x ${workers} workers: accepted with Redis`, `${shared.accepted} (limit ${RPM_LIMIT}; rest 429, slowest ${ms(shared.maxMs)})`);
  note(`rpm ${RPM_LIMIT}, ${n} concurrent requests: accepted without Redis`, `${separate.accepted} (removed ${removed.join(', ')} and REDIS_* env)`);
});

test('4. a repeated identical request is answered from the Redis cache, also by the other replica', async () => {
  const content = `cache ${nonce()}`;
  const first = await h.chat(a.port, MODELS.chat, content);
  expect(first.status).toBe(200);
  // The cache write happens after the response; give it a moment (bounded).
  await sleep(1000);
  const fromB = await h.chat(b.port, MODELS.chat, content);
  const againA = await h.chat(a.port, MODELS.chat, content);
  for (const r of [fromB, againA]) {
    expect(r.status).toBe(200);
    expect(r.headers['x-litellm-cache-key']).toBeTruthy();
    expect(JSON.parse(r.body).choices[0].message.content).toBe(JSON.parse(first.body).choices[0].message.content);
  }
  expect(await h.providerCalls(content)).toBe(1);
  // The key is in Redis (replica b never saw the first request, so its hit came from there).
  const key = String(fromB.headers['x-litellm-cache-key']);
  const exists = execFileSync('redis-cli', ['-p', String(h.redis!.port), 'EXISTS', key], { env: { ...h.redis!.plan.env, PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 5000 }).trim();
  expect(exists).toBe('1');
  note('cache: provider calls for 3 identical requests (a, b, a)', `${await h.providerCalls(content)} (latency miss ${ms(first.ms)}, hit on b ${ms(fromB.ms)})`);
});

test('metrics: /metrics/ answers Prometheus text without the master key (the NetworkPolicy, not auth, guards it)', async () => {
  const sm = h.objects.find(o => o.kind === 'ServiceMonitor');
  const path = sm.spec.endpoints[0].path as string;
  await h.chat(a.port, MODELS.chat, `metrics ${nonce()}`);
  const r = await request(a.port, 'GET', path, { timeoutMs: 10000 });
  expect(r.status).toBe(200);
  expect(r.body).toMatch(/^# (HELP|TYPE) litellm_/m);
  note('metrics: GET ' + path + ' without a key', `${r.status}, ${r.body.split('\n').filter(l => l.startsWith('# TYPE litellm_')).length} litellm metric families`);
});

test('6. with Redis stopped the stack fails open: requests still succeed, limits fall back to each replica', async () => {
  const exit = await h.redis!.proc.stop();
  expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  expect(await h.redisListening()).toBe(false);

  for (const inst of [a, b]) {
    const ready = a.plan.probes.find(p => p.kind === 'readiness')!;
    expect((await request(inst.port, 'GET', ready.httpPath!, { timeoutMs: 10000 })).status).toBe(200);
  }
  const plain = await h.chat(a.port, MODELS.chat, `redis down ${nonce()}`);
  expect(plain.status).toBe(200);

  const n = 4 * RPM_LIMIT;
  const r = await burst([a, b], MODELS.limitedRedisDown, n);
  // Never an error: fail-open is the default (failClosed covers key/team/user limits, not a model's rpm).
  expect(r.statuses.every(s => s === 200 || s === 429)).toBe(true);
  // No longer shared: more than one limit gets through ...
  expect(r.accepted).toBeGreaterThan(RPM_LIMIT + RPM_TOLERANCE);
  // ... but each replica still counts its own.
  const workers = Number(a.args[a.args.indexOf('--num_workers') + 1]);
  expect(r.accepted).toBeLessThanOrEqual(2 * workers * (RPM_LIMIT + RPM_TOLERANCE));
  note('redis down: readiness / plain request', `200 / ${plain.status} (${ms(plain.ms)})`);
  note(`redis down: rpm ${RPM_LIMIT}, ${n} requests alternating: accepted`, `${r.accepted} (per-replica limits; slowest request ${ms(r.maxMs)})`);
});

test('5. a pod leaving: it serves during preStop, refuses at SIGTERM, the edge serves elsewhere, in-flight streams complete', async () => {
  const pod = h.proxyWorkload.spec.template.spec;
  const grace: number = pod.terminationGracePeriodSeconds;
  const drain = Number(a.plan.env.GRACEFUL_SHUTDOWN_TIMEOUT);
  const preStop = b.plan.preStop!;
  expect(preStop[0]).toBe('sleep');
  expect(b.args).toContain('--run_gunicorn');
  const edge = await startEdge(h.objects.find(o => o.kind === 'Ingress'), [a.port, b.port], await freePort(), `${h.root}/nginx`);
  const viaEdge = (): Promise<HttpResult> => request(edge.port, 'POST', '/v1/chat/completions', {
    body: { model: MODELS.chat, messages: [{ role: 'user', content: `edge ${nonce()}` }] },
    headers: { authorization: `Bearer ${h.masterKey}`, host: EDGE_HOST }, timeoutMs: 10000,
  });

  let firstChunk!: () => void;
  const gotFirst = new Promise<void>(r => { firstChunk = r; });
  const streaming = stream(b.port, '/v1/chat/completions',
    { model: MODELS.long, stream: true, messages: [{ role: 'user', content: `long ${nonce()}` }] },
    {
      headers: { authorization: `Bearer ${h.masterKey}` },
      timeoutMs: (PACE.long.chunks * PACE.long.intervalMs) + 30000,
      onEvent: e => { if (contentChunks([e]).length > 0) firstChunk(); },
    });
  if ((await within(gotFirst.then(() => true), 15000)) !== true) throw new Error('no first chunk within 15 s');

  // What the kubelet does: the pod leaves the Service's endpoints as deletion starts, the preStop
  // hook runs, then SIGTERM; the grace period counts from the start.
  const terminationStarted = performance.now();
  const preStopDone = new Promise<void>((resolve, reject) => execFile(preStop[0], preStop.slice(1), { timeout: 60000 }, e => (e ? reject(e) : resolve())));
  await sleep(1000);
  // 1 s into the termination: the pod still serves (endpoints may not have caught up yet).
  const duringPreStop = await h.chat(b.port, MODELS.chat, `prestop ${nonce()}`, 5000);
  await preStopDone;
  const sigtermAt = performance.now();
  b.proc.signal('SIGTERM');
  await sleep(1000);
  // 1 s into the drain: straight to the pod, and through the edge that may still list it.
  const [direct, edgeResults] = await Promise.all([
    request(b.port, 'GET', '/health/readiness', { timeoutMs: 5000 }).then(r => ({ ok: true, ms: r.ms, status: r.status }), (e: Error) => ({ ok: false, ms: performance.now() - sigtermAt - 1000, status: 0, error: e.message })),
    Promise.all(Array.from({ length: 6 }, () => viaEdge())),
  ]);
  const result = await streaming;
  const exit = await within(b.proc.exited, Math.min(grace, 60) * 1000);
  await edge.stop();

  expect(duringPreStop.status).toBe(200);
  // Refused at once, never a hang.
  expect(direct.ok).toBe(false);
  expect(direct.ms).toBeLessThan(2000);
  for (const r of edgeResults) {
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(2000);
  }
  expect(result.status).toBe(200);
  expect(result.done).toBe(true);
  expect(contentChunks(result.events)).toHaveLength(PACE.long.chunks);
  expect(exit).toBeDefined();
  const exitAfterStart = (exit!.at - terminationStarted) / 1000;
  expect(exitAfterStart).toBeLessThan(grace);
  expect(exit!.at).toBeGreaterThanOrEqual(result.endedAt - 50);
  // The other replica keeps serving.
  expect((await h.chat(a.port, MODELS.chat, `after ${nonce()}`)).status).toBe(200);

  note('manifest: preStop / GRACEFUL_SHUTDOWN_TIMEOUT / grace', `${preStop.join(' ')} / ${drain} s / ${grace} s`);
  note('1 s into preStop: request straight to the pod', `${duringPreStop.status} in ${ms(duringPreStop.ms)}`);
  note('1 s into the drain: straight to the pod', direct.ok ? `answered ${direct.status}` : `refused in ${ms(Math.max(0, direct.ms))}`);
  note('1 s into the drain: 6 requests through nginx (both replicas listed)', `${edgeResults.map(r => r.status).join(' ')}, slowest ${ms(Math.max(...edgeResults.map(r => r.ms)))}`);
  note('in-flight stream on the leaving pod', `${contentChunks(result.events).length}/${PACE.long.chunks} chunks, [DONE] ${result.done}`);
  note('termination start -> exit (grace period)', `${exitAfterStart.toFixed(1)} s (< ${grace} s), ${ms(exit!.at - result.endedAt)} after the stream ended`);
});

// Reading config.yaml back from the manifests is part of the contract: fail loudly if its shape changes.
test('the synthesized config.yaml carries the wiring the suite relies on', () => {
  const doc = parse(h.proxyConfigYaml);
  expect(doc.router_settings.optional_pre_call_checks).toContain('enforce_model_rate_limits');
  expect(doc.litellm_settings.cache_params.type).toBe('redis');
  expect(doc.model_list.find((m: any) => m.model_name === MODELS.limited).litellm_params.rpm).toBe(RPM_LIMIT);
});
