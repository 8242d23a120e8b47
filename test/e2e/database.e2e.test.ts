import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as lib from '../../lib';
import { prismaEnv } from './support/access';
import { Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { HttpResult, request, sleep, waitFor } from './support/http';
import { PostgresServer, applyMigrations, signalServer, startPostgres } from './support/postgres';
import { killAll } from './support/processes';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * The shared database going away, on the real release with a real PostgreSQL: frozen (SIGSTOP of
 * the server and every backend: a hung node, connections open, nothing answers) and then stopped.
 * Two proxies, one with `allowRequestsWhenDatabaseUnavailable` and one without, probed the way the
 * kubelet probes them (the Deployment's readiness path) while requests with a virtual key that was
 * looked up shortly before (LiteLLM keeps it 60 s in each worker's memory) keep coming.
 *
 * The proxies' database client runs through the Prisma stand-in (README, "Governance as code"), so
 * what a key that was never looked up gets while the database is down is not claimed here: the
 * stand-in reports a lost connection in words the release does not classify as one.
 */

const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => randomBytes(6).toString('hex');
/** How long each outage is watched: past the readiness check's 15 s cache of a good answer. */
const OUTAGE_MS = 24000;
const PROBE_EVERY_MS = 2500;

const DB_URLS = {
  allow: { name: 'litellm-database-allow', key: 'url' },
  strict: { name: 'litellm-database-strict', key: 'url' },
} as const;
type Mode = keyof typeof DB_URLS;

function stack(mode: Mode): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'gateway', {
    namespace: NAMESPACE,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: { enabled: false },
    redis: { password: SECRET_REFS.redisPassword },
    proxy: { replicas: 1, cpu: '1' },
    models: [{ name: 'e2e-chat', model: 'openai/fake-chat', apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey }],
    masterKey: SECRET_REFS.masterKey,
    database: { external: { url: DB_URLS[mode], maxConnections: 50 }, migrations: false },
    ...(mode === 'allow' ? { governance: { allowRequestsWhenDatabaseUnavailable: true } } : {}),
  }));
}

let pg: PostgresServer;
const h = {} as Record<Mode, Harness>;
const p = {} as Record<Mode, ProxyInstance>;
const MODES: readonly Mode[] = ['allow', 'strict'];

beforeAll(async () => {
  h.allow = new Harness(stack('allow'), { name: 'database-allow' });
  await h.allow.startFakeProvider();
  await h.allow.startRedis();
  h.strict = new Harness(stack('strict'), { name: 'database-strict', secretValues: h.allow.secretValues });
  h.strict.shareWith(h.allow);
  pg = await startPostgres(h.allow.root);
  const extras = execFileSync(path.join(VENV_BIN, 'python'), ['-c', 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))'], { encoding: 'utf8' }).trim();
  for (const mode of MODES) {
    pg.sql('postgres', `create database litellm_${mode}`);
    applyMigrations(pg, `litellm_${mode}`, path.join(extras, 'migrations'));
    h.allow.secretValues[`${DB_URLS[mode].name}/${DB_URLS[mode].key}`] = pg.url(`litellm_${mode}`);
  }
  [p.allow, p.strict] = await Promise.all(MODES.map(mode => h[mode].startProxy('proxy', s => s, prismaEnv())));
  for (const mode of MODES) await connected(mode);
}, 300000);

afterAll(async () => {
  await killAll();
  if (pg) fs.rmSync(pg.dir, { recursive: true, force: true });
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements: database outages (litellm ' + lib.LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

/** The readiness probe exactly as the Deployment declares it. */
function readiness(mode: Mode): Promise<HttpResult> {
  const probe = p[mode].plan.probes.find(x => x.kind === 'readiness')!;
  const timeoutMs = p[mode].plan.container.readinessProbe.timeoutSeconds * 1000;
  return request(probe.port!, 'GET', probe.httpPath!, { timeoutMs }).catch(() => ({ status: 0, headers: {}, body: 'probe timed out', ms: timeoutMs }));
}

async function connected(mode: Mode): Promise<void> {
  await waitFor(`${mode}: readiness with the database connected`, async () => {
    const r = await readiness(mode);
    return r.status === 200 && /"db":"connected"/.test(r.body) ? true : undefined;
  }, 120000, 500);
}

function chat(mode: Mode, key: string): Promise<HttpResult> {
  return request(p[mode].port, 'POST', '/v1/chat/completions', {
    body: { model: 'e2e-chat', messages: [{ role: 'user', content: `db ${nonce()}` }] }, headers: { authorization: `Bearer ${key}` }, timeoutMs: 30000,
  }).catch(() => ({ status: 0, headers: {}, body: 'timed out', ms: 30000 }));
}

/** A virtual key, used once so the proxy holds it in memory (as any key in use does). */
async function keyInUse(mode: Mode): Promise<string> {
  const r = await request(p[mode].port, 'POST', '/key/generate', { body: { models: ['e2e-chat'] }, headers: { authorization: `Bearer ${h[mode].masterKey}` }, timeoutMs: 30000 });
  expect(r.status).toBe(200);
  const key: string = JSON.parse(r.body).key;
  expect((await chat(mode, key)).status).toBe(200);
  return key;
}

interface Sample { readonly at: number; readonly ready: number; readonly db: string; readonly readyMs: number; readonly keyStatus: number; readonly keyMs: number }

/** Probes readiness and sends a request with the key, every PROBE_EVERY_MS, for OUTAGE_MS. */
async function watch(mode: Mode, key: string, since: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  while (performance.now() - since < OUTAGE_MS) {
    const at = performance.now() - since;
    const [r, c] = await Promise.all([readiness(mode), chat(mode, key)]);
    samples.push({ at, ready: r.status, db: /"db":"([^"]+)"/.exec(r.body)?.[1] ?? r.body, readyMs: r.ms, keyStatus: c.status, keyMs: c.ms });
    await sleep(Math.max(0, since + at + PROBE_EVERY_MS - performance.now()));
  }
  return samples;
}

/**
 * Without allowRequestsWhenDatabaseUnavailable: readiness fails once its last good answer is older than 15 s
 * (_health_endpoints.py _db_health_readiness_check_unbounded) and keeps failing: the pod leaves the Service.
 */
function expectLeavesService(samples: Sample[]): void {
  const first = samples.findIndex(s => s.ready !== 200);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(samples[first].at).toBeLessThanOrEqual(15000 + 2 * PROBE_EVERY_MS + 4000);
  expect(samples.slice(first).filter(s => s.ready === 200)).toEqual([]);
}

function summary(samples: Sample[]): string {
  const first503 = samples.find(s => s.ready !== 200);
  return `readiness ${samples.map(s => s.ready).join(' ')}${first503 ? ` (first non-200 at ${(first503.at / 1000).toFixed(1)} s)` : ''}, slowest probe ${Math.round(Math.max(...samples.map(s => s.readyMs)))} ms; `
    + `key in use ${samples.filter(s => s.keyStatus === 200).length}/${samples.length} × 200, slowest ${Math.round(Math.max(...samples.map(s => s.keyMs)))} ms`;
}

async function outage(kind: 'frozen' | 'stopped', begin: () => Promise<void>): Promise<Record<Mode, Sample[]>> {
  const keys = { allow: await keyInUse('allow'), strict: await keyInUse('strict') };
  const since = performance.now();
  await begin();
  const [allow, strict] = await Promise.all(MODES.map(mode => watch(mode, keys[mode], since)));
  for (const [mode, samples] of [['allow', allow], ['strict', strict]] as const) {
    note(`database ${kind}, ${mode === 'allow' ? 'allowRequestsWhenDatabaseUnavailable' : 'without it'} (every ${PROBE_EVERY_MS / 1000} s for ${OUTAGE_MS / 1000} s)`, summary(samples));
  }
  return { allow, strict };
}

test('the readiness probe and the key in use while PostgreSQL hangs (every process SIGSTOPped)', async () => {
  let frozen = 0;
  let samples: Record<Mode, Sample[]>;
  try {
    samples = await outage('frozen', async () => { frozen = signalServer(pg, 'SIGSTOP'); });
    // The master key while the database hangs (LiteLLM still looks something up for it).
    const master = await chat('allow', h.allow.masterKey);
    note('database frozen: a request with the master key (allowRequestsWhenDatabaseUnavailable)', `${master.status} in ${Math.round(master.ms)} ms`);
  } finally {
    signalServer(pg, 'SIGCONT');
  }
  expect(frozen).toBeGreaterThan(1);
  // With allowRequestsWhenDatabaseUnavailable the pod stays in the Service, and its answer comes within the probe's timeout.
  expect(samples.allow.filter(s => s.ready !== 200)).toEqual([]);
  expect(samples.allow.filter(s => s.keyStatus !== 200)).toEqual([]);
  // Without it readiness fails once its cached good answer (15 s) is stale: every pod leaves the Service.
  expectLeavesService(samples.strict);
  expect(samples.strict.filter(s => s.keyStatus !== 200)).toEqual([]);
  for (const mode of MODES) await connected(mode);
});

test('the readiness probe and the key in use while PostgreSQL is stopped', async () => {
  const samples = await outage('stopped', async () => { await pg.proc.stop(); });
  expect(pg.proc.running).toBe(false);
  expect(samples.allow.filter(s => s.ready !== 200)).toEqual([]);
  expect(samples.allow.filter(s => s.keyStatus !== 200)).toEqual([]);
  expectLeavesService(samples.strict);
  expect(samples.strict.filter(s => s.keyStatus !== 200)).toEqual([]);
});
