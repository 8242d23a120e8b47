import { execFileSync, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import * as lib from '../../lib';
import { prismaEnv } from './support/access';
import { Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { contentChunks, request, sleep, stream, waitFor } from './support/http';
import { PostgresServer, applyMigrations, startPostgres } from './support/postgres';
import { killAll } from './support/processes';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * Redis failure modes and tenants, on the real release with a real redis-server:
 * - a hung Redis (SIGSTOP: a frozen node, a network black hole) costs a
 *   request on a rate-limited model, one with a virtual key carrying limits,
 *   and a stream's first token at most one short timeout, from the moment of
 *   the hang, every request reported;
 * - failClosed refuses (503) requests whose key limits can't be checked while
 *   Redis is down, instead of letting every process count on its own;
 * - two stacks with identical models and rpm on one redis-server keep separate
 *   counters, and no key is written outside their namespaces.
 */

const RPM = 5;
/** rpm of the limited models the hung-Redis test uses: every request reads and writes its counter, none is refused. */
const WIDE_RPM = 1000;
/** A request may cost this much more while Redis hangs: one socket timeout (0.2 s) and scheduling noise. */
const HUNG_BUDGET_MS = 300;
/** A test-only Redis user that may run MONITOR (the synthesized ACL denies it to everyone else). */
const OBSERVER = { user: 'e2e-observer', password: randomBytes(8).toString('hex') };
const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => randomBytes(6).toString('hex');
const ms = (v: number): string => `${Math.round(v)} ms`;
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const model = (name: string, providerModel: string, extra: Partial<lib.ModelDeployment> = {}): lib.ModelDeployment => ({
  name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...extra,
});
const DB_URL = { name: 'litellm-database', key: 'url' };
const DB_URL_D = { name: 'litellm-database-d', key: 'url' };

/**
 * A tenant: one replica with two workers (gunicorn), an in-cluster Redis, the same models and rpm
 * as every other tenant. With `database` (its URL's Secret): one worker and virtual keys on
 * PostgreSQL (`failClosed` as asked).
 */
function tenantStack(namespace: string, options: { database?: typeof DB_URL; failClosed?: boolean } = {}): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'gateway', {
    namespace,
    preset: lib.Presets.production(),
    createNamespace: false,
    metrics: { enabled: false },
    redis: { password: SECRET_REFS.redisPassword },
    proxy: { replicas: 1, ...(options.database ? { cpu: '1', failClosed: options.failClosed ?? false } : { cpu: '2' }) },
    models: [
      model('e2e-chat', 'fake-chat'), model('e2e-limited', 'fake-limited', { rpm: RPM }), model('e2e-stream', 'fake-chunks-5-ms-50'),
      model('e2e-limited-wide', 'fake-limited-wide', { rpm: WIDE_RPM }), model('e2e-stream-limited', 'fake-chunks-5-ms-50-limited', { rpm: WIDE_RPM }),
    ],
    masterKey: SECRET_REFS.masterKey,
    ...(options.database ? { database: { external: { url: options.database, maxConnections: 50 }, migrations: false } } : {}),
  }));
}

let a: Harness;
let b: Harness;
let c: Harness;
let pa: ProxyInstance;
let pb: ProxyInstance;
let pc: ProxyInstance;
let d: Harness;
let pd: ProxyInstance;
let pg: PostgresServer | undefined;

beforeAll(async () => {
  // Tenants A and B share A's redis-server; C (governed: virtual keys on PostgreSQL, failClosed) too.
  a = new Harness(tenantStack('tenant-a'), { name: 'redis-a', namespace: 'tenant-a' });
  await a.startFakeProvider();
  await a.startRedis([`user ${OBSERVER.user} on >${OBSERVER.password} +monitor +ping +auth +hello +client`]);
  b = new Harness(tenantStack('tenant-b'), { name: 'redis-b', namespace: 'tenant-b', secretValues: a.secretValues });
  b.shareWith(a);
  c = new Harness(tenantStack('tenant-c', { database: DB_URL, failClosed: true }), { name: 'redis-c', namespace: 'tenant-c', secretValues: a.secretValues });
  c.shareWith(a);
  // Tenant D: virtual keys with limits, LiteLLM's default (fail open), its own database on the same server.
  d = new Harness(tenantStack('tenant-d', { database: DB_URL_D }), { name: 'redis-d', namespace: 'tenant-d', secretValues: a.secretValues });
  d.shareWith(a);
  pg = await startPostgres(c.root);
  const extras = execFileSync(path.join(VENV_BIN, 'python'), ['-c', 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))'], { encoding: 'utf8' }).trim();
  applyMigrations(pg, 'litellm', path.join(extras, 'migrations'));
  pg.sql('postgres', 'create database litellm_d');
  applyMigrations(pg, 'litellm_d', path.join(extras, 'migrations'));
  c.secretValues[`${DB_URL.name}/${DB_URL.key}`] = pg.url('litellm');
  c.secretValues[`${DB_URL_D.name}/${DB_URL_D.key}`] = pg.url('litellm_d');
  [pa, pb, pc, pd] = await Promise.all([a.startProxy('proxy-a'), b.startProxy('proxy-b'), c.startProxy('proxy-c', s => s, prismaEnv()), d.startProxy('proxy-d', s => s, prismaEnv())]);
  for (const [h, p] of [[c, pc], [d, pd]] as const) {
    await waitFor(`${h.root} readiness with the database connected`, async () => {
      const r = await request(p.port, 'GET', '/health/readiness', { timeoutMs: 10000 }).catch(() => undefined);
      return r?.status === 200 && /"db":"connected"/.test(r.body) ? true : undefined;
    }, 120000, 500);
  }
}, 300000);

afterAll(async () => {
  await killAll();
  if (pg) fs.rmSync(pg.dir, { recursive: true, force: true });
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['e2e measurements: Redis (litellm ' + lib.LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

/** rpm counters are per UTC minute: start a burst with at least `seconds` left in the minute. */
async function freshMinute(seconds = 20): Promise<void> {
  const s = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
  if (s >= 60 - seconds) await sleep((60 - s) * 1000 + 300);
}

const chat = (h: Harness, p: ProxyInstance, modelName: string, key = h.masterKey, timeoutMs = 30000) => request(p.port, 'POST', '/v1/chat/completions', {
  body: { model: modelName, messages: [{ role: 'user', content: `redis ${nonce()}` }] }, headers: { authorization: `Bearer ${key}` }, timeoutMs,
});

/** Every Redis command's key, as `redis-cli MONITOR` sees them (Lua scripts included), while `during` runs. */
async function monitorKeys(h: Harness, during: () => Promise<void>): Promise<string[]> {
  const env = { PATH: process.env.PATH ?? '', REDISCLI_AUTH: OBSERVER.password };
  const mon = spawn('redis-cli', ['-p', String(h.redis!.port), '--user', OBSERVER.user, 'MONITOR'], { env });
  let out = '';
  mon.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  await sleep(300);
  try {
    await during();
    await sleep(500);
  } finally {
    mon.kill('SIGTERM');
  }
  fs.writeFileSync(path.join(h.root, 'monitor.log'), out);
  const keys = new Set<string>();
  for (const line of out.split('\n')) {
    // 1712345678.123 [0 127.0.0.1:5555] "INCRBY" "key" "1"  |  ... "EVALSHA" "<sha>" "2" "key1" "key2" ...
    const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(x => x[1]);
    if (args.length < 2) continue;
    const cmd = args[0].toUpperCase();
    if (['PING', 'INFO', 'CLIENT', 'HELLO', 'SELECT', 'SCRIPT', 'AUTH', 'MONITOR', 'COMMAND'].includes(cmd)) continue;
    if (cmd === 'EVALSHA' || cmd === 'EVAL') {
      const n = Number(args[2]);
      for (let i = 0; i < n; i++) keys.add(args[3 + i]);
    } else if (cmd === 'MGET' || cmd === 'DEL' || cmd === 'EXISTS') {
      args.slice(1).forEach(k => keys.add(k));
    } else if (cmd === 'MSET') {
      args.slice(1).filter((_, i) => i % 2 === 0).forEach(k => keys.add(k));
    } else {
      keys.add(args[1]);
    }
  }
  return [...keys];
}

test('0. each tenant has one Redis client under its own namespace, shared by the router, with a short timeout and a breaker that opens at once', () => {
  for (const [h, ns] of [[a, 'tenant-a/gateway'], [b, 'tenant-b/gateway'], [c, 'tenant-c/gateway'], [d, 'tenant-d/gateway']] as const) {
    const doc = parse(h.proxyConfigYaml);
    expect(doc.general_settings.coordination_redis).toMatchObject({ namespace: ns, socket_timeout: 'os.environ/REDIS_SOCKET_TIMEOUT' });
    // No client of the router's own: it attaches the proxy's (proxy_server.py update_redis_cache).
    expect(Object.keys(doc.router_settings).filter(k => k.startsWith('redis_') || k === 'cache_kwargs')).toEqual([]);
    expect(doc.litellm_settings.cache).toBeUndefined();
  }
  expect(pa.plan.env).toMatchObject({ REDIS_SOCKET_TIMEOUT: '0.2', REDIS_CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1', REDIS_CIRCUIT_BREAKER_TIMEOUT_MIN_DURATION: '0' });
  expect(pa.args).toContain('--run_gunicorn');
});

test('1. tenants with identical models and rpm on one redis-server keep separate counters; no key outside the namespaces', async () => {
  await freshMinute(25);
  let aStatuses: number[] = [];
  let bStatuses: number[] = [];
  const keys = await monitorKeys(a, async () => {
    // Tenant A exhausts its rpm (concurrently, 4x the limit) ...
    aStatuses = (await Promise.all(Array.from({ length: 4 * RPM }, () => chat(a, pa, 'e2e-limited').catch(() => ({ status: 0 }))))).map(r => r.status);
    // ... tenant B still has all of its own.
    bStatuses = (await Promise.all(Array.from({ length: RPM + 2 }, () => chat(b, pb, 'e2e-limited').catch(() => ({ status: 0 }))))).map(r => r.status);
    await chat(b, pb, 'e2e-chat');
  });
  const accepted = (xs: number[]) => xs.filter(s => s === 200).length;
  expect({ a: aStatuses, b: bStatuses }).toEqual({ a: aStatuses.filter(s => s === 200 || s === 429), b: bStatuses.filter(s => s === 200 || s === 429) });
  expect(accepted(aStatuses)).toBe(RPM);
  expect(accepted(bStatuses)).toBe(RPM);
  const inside = (k: string): boolean => ['tenant-a/gateway:', 'tenant-b/gateway:', 'tenant-c/gateway:', 'tenant-d/gateway:'].some(p => k.startsWith(p));
  const outside = keys.filter(k => !inside(k));
  expect(keys.length).toBeGreaterThan(0);
  expect(outside).toEqual([]);
  // A SCAN afterwards agrees (keys that outlive the minute).
  const scan = execFileSync('redis-cli', ['-p', String(a.redis!.port), '--scan'], { env: { ...a.redis!.plan.env, PATH: process.env.PATH ?? '' }, encoding: 'utf8' })
    .split('\n').filter(Boolean);
  expect(scan.filter(k => !inside(k))).toEqual([]);
  note(`rpm ${RPM}, concurrent burst of ${4 * RPM} on tenant A (1 replica × 2 workers)`, `${accepted(aStatuses)} accepted, ${aStatuses.length - accepted(aStatuses)} × 429`);
  note(`then ${RPM + 2} on tenant B (identical model entry and rpm)`, `${accepted(bStatuses)} accepted`);
  note('Redis keys touched (MONITOR) / outside the namespaces', `${keys.length} / ${outside.length} (SCAN: ${scan.length} keys, 0 outside)`);
});

test('2. a hung Redis (SIGSTOP) costs a request on a limited model, with a limited virtual key, and a stream\'s first token at most one short timeout', async () => {
  // A virtual key with limits on tenant D (fail open, LiteLLM's default): its rpm/tpm live in Redis (parallel_request_limiter_v3).
  const created = await request(pd.port, 'POST', '/key/generate', {
    body: { key_alias: `hung-${nonce()}`, rpm_limit: WIDE_RPM, tpm_limit: 1000000, models: ['e2e-chat'] }, headers: { authorization: `Bearer ${d.masterKey}` }, timeoutMs: 30000,
  });
  expect(created.status).toBe(200);
  const key: string = JSON.parse(created.body).key;
  const streamBody = (): unknown => ({ model: 'e2e-stream-limited', stream: true, messages: [{ role: 'user', content: `hang ${nonce()}` }] });
  const kinds = {
    'limited model': async () => { const r = await chat(b, pb, 'e2e-limited-wide', b.masterKey, 60000); return { status: r.status, ms: r.ms }; },
    'limited key': async () => { const r = await chat(d, pd, 'e2e-chat', key, 60000); return { status: r.status, ms: r.ms }; },
    'stream first token': async () => {
      const r = await stream(pb.port, '/v1/chat/completions', streamBody(), { headers: { authorization: `Bearer ${b.masterKey}` }, timeoutMs: 60000 });
      return { status: r.done ? r.status : -1, ms: contentChunks(r.events)[0]?.t ?? r.totalMs };
    },
  } as const;
  type Kind = keyof typeof kinds;
  const names = Object.keys(kinds) as Kind[];
  // Warm every worker (concurrent pairs land on both of B's), then the baseline.
  for (let i = 0; i < 3; i++) for (const k of names) await Promise.all([kinds[k](), kinds[k]()]);
  const base: Record<Kind, number[]> = { 'limited model': [], 'limited key': [], 'stream first token': [] };
  for (let i = 0; i < 6; i++) for (const k of names) base[k].push((await kinds[k]()).ms);

  // From the moment of the hang: every request, in order, until past the breaker's 10 s recovery (its probe pays again).
  const hung: Array<{ kind: Kind; at: number; status: number; ms: number }> = [];
  a.redis!.proc.signal('SIGSTOP');
  const stoppedAt = performance.now();
  try {
    for (const round of [0, 1]) {
      if (round === 1) await sleep(Math.max(0, stoppedAt + 10500 - performance.now()));
      for (let i = 0; i < 5; i++) {
        for (const k of names) {
          const at = performance.now() - stoppedAt;
          const r = await kinds[k]();
          hung.push({ kind: k, at, ...r });
        }
      }
    }
  } finally {
    a.redis!.proc.signal('SIGCONT');
  }
  const added = (h: typeof hung[number]): number => h.ms - median(base[h.kind]);
  expect(hung.filter(h => h.status !== 200)).toEqual([]);
  for (const k of names) {
    const mine = hung.filter(h => h.kind === k);
    note(`hung Redis: ${k}, baseline median / added per request, in order (ms)`,
      `${ms(median(base[k]))} / ${mine.map(h => Math.round(added(h))).join(' ')} (max +${ms(Math.max(...mine.map(added)))})`);
  }
  expect(hung.filter(h => added(h) > HUNG_BUDGET_MS).map(h => ({ ...h, added: Math.round(added(h)) }))).toEqual([]);
});

test('3. failClosed: while Redis is down a key\'s limits cannot be checked, so its requests get 503, never N× the limit', async () => {
  expect(c.proxyConfigYaml).toMatch(/fail_closed_rate_limit_enforcement: true/);
  // Virtual keys with rpm 2, created through the admin API on the real database: one used while Redis
  // is up, one first used while it is down (no process has counted anything for it, which is where
  // fail-open would let every process take the whole limit; the limiter's local mirror keeps the first
  // key's count for its 60 s window).
  const newKey = async (): Promise<string> => {
    const created = await request(pc.port, 'POST', '/key/generate', {
      body: { key_alias: `fail-closed-${nonce()}`, rpm_limit: 2, models: ['e2e-chat'] }, headers: { authorization: `Bearer ${c.masterKey}` }, timeoutMs: 30000,
    });
    expect(created.status).toBe(200);
    return JSON.parse(created.body).key;
  };
  const key = await newKey();
  const unused = await newKey();
  const up = await Promise.all(Array.from({ length: 4 }, () => chat(c, pc, 'e2e-chat', key)));
  expect(up.filter(r => r.status === 200)).toHaveLength(2);

  const exit = await a.redis!.proc.stop();
  expect(exit).toBeDefined();
  const down = await Promise.all(Array.from({ length: 6 }, () => chat(c, pc, 'e2e-chat', unused)));
  const byStatus = (code: number) => down.filter(r => r.status === code).length;
  expect({ statuses: down.map(r => r.status), body: down[0].body.slice(0, 300) }).toEqual({ statuses: down.map(() => 503), body: expect.stringMatching(/fail_closed_rate_limit_enforcement/) });
  // The master key has no limits of its own: it is served.
  const master = await chat(c, pc, 'e2e-chat');
  expect(master.status).toBe(200);
  note('failClosed, key rpm 2, Redis up: 4 concurrent', `${up.filter(r => r.status === 200).length} × 200, ${up.filter(r => r.status === 429).length} × 429`);
  note('failClosed, Redis stopped: 6 concurrent with the key', `${byStatus(503)} × 503 (slowest ${ms(Math.max(...down.map(r => r.ms)))}); master key ${master.status}`);
});
