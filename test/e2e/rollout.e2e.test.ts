import * as fs from 'fs';
import { randomBytes } from 'crypto';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import * as lib from '../../lib';
import { Harness, ProxyInstance } from './support/harness';
import { contentChunks, request, stream, within } from './support/http';
import { killAll } from './support/processes';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * A healthy day, end to end: the production stack without a response cache (two replicas with
 * two workers each under gunicorn, an in-cluster Redis, a model with an rpm limit) starts, serves a
 * burst within its limits, and rolls (a new replica starts, an old one drains and exits). Nothing
 * of it may log at ERROR: operators grep for ERROR, and alerts follow the logs. And a stack
 * without a response cache caches no response: identical requests each reach the provider.
 */

const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => randomBytes(6).toString('hex');

function synthesize(): any[] {
  const model = (name: string, providerModel: string, rpm?: number): lib.ModelDeployment => ({
    name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...(rpm ? { rpm } : {}),
  });
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'rollout', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: {},
    proxy: { name: 'litellm', replicas: 2, cpu: '2' },
    models: [model('e2e-chat', 'fake-chat'), model('e2e-limited', 'fake-limited', 1000), model('e2e-stream', 'fake-chunks-10-ms-50')],
    masterKey: SECRET_REFS.masterKey,
    redis: { password: SECRET_REFS.redisPassword },
  }));
}

let h: Harness;
let a: ProxyInstance;
let b: ProxyInstance;

beforeAll(async () => {
  h = new Harness(synthesize(), { name: 'rollout' });
  await h.startFakeProvider();
  await h.startRedis();
  [a, b] = await Promise.all([h.startProxy('proxy-a'), h.startProxy('proxy-b')]);
  note('start: two replicas side by side, startup probe 200 after', `${Math.round(a.startMs)} / ${Math.round(b.startMs)} ms`);
}, 240000);

afterAll(async () => {
  await killAll();
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements: a healthy start, burst and rollout (litellm ' + lib.LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

/** Lines a process logged at ERROR: LiteLLM's JSON records ("level": "ERROR") and gunicorn's / uvicorn's text lines ([ERROR], ERROR:). */
function errorLines(logFile: string, fromByte = 0): string[] {
  const text = fs.readFileSync(logFile).subarray(fromByte).toString('utf8');
  return text.split('\n').filter(l => /"level": "ERROR"|\[ERROR\]|^ERROR:|\bCRITICAL\b/.test(l)).map(l => l.slice(0, 300));
}

const chat = (inst: ProxyInstance, model: string, content = `rollout ${nonce()}`) => request(inst.port, 'POST', '/v1/chat/completions', {
  body: { model, messages: [{ role: 'user', content }] }, headers: { authorization: `Bearer ${h.masterKey}` }, timeoutMs: 30000,
});

test('1. a start logs nothing at ERROR (Redis checks of a starting worker included)', () => {
  const lines = [a, b].flatMap(p => errorLines(p.proc.logFile));
  note('start: lines at ERROR (2 replicas × 2 workers)', String(lines.length));
  expect(lines).toEqual([]);
});

test('2. a burst within the limits logs nothing at ERROR', async () => {
  // Warm workers first: a worker's first completions import and build what the request path needs, which can
  // block its event loop past the 0.2 s Redis timeout (seen in 1 of 3 runs: one timeout at ERROR from LiteLLM).
  for (const inst of [a, b]) for (let i = 0; i < 6; i++) await chat(inst, i % 2 === 0 ? 'e2e-chat' : 'e2e-limited');
  const offsets = [a, b].map(p => fs.statSync(p.proc.logFile).size);
  const instances = [a, b];
  const results = await Promise.all(Array.from({ length: 24 }, (_, i) => {
    const inst = instances[i % 2];
    if (i % 3 === 2) {
      return stream(inst.port, '/v1/chat/completions', { model: 'e2e-stream', stream: true, messages: [{ role: 'user', content: nonce() }] },
        { headers: { authorization: `Bearer ${h.masterKey}` }, timeoutMs: 30000 }).then(r => ({ status: r.done && contentChunks(r.events).length === 10 ? r.status : -1, ms: r.totalMs }));
    }
    return chat(inst, i % 3 === 0 ? 'e2e-chat' : 'e2e-limited').then(r => ({ status: r.status, ms: r.ms }));
  }));
  const lines = [a, b].flatMap((p, i) => errorLines(p.proc.logFile, offsets[i]));
  note('burst: 24 concurrent (chat, rpm-limited, streams) over both replicas', `${results.filter(r => r.status === 200).length} × 200, slowest ${Math.round(Math.max(...results.map(r => r.ms)))} ms; lines at ERROR: ${lines.length}`);
  expect(results.map(r => r.status)).toEqual(results.map(() => 200));
  expect(lines).toEqual([]);
});

test('3. without a response cache identical requests each reach the provider', async () => {
  const doc = parse(h.proxyConfigYaml);
  expect(doc.litellm_settings.cache).toBeUndefined();
  expect(doc.general_settings.coordination_redis).toBeDefined();
  const content = `same ${nonce()}`;
  const rs = [];
  for (const inst of [a, b, a]) rs.push(await chat(inst, 'e2e-chat', content));
  expect(rs.map(r => r.status)).toEqual([200, 200, 200]);
  expect(rs.map(r => r.headers['x-litellm-cache-key'])).toEqual([undefined, undefined, undefined]);
  const calls = await h.providerCalls(content);
  note('no response cache: provider calls for 3 identical requests (a, b, a)', String(calls));
  expect(calls).toBe(3);
});

test('4. a rollout (a new replica starts, an old one drains and exits) logs nothing at ERROR; gunicorn reports its workers\' stop at INFO', async () => {
  const offsets = [a, b].map(p => fs.statSync(p.proc.logFile).size);
  const c = await h.startProxy('proxy-c');
  // The kubelet: preStop (a sleep; nothing to run locally), then SIGTERM to the container's main process.
  const inFlight = stream(a.port, '/v1/chat/completions', { model: 'e2e-stream', stream: true, messages: [{ role: 'user', content: nonce() }] },
    { headers: { authorization: `Bearer ${h.masterKey}` }, timeoutMs: 60000 });
  await new Promise(r => setTimeout(r, 200));
  a.proc.signal('SIGTERM');
  const [streamed, exit] = await Promise.all([inFlight, within(a.proc.exited, 60000)]);
  expect(exit).toBeDefined();
  expect(streamed.done).toBe(true);
  expect((await chat(c, 'e2e-limited')).status).toBe(200);
  const drained = fs.readFileSync(a.proc.logFile).subarray(offsets[0]).toString('utf8');
  const stops = drained.split('\n').filter(l => /Worker \(pid:\d+\) was sent SIGTERM!/.test(l));
  const lines = [...errorLines(a.proc.logFile, offsets[0]), ...errorLines(b.proc.logFile, offsets[1]), ...errorLines(c.proc.logFile)];
  note('rollout: new replica start, drain of an old one with a stream in flight', `stream ${contentChunks(streamed.events).length}/10 chunks; exit code ${exit!.code}; lines at ERROR: ${lines.length}`);
  note('rollout: gunicorn\'s graceful worker stops', `${stops.length} × "${(stops[0] ?? '').replace(/^\[[^\]]*\] \[\d+\] /, '').replace(/pid:\d+/, 'pid:N')}"`);
  expect(stops.length).toBe(Number(a.args[a.args.indexOf('--num_workers') + 1]));
  expect(stops.every(l => /\[INFO\]/.test(l))).toBe(true);
  expect(lines).toEqual([]);
});
