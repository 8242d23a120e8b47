import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parse, stringify } from 'yaml';
import * as lib from '../../lib';
import { KUBE_STATE_METRICS } from '../../lib/observability/proxy-alerts';
import { METRICS_PATH } from '../../lib/proxy/litellm-proxy';
import { expressions, metricNames } from '../support/promql';
import { AdminApi, prismaEnv } from './support/access';
import { Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { HttpResult, request, sleep, stream, waitFor } from './support/http';
import { killAll } from './support/processes';
import { PostgresServer, applyMigrations, startPostgres } from './support/postgres';
import { PrometheusServer, sampleNames, startPrometheus } from './support/prometheus';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './support/stack';

/**
 * Alerts and dashboard against the real thing:
 * - promtool checks the synthesized rules and runs a unit test per alert that
 *   fires and one that stays quiet (test/e2e/promtool/alerts.test.yaml);
 * - two real proxies of one LiteLLMStack (production preset: Redis, response
 *   cache, PostgreSQL, metrics) get real traffic with provider errors, cache
 *   hits, streams and 429s; every metric name the rules and the dashboard read
 *   must be in their /metrics/ (kube-state-metrics names excepted, listed in
 *   KUBE_STATE_METRICS);
 * - a real Prometheus scrapes both and evaluates the synthesized rules: pushing
 *   past an rpm limit fires LiteLLMRateLimitRejections, stopping the provider
 *   LiteLLMProviderErrors, stopping Redis LiteLLMRedisUnreachable. Test-only
 *   change: every rule's `for:` is 0s (scrape and evaluation every second), so
 *   the times measured are detection times; in a cluster the rule's `for:` and
 *   the scrape interval add to them.
 * Everything on 127.0.0.1.
 */

const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const nonce = (): string => randomBytes(6).toString('hex');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const RPM_LIMIT = 5;
const DB = { name: 'litellm-database', key: 'url' };
const MODELS = { chat: 'e2e-chat', limited: 'e2e-limited', failing: 'e2e-fail' } as const;
/** Pod names a Deployment would give the two replicas (the rules select `<name>-<hash>-<suffix>`). */
const PODS = ['litellm-7c9d8f6b5d-x8k2p', 'litellm-7c9d8f6b5d-q4w9z'];

const model = (name: string, providerModel: string, extra: Partial<lib.ModelDeployment> = {}): lib.ModelDeployment => ({
  name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...extra,
});

/**
 * The stack under test: production preset, two replicas of two workers, Redis with the response
 * cache, an external PostgreSQL (virtual keys, teams, budgets), metrics with alerts and dashboard.
 * No retries, so a failing provider answers at once. "gpt-4o" is priced in LiteLLM's bundled
 * price map, so spend moves.
 */
function observedStack(): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'observability', observedProps()));
}

/** The fleet dashboard (issue 21) over that stack: its queries are run against the real Prometheus below. */
function fleetDashboard(): any[] {
  const app = Testing.app();
  const stack = new lib.LiteLLMStack(app, 'observability', observedProps());
  const chart = new Chart(app, 'dashboards', { namespace: 'monitoring' });
  new lib.FleetDashboard(chart, 'fleet', { proxies: [stack.proxy] });
  return Testing.synth(chart);
}

function observedProps(): lib.LiteLLMStackProps {
  return {
    namespace: NAMESPACE,
    createNamespace: false,
    preset: lib.Presets.production(),
    proxy: { name: 'litellm', replicas: 2, cpu: '2' },
    router: { numRetries: 0 },
    models: [model(MODELS.chat, 'gpt-4o'), model(MODELS.limited, 'fake-limited', { rpm: RPM_LIMIT }), model(MODELS.failing, 'fake-fail-500')],
    masterKey: SECRET_REFS.masterKey,
    redis: { password: SECRET_REFS.redisPassword },
    cache: {},
    database: { external: { url: DB } },
    metrics: {},
  };
}

/** The rules promtool tests: a production stack with everything the alerts watch (Redis, database, autoscaler). */
function promtoolStack(): any[] {
  return Testing.synth(new lib.LiteLLMStack(Testing.app(), 'promtool', {
    namespace: 'litellm',
    models: [model('gpt-4o', 'gpt-4o')],
    masterKey: SECRET_REFS.masterKey,
    redis: { password: SECRET_REFS.redisPassword },
    database: { external: { url: DB } },
  }));
}

const ruleGroups = (objects: any[]): any[] => objects.find(o => o.kind === 'PrometheusRule').spec.groups;

let h: Harness;
let pg: PostgresServer;
let proxies: ProxyInstance[];
let prom: PrometheusServer;
let key: string;
let objects: any[];
let sent = 0;

/** A chat completion with the virtual key, round-robin over the replicas. */
function chat(modelName: string, content = `obs ${nonce()}`): Promise<HttpResult> {
  const p = proxies[sent++ % proxies.length];
  return request(p.port, 'POST', '/v1/chat/completions', {
    body: { model: modelName, messages: [{ role: 'user', content }] },
    headers: { authorization: `Bearer ${key}` },
    timeoutMs: 30000,
  });
}

async function firing(name: string): Promise<boolean> {
  return (await prom.alerts()).some(a => a.name === name && a.state === 'firing');
}

/**
 * Sends `send()` every 250 ms until `alert` fires (a counter's first sample is not a rate:
 * errors must keep arriving after their series appears). Returns ms from `since` to firing.
 */
async function untilFiring(alert: string, since: number, send: () => Promise<unknown>, boundMs = 90000): Promise<number> {
  const deadline = performance.now() + boundMs;
  while (performance.now() < deadline) {
    await send();
    if (await firing(alert)) return performance.now() - since;
    await sleep(250);
  }
  throw new Error(`${alert} did not fire within ${boundMs} ms; active alerts: ${JSON.stringify(await prom.alerts())}`);
}

beforeAll(async () => {
  const t0 = performance.now();
  objects = observedStack();
  h = new Harness(objects, { name: 'observability' });
  await h.startFakeProvider();
  await h.startRedis();
  pg = await startPostgres(h.root);
  const extras = execFileSync(path.join(VENV_BIN, 'python'), ['-c', 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))'], { encoding: 'utf8' }).trim();
  applyMigrations(pg, 'litellm', path.join(extras, 'migrations'));
  h.secretValues[`${DB.name}/${DB.key}`] = pg.url('litellm');
  const t1 = performance.now();
  proxies = await Promise.all(['proxy-a', 'proxy-b'].map(n => h.startProxy(n, s => s, prismaEnv())));
  await Promise.all(proxies.map(p => waitFor(`${p.name} ready with the database`, async () => {
    const r = await request(p.port, 'GET', '/health/readiness', { timeoutMs: 10000 }).catch(() => undefined);
    return r?.status === 200 && /"db":"connected"/.test(r.body) ? true : undefined;
  }, 120000, 500)));
  note('two proxies (2 workers each) start -> ready with the database', secs(performance.now() - t1));
  // A team and a key with budgets: the budget gauges and spend by team/key.
  const api = new AdminApi(proxies[0].port, h.masterKey);
  await api.ok('POST', '/team/new', { team_id: 'obs-team', team_alias: 'Observability', max_budget: 100 });
  key = (await api.ok('POST', '/key/generate', { team_id: 'obs-team', key_alias: 'obs-key', max_budget: 50 })).key;

  // The synthesized rules, for: 0s (test-only), scraped and evaluated every second.
  const groups = ruleGroups(objects).map(g => ({ ...g, rules: g.rules.map((r: any) => ({ ...r, for: '0s' })) }));
  prom = await startPrometheus(path.join(h.root, 'prometheus'), proxies.map((p, i) => ({ port: p.port, labels: { namespace: NAMESPACE, pod: PODS[i] } })),
    { groups }, METRICS_PATH);
  note('setup total', secs(performance.now() - t0));
}, 300000);

afterAll(async () => {
  await killAll();
  if (pg) fs.rmSync(pg.dir, { recursive: true, force: true });
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['observability e2e measurements (litellm ' + lib.LiteLLMRelease.VERSION + ', ' + execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0] + ')',
    ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

test('promtool: the synthesized rules pass `check rules`, and each alert fires in one unit test and stays quiet in another', () => {
  const dir = path.join(h.root, 'promtool');
  fs.mkdirSync(dir, { recursive: true });
  const groups = ruleGroups(promtoolStack());
  fs.writeFileSync(path.join(dir, 'rules-annotated.yaml'), stringify({ groups }));
  // Annotations off for the unit tests: promtool compares rendered annotations exactly; `check rules` parses their templates.
  fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: groups.map(g => ({ ...g, rules: g.rules.map(({ annotations: _a, ...r }: any) => r) })) }));
  const testFile = path.join(__dirname, 'promtool', 'alerts.test.yaml');
  fs.copyFileSync(testFile, path.join(dir, 'alerts.test.yaml'));
  const check = execFileSync('promtool', ['check', 'rules', 'rules-annotated.yaml'], { cwd: dir, encoding: 'utf8' });
  expect(check).toMatch(/SUCCESS: 14 rules found/);
  const run = execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8' });
  expect(run).toMatch(/SUCCESS/);

  const cases: any[] = parse(fs.readFileSync(testFile, 'utf8')).tests;
  const outcome = (c: any): [string, boolean] => [c.alert_rule_test[0].alertname, c.alert_rule_test[0].exp_alerts.length > 0];
  const alerts = new Set(groups[0].rules.map((r: any) => r.alert));
  for (const name of alerts) {
    expect({ name, fires: cases.some(c => outcome(c)[0] === name && outcome(c)[1]) }).toEqual({ name, fires: true });
    expect({ name, quiet: cases.some(c => outcome(c)[0] === name && !outcome(c)[1]) }).toEqual({ name, quiet: true });
  }
  note('promtool check rules / test rules', `${alerts.size} rules; ${cases.length} cases (${cases.filter(c => outcome(c)[1]).length} firing, ${cases.filter(c => !outcome(c)[1]).length} quiet), SUCCESS`);
});

test('real traffic (successes, cache hits, streams, provider errors under minRequests) leaves the alerts quiet', async () => {
  const repeated = `cache me ${nonce()}`;
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await chat(MODELS.chat)).status);
  // The same request through both replicas: the second answer comes from the shared Redis cache.
  for (let i = 0; i < 4; i++) statuses.push((await chat(MODELS.chat, repeated)).status);
  for (const p of proxies) {
    const s = await stream(p.port, '/v1/chat/completions', { model: MODELS.chat, stream: true, messages: [{ role: 'user', content: nonce() }] },
      { headers: { authorization: `Bearer ${key}` } });
    statuses.push(s.done ? 200 : s.status);
  }
  for (let i = 0; i < 3; i++) statuses.push((await chat(MODELS.limited)).status);
  const failing = [];
  for (let i = 0; i < 3; i++) failing.push((await chat(MODELS.failing)).status);
  expect(statuses.every(s => s === 200)).toBe(true);
  expect(failing).toEqual([500, 500, 500]);
  // A few scrapes and evaluations later: both targets up, nothing firing (3 failing calls < minRequests).
  await sleep(4000);
  const up = await prom.query('up');
  expect(up.map((r: any) => r.value[1])).toEqual(['1', '1']);
  expect(await prom.alerts()).toEqual([]);
  const hits = await prom.query(`sum(litellm_cache_hits_metric_total{namespace="${NAMESPACE}"})`);
  expect(Number(hits[0]?.value[1] ?? 0)).toBeGreaterThanOrEqual(1);
  note('baseline traffic', `${statuses.length} requests 200 (${Number(hits[0].value[1])} cache hits, 2 streams), 3 provider 500s: no alert`);
});

test('pushing past an rpm limit fires LiteLLMRateLimitRejections', async () => {
  expect(await firing('LiteLLMRateLimitRejections')).toBe(false);
  let first429: number | undefined;
  const counts: Record<number, number> = {};
  const ms = await untilFiring('LiteLLMRateLimitRejections', performance.now(), async () => {
    const r = await chat(MODELS.limited);
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    if (r.status === 429 && first429 === undefined) first429 = performance.now();
  });
  expect(first429).toBeDefined();
  expect(counts[429]).toBeGreaterThan(0);
  const fired = performance.now();
  note('LiteLLMRateLimitRejections: first 429 -> firing', `${secs(fired - first429!)} (${JSON.stringify(counts)} requests sent meanwhile; ${secs(ms)} from the first request)`);
});

test('stopping the provider fires LiteLLMProviderErrors for its model', async () => {
  expect((await prom.alerts()).filter(a => a.name === 'LiteLLMProviderErrors')).toEqual([]);
  await h.fake!.stop();
  const stopped = performance.now();
  const statuses: number[] = [];
  const ms = await untilFiring('LiteLLMProviderErrors', stopped, async () => { statuses.push((await chat(MODELS.chat)).status); });
  const alert = (await prom.alerts()).find(a => a.name === 'LiteLLMProviderErrors' && a.state === 'firing')!;
  expect(alert.labels).toMatchObject({ model_group: MODELS.chat, namespace: NAMESPACE, severity: 'warning' });
  expect(statuses.every(s => s >= 500)).toBe(true);
  note('LiteLLMProviderErrors: provider stopped -> firing', `${secs(ms)} (${statuses.length} requests meanwhile, all ${[...new Set(statuses)].join('/')})`);
});

test('the fleet dashboard\'s queries return the tenant\'s series from the real Prometheus (kube-state-metrics ones excepted)', async () => {
  const cm = fleetDashboard().find(o => o.kind === 'ConfigMap');
  const model = JSON.parse(Object.values<string>(cm.data)[0]);
  const targets: Array<{ title: string; expr: string }> = model.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => ({ title: p.title, expr: t.expr })));
  // Grafana's variables as Grafana would fill them for this tenant; windows wide enough for the traffic so far.
  const fill = (expr: string): string => expr.replace(/\$tenant/g, NAMESPACE).replace(/\$__rate_interval/g, '5m').replace(/\$__range/g, '10m');
  const ksm = new Set<string>(KUBE_STATE_METRICS);
  const empty: string[] = [];
  let checked = 0;
  for (const t of targets) {
    if (metricNames(t.expr).some(n => ksm.has(n))) continue;
    const result = await prom.query(fill(t.expr));
    checked++;
    if (result.length === 0) empty.push(t.title);
    for (const r of result) expect(r.metric.namespace).toBe(NAMESPACE);
  }
  expect(empty).toEqual([]);
  note('fleet dashboard', `${checked} of ${targets.length} queries run on Prometheus for tenant ${NAMESPACE}, each returned its series (${targets.length - checked} read kube-state-metrics)`);
});

test('stopping Redis fires LiteLLMRedisUnreachable', async () => {
  await h.redis!.proc.stop();
  const stopped = performance.now();
  const ms = await untilFiring('LiteLLMRedisUnreachable', stopped, () => chat(MODELS.limited));
  note('LiteLLMRedisUnreachable: Redis stopped -> firing', secs(ms));
  note('alerts active at the end', [...new Set((await prom.alerts()).map(a => `${a.name} (${a.state})`))].sort().join(', '));
});

test('every metric name the rules and the dashboard read is in the release\'s /metrics/ (kube-state-metrics names excepted)', async () => {
  const scraped = new Set<string>();
  for (const p of proxies) {
    const r = await request(p.port, 'GET', METRICS_PATH);
    expect(r.status).toBe(200);
    for (const n of sampleNames(r.body)) scraped.add(n);
  }
  const { rules, dashboard } = expressions([...objects, ...fleetDashboard()]);
  const ksm = new Set<string>(KUBE_STATE_METRICS);
  const used = { rules: new Set(rules.flatMap(metricNames)), dashboard: new Set(dashboard.flatMap(metricNames)) };
  const litellm = new Set([...used.rules, ...used.dashboard].filter(n => !ksm.has(n)));
  expect([...litellm].filter(n => !scraped.has(n)).sort()).toEqual([]);
  // The kube-state-metrics names are the only others, and LiteLLM does not export them.
  expect([...used.rules, ...used.dashboard].filter(n => !n.startsWith('litellm_') && !ksm.has(n))).toEqual([]);
  expect([...ksm].filter(n => scraped.has(n))).toEqual([]);
  note('metric names read', `${litellm.size} LiteLLM names (rules ${[...used.rules].filter(n => !ksm.has(n)).length}, dashboard ${[...used.dashboard].filter(n => !ksm.has(n)).length}), all among ${scraped.size} scraped sample names; ${ksm.size} kube-state-metrics names excepted`);
});
