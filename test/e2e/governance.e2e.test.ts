import { execFileSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LiteLLMRelease } from '../../lib';
import { AdminApi, JobRun, outcomeOf, prismaEnv, reconcilerJob, recordAdminState, runReconciler, summaryOf } from './support/access';
import { FaultProxy } from './support/fault-proxy';
import {
  GOV_MODELS, GOV_SECRETS, KEY_DEFAULTS, KEY_LIMITS, Phase, synthesizeGovernanceStack,
} from './support/governance-stack';
import { Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { request, sleep, waitFor } from './support/http';
import { killAll, processTree } from './support/processes';
import { PostgresServer, applyMigrations, startPostgres } from './support/postgres';

/**
 * Governance as code, end to end: the real LiteLLM proxy on a real
 * PostgreSQL, and the reconciler Job exactly as synthesized (its command, env
 * and ConfigMap; Secrets filled with test values). Everything on 127.0.0.1.
 *
 * Two stand-ins, because this machine cannot reach binaries.prisma.sh (see
 * the README, "Governance as code"): the proxy's Prisma query engine is the
 * WASM build of the same engine commit behind the binary's protocol
 * (test/e2e/prisma-shim), and the schema is applied with psql from the
 * release's own migration files instead of by `prisma migrate deploy`.
 *
 * The tests run in order: each phase builds on the state the previous one left.
 */

const measured: Array<[string, string]> = [];
const note = (what: string, value: string): void => { measured.push([what, value]); };
const ms = (v: number): string => `${Math.round(v)} ms`;
const nonce = (): string => randomBytes(6).toString('hex');
const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');

let h: Harness;
let pg: PostgresServer;
let proxy: ProxyInstance;
let api: AdminApi;
const runs: JobRun[] = [];
let traceFile: string;
/** Every value the runs must never print: the master key, key values and their hashes. */
const secretsSeen = new Set<string>();

const keyValue = (ref: { name: string; key: string }): string => h.secrets(ref.name, ref.key);
const setKeyValue = (ref: { name: string; key: string }, value: string): void => {
  h.secretValues[`${ref.name}/${ref.key}`] = value;
  secretsSeen.add(value);
  secretsSeen.add(sha256(value));
};

/**
 * LITELLM_E2E_RECORD_FIXTURES=1: the runs given `record` also save what the admin API answered to
 * the reconciler's reads just before, the desired state, the key values and the run's output, as
 * fixtures of the planner's unit tests (test/python/fixtures/<record>/, see its README).
 */
const RECORD = process.env.LITELLM_E2E_RECORD_FIXTURES === '1';
const FIXTURES = path.join(__dirname, '..', 'python', 'fixtures');

interface RunOptions {
  readonly prune?: boolean;
  readonly dryRun?: boolean;
  /** Further env of the Job's container (test settings). */
  readonly env?: Record<string, string>;
  /** A fixture name to record this run under (LITELLM_E2E_RECORD_FIXTURES=1). */
  readonly record?: string;
}

async function reconcile(phase: Phase, options: RunOptions = {}): Promise<JobRun> {
  const objects = synthesizeGovernanceStack(phase, options.prune, options.dryRun);
  const fixture = RECORD && options.record ? path.join(FIXTURES, options.record) : undefined;
  if (fixture) {
    fs.rmSync(fixture, { recursive: true, force: true });
    await recordAdminState(api, path.join(fixture, 'answers'), h.masterKey);
  }
  const run = await runReconciler(h, objects, `reconcile-${runs.length + 1}-${phase}`, { LITELLM_ACCESS_TRACE_FILE: traceFile, ...options.env });
  runs.push(run);
  fs.writeFileSync(path.join(h.root, `reconcile-${runs.length}-${phase}.log`), run.output);
  if (fixture) {
    const configMap = objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'litellm-access');
    fs.writeFileSync(path.join(fixture, 'desired-state.json'), configMap.data['desired-state.json']);
    const env = Object.fromEntries(JSON.parse(configMap.data['desired-state.json']).keys
      .map((k: any) => [k.value.env, h.secretValues[k.value.source]]));
    fs.writeFileSync(path.join(fixture, 'key-env.json'), `${JSON.stringify(env, null, 2)}\n`);
    fs.writeFileSync(path.join(fixture, 'run.log'), run.output.replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://127.0.0.1:PORT'));
  }
  return run;
}

/** A chat completion with a virtual key. */
function chatWith(key: string, model: string, content = `hello ${nonce()}`): ReturnType<typeof request> {
  return request(proxy.port, 'POST', '/v1/chat/completions', {
    body: { model, messages: [{ role: 'user', content }] },
    headers: { authorization: `Bearer ${key}` },
    timeoutMs: 30000,
  });
}

/** rpm windows are per minute: keep a burst inside one. */
async function withinOneMinute(): Promise<void> {
  const s = new Date().getUTCSeconds();
  if (s >= 45) await sleep((60 - s) * 1000 + 300);
}

beforeAll(async () => {
  const t0 = performance.now();
  const initial = synthesizeGovernanceStack('initial');
  h = new Harness(initial, { name: 'governance' });
  traceFile = path.join(h.root, 'requests.jsonl');
  await h.startFakeProvider();

  pg = await startPostgres(h.root);
  const t1 = performance.now();
  const extras = execFileSync(path.join(VENV_BIN, 'python'), ['-c', 'import litellm_proxy_extras, os; print(os.path.dirname(litellm_proxy_extras.__file__))'], { encoding: 'utf8' }).trim();
  const applied = applyMigrations(pg, 'litellm', path.join(extras, 'migrations'));
  note('postgres start / migrations applied with psql', `${ms(t1 - t0)} / ${applied} in ${ms(performance.now() - t1)}`);

  h.secretValues[`${GOV_SECRETS.database.name}/${GOV_SECRETS.database.key}`] = pg.url('litellm');
  for (const ref of [GOV_SECRETS.ci, GOV_SECRETS.alice, GOV_SECRETS.research, GOV_SECRETS.researchNew]) setKeyValue(ref, `sk-e2e-${ref.key}-${nonce()}`);
  secretsSeen.add(h.masterKey);
  secretsSeen.add(sha256(h.masterKey));

  const t2 = performance.now();
  proxy = await h.startProxy('proxy', s => s, prismaEnv());
  // The Job reaches the proxy through its Service: map it to the local port.
  const container = h.proxyWorkload.spec.template.spec.containers[0];
  h.services.register(initial, h.proxyWorkload, container.ports, proxy.plan.ports);
  const readiness = proxy.plan.probes.find(p => p.kind === 'readiness')!;
  const ready = await waitFor('readiness with the database connected', async () => {
    const r = await request(readiness.port!, 'GET', readiness.httpPath!, { timeoutMs: 10000 }).catch(() => undefined);
    return r?.status === 200 && /"db":"connected"/.test(r.body) ? r.body : undefined;
  }, 120000, 500);
  note('proxy start -> readiness with db connected', `${ms(performance.now() - t2)} (${ready})`);
  api = new AdminApi(proxy.port, h.masterKey);
  note('setup total', ms(performance.now() - t0));
}, 300000);

afterAll(async () => {
  await faults?.stop();
  if (pg?.proc.running) signalPostgres('SIGCONT'); // never leave it frozen if a test failed midway
  await killAll();
  if (pg) fs.rmSync(pg.dir, { recursive: true, force: true });
  const width = Math.max(...measured.map(([k]) => k.length));
  console.log(['governance e2e measurements (litellm ' + LiteLLMRelease.VERSION + ')', ...measured.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'));
});

test('0. the proxy runs on PostgreSQL with the database settings from the manifests', () => {
  const env = proxy.plan.env;
  expect(env.DATABASE_URL).toBe(pg.url('litellm'));
  expect(env.DISABLE_SCHEMA_UPDATE).toBe('true');
  expect(pg.sql('litellm', 'select count(*) from "_prisma_migrations" where finished_at is not null').trim()).not.toBe('0');
});

test('1. a first run creates the declared budget, teams, user and keys, as declared', async () => {
  const run = await reconcile('initial', { record: 'fresh' });
  expect(run.code).toBe(0);
  for (const [kind, id] of [['budget', 'cdk8s-litellm:litellm/litellm:small'], ['team', 'analytics'], ['team', 'research'], ['user', 'alice'],
    ['key', 'analytics-ci'], ['key', 'alice-laptop'], ['key', 'research-batch']] as const) {
    expect({ kind, id, outcome: outcomeOf(run, kind, id) }).toEqual({ kind, id, outcome: 'created' });
  }
  expect(run.output).toMatch(/litellm-access: applied \(7 created, 0 updated, 0 rotated, 0 deleted, 0 unchanged, 0 kept, 0 failed\)/);

  // Read back through the API.
  const marker = { managed_by: 'cdk8s-litellm', cdk8s_litellm_owner: 'litellm/litellm' };
  const analytics = await api.team('analytics');
  expect(analytics).toMatchObject({ team_alias: 'Analytics', max_budget: 50, budget_duration: '30d', blocked: false });
  expect([...analytics.models].sort()).toEqual([GOV_MODELS.premium, 'standard']);
  expect(analytics.metadata).toMatchObject({ ...marker, costCenter: 'cc-42' });
  expect(await api.team('research')).toMatchObject({ rpm_limit: 100, models: [], metadata: marker });
  const alice = await api.user('alice');
  expect(alice).toMatchObject({ user_email: 'alice@example.com', user_role: 'internal_user', max_budget: 20, metadata: marker });
  expect(alice.teams).toEqual(['analytics']);
  expect(await api.budget('cdk8s-litellm:litellm/litellm:small')).toMatchObject({ max_budget: 8, budget_duration: '30d', rpm_limit: 30 });

  const ci = await api.key('analytics-ci');
  expect(ci).toMatchObject({ team_id: 'analytics', models: ['standard'], rpm_limit: 2, budget_id: 'cdk8s-litellm:litellm/litellm:small', metadata: marker });
  // The value is the Secret's: LiteLLM stores its sha256 only.
  expect(ci.token).toBe(sha256(keyValue(GOV_SECRETS.ci)));
  expect(await api.key('alice-laptop')).toMatchObject({ team_id: 'analytics', user_id: 'alice', models: [GOV_MODELS.premium], max_budget: 0.01 });
  // No limits declared: the proxy's key defaults, exactly as /key/generate fills them.
  expect(await api.key('research-batch')).toMatchObject({
    team_id: 'research', rpm_limit: KEY_DEFAULTS.rpmLimit, max_budget: KEY_DEFAULTS.maxBudget, budget_duration: KEY_DEFAULTS.budgetDuration, tpm_limit: KEY_LIMITS.tpmLimit,
  });
  note('run 1 (create 7 objects)', ms(run.ms));
});

test('2. a second run changes nothing and says so', async () => {
  const run = await reconcile('initial', { record: 'created' });
  expect(run.code).toBe(0);
  expect(run.output).toMatch(/litellm-access: no changes \(0 created, 0 updated, 0 rotated, 0 deleted, 7 unchanged, 0 kept, 0 failed\)/);
  note('run 2 (no changes)', ms(run.ms));
});

test('3. a declared key works through the proxy and is held to its model list, rpm and budget', async () => {
  const ci = keyValue(GOV_SECRETS.ci);
  // Model list: the "standard" access group holds e2e-chat only.
  const denied = await Promise.all([chatWith(ci, GOV_MODELS.premium), chatWith(ci, GOV_MODELS.other)]);
  for (const r of denied) {
    expect([401, 403]).toContain(r.status);
  }
  // rpm 2 (the key's own): the third request in a minute is refused.
  await withinOneMinute();
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await chatWith(ci, GOV_MODELS.chat)).status);
  expect(statuses.slice(0, 2)).toEqual([200, 200]);
  expect(statuses.slice(2)).toEqual([429, 429]);

  // Budget 0.01 USD on a priced model: the first request spends more, the next ones are refused.
  const alice = keyValue(GOV_SECRETS.alice);
  const first = await chatWith(alice, GOV_MODELS.premium);
  expect(first.status).toBe(200);
  const refused = await waitFor('the budget to be exceeded', async () => {
    const r = await chatWith(alice, GOV_MODELS.premium);
    return r.status !== 200 ? r : undefined;
  }, 20000, 500);
  // LiteLLM answers a spent budget with a client error naming it (422 on 1.108.14).
  expect(refused.status).toBeGreaterThanOrEqual(400);
  expect(refused.status).toBeLessThan(500);
  expect(refused.body).toMatch(/Budget has been exceeded/);
  note('key: wrong model / rpm 2 x 4 requests / over budget', `${denied.map(r => r.status).join(', ')} / ${statuses.join(', ')} / ${refused.status}`);
});

test('4. drift made through the API is corrected (unset limits cleared too), and a hand-wiped metadata marker is taken back', async () => {
  await api.ok('POST', '/team/update', { team_id: 'analytics', max_budget: 999, metadata: {} });
  await api.ok('POST', '/key/update', { key_alias: 'analytics-ci', rpm_limit: 99, models: [] });
  await api.ok('POST', '/team/member_delete', { team_id: 'analytics', user_id: 'alice' });
  await api.ok('POST', '/user/update', { user_id: 'alice', max_budget: 1, user_alias: 'Al' });
  // Limits and models the declarations leave unset are cleared too.
  await api.ok('POST', '/team/update', { team_id: 'research', max_budget: 77, models: [GOV_MODELS.chat] });
  await api.ok('POST', '/team/member_add', { team_id: 'research', member: { user_id: 'alice', role: 'user' } });

  const run = await reconcile('initial', { record: 'drifted' });
  expect(run.code).toBe(0);
  expect(outcomeOf(run, 'team', 'analytics')).toBe('updated: max_budget, metadata; taken over (had no ownership marker)');
  expect(outcomeOf(run, 'key', 'analytics-ci')).toBe('updated: models, rpm_limit');
  expect(outcomeOf(run, 'user', 'alice')).toBe('updated: max_budget, teams +analytics -research');
  expect(outcomeOf(run, 'team', 'research')).toBe('updated: models, max_budget');

  expect(await api.team('analytics')).toMatchObject({ max_budget: 50, metadata: { managed_by: 'cdk8s-litellm', costCenter: 'cc-42' } });
  expect(await api.key('analytics-ci')).toMatchObject({ rpm_limit: 2, models: ['standard'] });
  const alice = await api.user('alice');
  expect(alice.max_budget).toBe(20);
  // A user's alias is managed only when declared: LiteLLM's /user/update cannot clear it.
  expect(alice.user_alias).toBe('Al');
  expect(alice.teams).toEqual(['analytics']);
  expect(await api.team('research')).toMatchObject({ max_budget: null, models: [] });
  expect((await reconcile('initial')).output).toMatch(/no changes/);
});

test('5. a change in the declarations is applied: updated fields, a blocked key, a new key, user, membership and budget', async () => {
  expect((await chatWith(keyValue(GOV_SECRETS.research), GOV_MODELS.chat)).status).toBe(200);
  const run = await reconcile('changed', { record: 'changed' });
  expect(run.code).toBe(0);
  expect(outcomeOf(run, 'team', 'analytics')).toBe('updated: max_budget');
  expect(outcomeOf(run, 'team', 'research')).toBe('updated: models');
  expect(outcomeOf(run, 'user', 'alice')).toBe('updated: teams +research');
  expect(outcomeOf(run, 'key', 'research-batch')).toBe('updated: rpm_limit, blocked');
  expect(outcomeOf(run, 'key', 'research-new')).toBe('created');
  expect(outcomeOf(run, 'budget', 'cdk8s-litellm:litellm/litellm:unused')).toBe('created');
  expect(outcomeOf(run, 'budget', 'cdk8s-litellm:litellm/litellm:small')).toBe('updated: max_budget');
  expect(outcomeOf(run, 'user', 'bob')).toBe('created');

  expect((await api.team('analytics')).max_budget).toBe(60);
  expect([...(await api.team('research')).models].sort()).toEqual([GOV_MODELS.chat, GOV_MODELS.other]);
  expect((await api.user('alice')).teams.sort()).toEqual(['analytics', 'research']);
  expect(await api.key('research-batch')).toMatchObject({ rpm_limit: 7, blocked: true });
  // Before the change the key worked; blocked, it is refused.
  expect((await chatWith(keyValue(GOV_SECRETS.research), GOV_MODELS.chat)).status).not.toBe(200);
  expect((await chatWith(keyValue(GOV_SECRETS.researchNew), GOV_MODELS.chat)).status).toBe(200);
  expect((await reconcile('changed')).output).toMatch(/no changes/);
  note('run 5 (changes: 8 objects)', ms(run.ms));
});

test('6. rotation: a new value in the Secret replaces the key (no Enterprise /key/regenerate); the old value stops working', async () => {
  const old = keyValue(GOV_SECRETS.ci);
  const before = await api.key('analytics-ci');
  const fresh = `sk-e2e-rotated-${nonce()}`;
  setKeyValue(GOV_SECRETS.ci, fresh);
  const run = await reconcile('changed', { record: 'rotation' });
  expect(run.code).toBe(0);
  expect(outcomeOf(run, 'key', 'analytics-ci')).toBe('rotated');

  const after = await api.key('analytics-ci');
  expect(after.token).toBe(sha256(fresh));
  expect(after).toMatchObject({ team_id: before.team_id, models: before.models, rpm_limit: before.rpm_limit, budget_id: before.budget_id, metadata: before.metadata });
  expect(await api.key('analytics-ci-rotating')).toBeUndefined();
  const oldR = await chatWith(old, GOV_MODELS.chat);
  expect(oldR.status).toBe(401);
  const newR = await waitFor('the new value to be accepted', async () => {
    const r = await chatWith(fresh, GOV_MODELS.chat);
    return r.status === 200 ? r : undefined;
  }, 60000, 1000);
  expect(newR.status).toBe(200);
  expect((await reconcile('changed')).output).toMatch(/no changes/);
  note('rotation: old value / new value', `${oldR.status} / ${newR.status}`);
});

test('6b. an interrupted rotation (new key under the temporary alias, old key gone) is finished by the next run', async () => {
  const newer = `sk-e2e-rotated-again-${nonce()}`;
  const current = await api.key('analytics-ci');
  await api.ok('POST', '/key/generate', {
    key: newer, key_alias: 'analytics-ci-rotating', team_id: current.team_id, models: current.models, rpm_limit: current.rpm_limit,
    max_budget: current.max_budget, budget_duration: current.budget_duration, budget_id: current.budget_id, metadata: current.metadata,
  });
  await api.ok('POST', '/key/delete', { key_aliases: ['analytics-ci'] });
  setKeyValue(GOV_SECRETS.ci, newer);
  const run = await reconcile('changed', { record: 'interrupted-rotation' });
  expect(run.code).toBe(0);
  expect(outcomeOf(run, 'key', 'analytics-ci')).toBe('rotated: finished an interrupted rotation');
  expect((await api.key('analytics-ci')).token).toBe(sha256(newer));
  expect(await api.key('analytics-ci-rotating')).toBeUndefined();
  expect((await reconcile('changed')).output).toMatch(/no changes/);
});

test('7. prune deletes only undeclared objects marked as ours; hand-made ones survive', async () => {
  await api.ok('POST', '/team/new', { team_id: 'by-hand', team_alias: 'made in the UI' });
  await api.ok('POST', '/key/generate', { key_alias: 'by-hand-key', team_id: 'analytics' });
  await api.ok('POST', '/key/generate', { key_alias: 'by-hand-in-research', team_id: 'research' });

  // Without prune: reported, kept.
  const kept = await reconcile('pruned', { prune: false });
  expect(kept.code).toBe(0);
  expect(outcomeOf(kept, 'team', 'research')).toBe('not declared: kept (prune is off)');
  expect(outcomeOf(kept, 'key', 'research-new')).toBe('not declared: kept (prune is off)');
  expect(await api.teamIds()).toContain('research');

  // With prune: our keys and budget go; the team whose deletion would take a hand-made key with it stays.
  const refused = await reconcile('pruned', { record: 'prune-refused' });
  expect(refused.code).toBe(1);
  expect(outcomeOf(refused, 'key', 'research-batch')).toBe('deleted');
  expect(outcomeOf(refused, 'key', 'research-new')).toBe('deleted');
  expect(outcomeOf(refused, 'budget', 'cdk8s-litellm:litellm/litellm:unused')).toBe('deleted');
  expect(outcomeOf(refused, 'user', 'bob')).toBe('deleted');
  expect(outcomeOf(refused, 'team', 'research')).toBe('failed: not deleted: 1 key(s) not managed here belong to it and would go with it');
  expect(refused.output).toMatch(/litellm-access: FAILED/);

  await api.ok('POST', '/key/delete', { key_aliases: ['by-hand-in-research'] });
  const pruned = await reconcile('pruned');
  expect(pruned.code).toBe(0);
  expect(outcomeOf(pruned, 'team', 'research')).toBe('deleted');
  const teams = await api.teamIds();
  expect(teams).toContain('by-hand');
  expect(teams).toContain('analytics');
  expect(teams).not.toContain('research');
  expect(await api.key('by-hand-key')).toBeDefined();
  expect(await api.budgetIds()).not.toContain('cdk8s-litellm:litellm/litellm:unused');
  expect((await reconcile('pruned')).output).toMatch(/no changes/);
});

test('8. a key value LiteLLM would refuse fails the run readably, naming the key and the Secret, never the value', async () => {
  const good = keyValue(GOV_SECRETS.alice);
  const bad = `not-a-litellm-key-${nonce()}`;
  setKeyValue(GOV_SECRETS.alice, bad);
  try {
    const run = await reconcile('pruned');
    expect(run.code).toBe(1);
    expect(outcomeOf(run, 'key', 'alice-laptop')).toBe("failed: the value in Secret access-keys/alice-laptop must start with 'sk-' (LiteLLM refuses other custom keys)");
    expect(outcomeOf(run, 'key', 'analytics-ci')).toBe('unchanged');
    // The same value in two Secrets: LiteLLM would silently keep the first key (generate upserts on the value).
    setKeyValue(GOV_SECRETS.alice, keyValue(GOV_SECRETS.ci));
    const shared = await reconcile('pruned');
    expect(shared.code).toBe(1);
    expect(outcomeOf(shared, 'key', 'alice-laptop')).toBe('failed: Secret access-keys/alice-laptop holds the same value as Secret access-keys/analytics-ci; every key needs a value of its own');
  } finally {
    setKeyValue(GOV_SECRETS.alice, good);
  }
  expect((await reconcile('pruned')).output).toMatch(/no changes/);
});

// --- failure injection ------------------------------------------------------------------------
// The Job's calls go through a fault proxy in front of LiteLLM (test/e2e/support/fault-proxy.ts).
// Each test starts from the state the previous one left, and ends converged or says what is pending.

/** A per-call timeout the faults can outlast quickly (the Job's default is 60 s). */
const FAULT_ENV = { LITELLM_ACCESS_REQUEST_TIMEOUT_SECONDS: '3' };
const PRUNED = ['key research-batch', 'key research-new', 'user bob', 'team research', 'budget cdk8s-litellm:litellm/litellm:unused'];
let faults: FaultProxy | undefined;

/** The fault proxy, rule reset, with the proxy Service pointing at it. */
async function faultProxy(): Promise<FaultProxy> {
  if (faults === undefined) {
    faults = await FaultProxy.start(proxy.port);
    h.services.registerExternal(synthesizeGovernanceStack('initial'), 'litellm', faults.port);
  }
  faults.reset();
  return faults;
}

/** Every team, user, key and budget, by kind and id. */
async function inventory(): Promise<string[]> {
  const teams = (await api.ok('GET', '/v2/team/list?page_size=100')).teams.map((t: any) => `team ${t.team_id}`);
  const users = (await api.ok('GET', '/user/list?page_size=100')).users.map((u: any) => `user ${u.user_id}`);
  const keys = (await api.ok('GET', '/key/list?return_full_object=true&size=100')).keys.map((k: any) => `key ${k.key_alias}`);
  const budgets = (await api.ok('GET', '/budget/list')).map((b: any) => `budget ${b.budget_id}`);
  return [...teams, ...users, ...keys, ...budgets].sort();
}

const counts = (r: JobRun): string => {
  const s = summaryOf(r);
  return ['created', 'updated', 'deleted', 'skipped', 'failed'].filter(k => s[k] !== '0').map(k => `${s[k]} ${k}`).join(', ') || 'no changes';
};
const sec = (v: number): string => `${(v / 1000).toFixed(1)} s`;

/** Runs until the state is converged: a run that applies, then one that says "no changes". */
async function converge(phase: Phase, prune?: boolean): Promise<JobRun> {
  faults?.reset();
  const run = await reconcile(phase, { prune, env: FAULT_ENV });
  expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.any(String) });
  expect((await reconcile(phase, { prune, env: FAULT_ENV })).output).toMatch(/litellm-access: no changes/);
  return run;
}

test('11. faults: 500s from the admin API mid-run fail that change, no deletion starts, and the next run converges', async () => {
  await faultProxy();
  await converge('changed');
  // Pending for a prune run: two drifted objects (written first), then five deletions.
  await api.ok('POST', '/team/update', { team_id: 'analytics', max_budget: 999 });
  await api.ok('POST', '/user/update', { user_id: 'alice', max_budget: 1 });
  const before = await inventory();
  const fp = await faultProxy();
  fp.rule = r => (r.writeIndex === 0 ? 'error' : 'pass');
  const broken = await reconcile('pruned', { env: FAULT_ENV });
  expect(broken.code).toBe(1);
  expect(outcomeOf(broken, 'team', 'analytics')).toBe('failed: HTTP 500: injected fault');
  expect(outcomeOf(broken, 'user', 'alice')).toBe('updated: max_budget, teams -research');
  for (const object of PRUNED) {
    const [kind, id] = object.split(' ');
    expect(outcomeOf(broken, kind, id)).toBe('skipped: not deleted: the admin API failed earlier in this run');
  }
  expect(summaryOf(broken)).toMatchObject({ result: 'failed', updated: '1', deleted: '0', skipped: '5', failed: '1', complete_read: 'true', exit: '1' });
  const after = await inventory();
  expect(before.filter(o => !after.includes(o))).toEqual([]);
  const next = await converge('pruned');
  expect(summaryOf(next)).toMatchObject({ updated: '1', deleted: '5', failed: '0', drift: '1' });
  expect((await inventory()).filter(o => PRUNED.includes(o))).toEqual([]);
  note('faults: 500 at the 1st write of a prune run', `exit 1 in ${ms(broken.ms)} (${counts(broken)}); next run exit 0 (${counts(next)})`);
});

test('12. faults: a write whose answer never comes (timeout) fails that change and its dependants; the next run finds it applied', async () => {
  const fp = await faultProxy();
  // From the pruned state to "changed": the team research is the 2nd write; its answer is held past the timeout.
  fp.rule = r => (r.writeIndex === 1 ? 'hang-after' : 'pass');
  const broken = await reconcile('changed', { env: FAULT_ENV });
  expect(broken.code).toBe(1);
  expect(fp.writes[1].path).toBe('/team/new');
  expect(outcomeOf(broken, 'team', 'research')).toBe('failed: POST /team/new: timed out');
  for (const [kind, id] of [['user', 'bob'], ['key', 'research-batch'], ['key', 'research-new']]) {
    expect(outcomeOf(broken, kind, id)).toBe('failed: depends on team research, which failed above');
  }
  expect(summaryOf(broken)).toMatchObject({ result: 'failed', created: '1', failed: '5', exit: '1' });
  const next = await converge('changed');
  // The write had happened: the team is there as declared.
  expect(outcomeOf(next, 'team', 'research')).toBe('unchanged');
  note('faults: answer of the 2nd write held past the 3 s timeout', `exit 1 in ${sec(broken.ms)} (${counts(broken)}); next run: that team unchanged (applied), exit 0 (${counts(next)})`);
});

test('13. faults: an incomplete read (500s on every attempt at the key list; a short page of teams) changes nothing and exits 2', async () => {
  await api.ok('POST', '/team/update', { team_id: 'analytics', max_budget: 999 });
  const before = await inventory();
  const fp = await faultProxy();
  fp.rule = r => (r.method === 'GET' && r.path === '/key/list' ? 'error' : 'pass');
  const failedRead = await reconcile('pruned', { env: FAULT_ENV });
  expect(failedRead.code).toBe(2);
  expect(fp.writes).toEqual([]);
  expect(fp.seen.filter(r => r.path === '/key/list')).toHaveLength(3);
  expect(failedRead.output).toContain('litellm-access: could not read the current state completely: key list: page 1: HTTP 500: injected fault');
  expect(outcomeOf(failedRead, 'team', 'research')).toBe('not declared: not deleted: the current state was read incompletely');
  expect(summaryOf(failedRead)).toMatchObject({ result: 'incomplete', complete_read: 'false', deleted: '0', exit: '2' });

  fp.reset();
  fp.rule = r => (r.path === '/v2/team/list' ? 'short-page' : 'pass');
  const shortPage = await reconcile('pruned', { env: FAULT_ENV });
  expect(shortPage.code).toBe(2);
  expect(fp.writes).toEqual([]);
  expect(shortPage.output).toMatch(/could not read the current state completely: team list: \d+ items read, the proxy counts \d+/);
  expect(await inventory()).toEqual(before);
  note('faults: the key list answers 500 (3 attempts) / a short team page', `exit 2 in ${sec(failedRead.ms)} / ${ms(shortPage.ms)}, 0 writes, 0 deleted (5 deletions and 1 update pending)`);
});

test('14. faults: the proxy killed during a run: the run stops after 3 faults in a row, deletes nothing, and converges once the proxy is back', async () => {
  // Pending for a prune run: a budget tier, a team and a user that depend on nothing (analytics from test 13),
  // a key that depends on them, then five deletions. The proxy dies at the first write.
  await api.ok('POST', '/budget/update', { budget_id: 'cdk8s-litellm:litellm/litellm:small', max_budget: 99 });
  await api.ok('POST', '/user/update', { user_id: 'alice', max_budget: 1 });
  await api.ok('POST', '/key/update', { key_alias: 'analytics-ci', rpm_limit: 99 });
  const before = await inventory();
  const fp = await faultProxy();
  const killed = proxy;
  fp.onRequest = async r => {
    if (r.writeIndex === 0 && killed.proc.running) {
      killed.proc.killGroup(); // SIGKILL: a crash, an OOM kill, a node going away
      await killed.proc.exited;
    }
  };
  const broken = await reconcile('pruned', { env: FAULT_ENV });
  expect(broken.code).toBe(1);
  expect(broken.output).toContain('  stopped: the admin API failed 3 times in a row; the next run carries on');
  expect(summaryOf(broken)).toMatchObject({ result: 'failed', deleted: '0', failed: '3', exit: '1' });
  expect(outcomeOf(broken, 'key', 'analytics-ci')).toBe('skipped: not attempted: the admin API failed 3 times in a row');
  expect(Number(summaryOf(broken).skipped)).toBe(PRUNED.length + 1);

  const t0 = performance.now();
  proxy = await h.startProxy('proxy-restarted', s => s, prismaEnv());
  const readiness = proxy.plan.probes.find(p => p.kind === 'readiness')!;
  await waitFor('the restarted proxy to be ready with the database', async () => {
    const r = await request(readiness.port!, 'GET', readiness.httpPath!, { timeoutMs: 10000 }).catch(() => undefined);
    return r?.status === 200 && /"db":"connected"/.test(r.body) ? true : undefined;
  }, 120000, 500);
  const restartMs = performance.now() - t0;
  api = new AdminApi(proxy.port, h.masterKey);
  fp.upstreamPort = proxy.port;
  const after = await inventory();
  expect(before.filter(o => !after.includes(o))).toEqual([]);
  const next = await converge('pruned');
  expect(summaryOf(next)).toMatchObject({ deleted: '5', failed: '0' });
  note('faults: proxy SIGKILLed at the 1st write of a prune run', `exit 1 in ${sec(broken.ms)} (${counts(broken)}); proxy back in ${sec(restartMs)}; next run exit 0 (${counts(next)})`);
});

/** Signals PostgreSQL and every process below it (its backends run in sessions of their own). */
function signalPostgres(sig: NodeJS.Signals): number {
  const pids = processTree(pg.proc.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }
  return pids.length;
}

/** SIGSTOP to PostgreSQL (the postmaster and every backend), SIGCONT after `forMs`: a database that stops answering. */
function freezePostgres(forMs: number): Promise<void> {
  expect(signalPostgres('SIGSTOP')).toBeGreaterThan(2);
  return new Promise(resolve => setTimeout(() => { signalPostgres('SIGCONT'); resolve(); }, forMs));
}

test('15. faults: PostgreSQL frozen (SIGSTOP) for 10 s from the 1st write: the run stops after 3 timeouts, and the next converges', async () => {
  // Pending from the pruned state: creates, and two drifted objects that depend on nothing.
  await api.ok('POST', '/team/update', { team_id: 'analytics', max_budget: 999 });
  await api.ok('POST', '/key/update', { key_alias: 'analytics-ci', rpm_limit: 99 });
  const fp = await faultProxy();
  let thawed: Promise<void> | undefined;
  fp.onRequest = r => {
    if (r.writeIndex === 0 && thawed === undefined) thawed = freezePostgres(10000);
  };
  const broken = await reconcile('changed', { env: FAULT_ENV });
  await thawed;
  expect(broken.code).toBe(1);
  expect(broken.output).toContain('  stopped: the admin API failed 3 times in a row; the next run carries on');
  expect(summaryOf(broken)).toMatchObject({ result: 'failed', deleted: '0', failed: '3', exit: '1' });
  const next = await converge('changed');
  note('faults: PostgreSQL SIGSTOPped 10 s from the 1st write', `exit 1 in ${sec(broken.ms)} (${counts(broken)}); next run exit 0 (${counts(next)})`);
});

test('16. faults: PostgreSQL frozen for 10 s during the read: an incomplete read, nothing written; the next run converges', async () => {
  const before = await inventory();
  const fp = await faultProxy();
  let thawed: Promise<void> | undefined;
  fp.onRequest = r => {
    if (r.path === '/budget/list' && thawed === undefined) thawed = freezePostgres(10000);
  };
  const broken = await reconcile('pruned', { env: { LITELLM_ACCESS_REQUEST_TIMEOUT_SECONDS: '2' } });
  await thawed;
  expect(broken.code).toBe(2);
  expect(fp.writes).toEqual([]);
  expect(broken.output).toMatch(/could not read the current state completely: budget list: .*timed out/);
  expect(await inventory()).toEqual(before);
  const next = await converge('pruned');
  expect(summaryOf(next)).toMatchObject({ deleted: '5', failed: '0' });
  note('faults: PostgreSQL SIGSTOPped 10 s during the read', `exit 2 in ${sec(broken.ms)}, 0 writes (5 deletions pending); next run exit 0 (${counts(next)})`);
});

test('17. dry run (the dryRun prop): prints the plan and changes nothing; the real run then does what it announced', async () => {
  await api.ok('POST', '/team/update', { team_id: 'analytics', max_budget: 999 });
  const before = await inventory();
  const fp = await faultProxy();
  const dry = await reconcile('changed', { dryRun: true, env: FAULT_ENV });
  expect(dry.code).toBe(0);
  expect(fp.writes).toEqual([]);
  expect(await inventory()).toEqual(before);
  expect(dry.output).toContain('DRY RUN: nothing will be changed');
  expect(outcomeOf(dry, 'team', 'analytics')).toBe('would update: max_budget');
  expect(outcomeOf(dry, 'team', 'research')).toBe('would create');
  expect(summaryOf(dry)).toMatchObject({ result: 'ok', dry_run: 'true', updated: '2', exit: '0' });
  const real = await converge('changed');
  const objectLines = (r: JobRun): string[] => r.output.split('\n').filter(l => /^(budget|team|user|key) /.test(l));
  expect(objectLines(real)).toEqual(objectLines(dry).map(l => l.replace(/would (create|update|rotate|delete)/, (_m, verb: string) => `${verb}d`)));
  note('dry run (dryRun prop) then the run', `${ms(dry.ms)}, 0 writes: ${counts(dry)} planned; the run did exactly that, line for line`);
});

test('9. no run printed a secret: master key, key values or their hashes', () => {
  const all = runs.map(r => r.output).join('\n');
  expect(runs.length).toBeGreaterThan(8);
  for (const s of secretsSeen) expect(all.includes(s)).toBe(false);
});

test('10. every request body the reconciler sent validates against the release\'s own request models, field by field', () => {
  const script = path.join(__dirname, 'validate_requests.py');
  const out = execFileSync(path.join(VENV_BIN, 'python'), [script, traceFile], {
    encoding: 'utf8', env: { PATH: `${VENV_BIN}:/usr/bin:/bin`, LITELLM_LOCAL_MODEL_COST_MAP: 'True', HOME: h.root }, timeout: 120000,
  });
  const report = JSON.parse(out.trim().split('\n').pop()!);
  expect(report.problems).toEqual([]);
  // Every kind of write the reconciler makes was exercised.
  expect(Object.keys(report.validated).sort()).toEqual([
    '/budget/delete', '/budget/new', '/budget/update', '/key/delete', '/key/generate', '/key/update', '/team/delete', '/team/member_add',
    '/team/member_delete', '/team/new', '/team/update', '/user/delete', '/user/new', '/user/update',
  ]);
  note('request bodies validated (pydantic, no unknown field)', Object.entries(report.validated).map(([p, n]) => `${p} ${n}`).join(', '));
  // The trace redacts key values; it holds no secret either.
  const trace = fs.readFileSync(traceFile, 'utf8');
  for (const s of secretsSeen) expect(trace.includes(s)).toBe(false);
});

test('the synthesized Job is what ran: PostSync hook, image, Secret-only key values', () => {
  const job = reconcilerJob(synthesizeGovernanceStack('initial'));
  expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
  expect(job.spec.template.spec.containers[0].image).toBe(h.proxyWorkload.spec.template.spec.containers[0].image);
  const keyEnv = job.spec.template.spec.containers[0].env.filter((e: any) => e.name.startsWith('LITELLM_ACCESS_KEY_'));
  expect(keyEnv.length).toBe(3);
  for (const e of keyEnv) expect(e.valueFrom.secretKeyRef).toBeDefined();
});

test('governance settings: defaultKeyParams fill a key generated without them; keyParamLimits refuse one above them', async () => {
  const plain = await api.call('POST', '/key/generate', { key_alias: `defaults-${nonce()}` });
  expect(plain.status).toBe(200);
  expect(plain.json).toMatchObject({ rpm_limit: KEY_DEFAULTS.rpmLimit, max_budget: KEY_DEFAULTS.maxBudget, budget_duration: KEY_DEFAULTS.budgetDuration, tpm_limit: KEY_LIMITS.tpmLimit });
  const stored = await api.key(plain.json.key_alias);
  expect(stored).toMatchObject({ rpm_limit: KEY_DEFAULTS.rpmLimit, max_budget: KEY_DEFAULTS.maxBudget, tpm_limit: KEY_LIMITS.tpmLimit });

  const overRpm = await api.call('POST', '/key/generate', { rpm_limit: KEY_LIMITS.rpmLimit + 1 });
  const overBudget = await api.call('POST', '/key/generate', { max_budget: KEY_LIMITS.maxBudget + 1 });
  const overOnUpdate = await api.call('POST', '/key/update', { key_alias: plain.json.key_alias, rpm_limit: KEY_LIMITS.rpmLimit + 1 });
  for (const r of [overRpm, overBudget, overOnUpdate]) {
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/over max limit set in config/);
  }
  note('defaultKeyParams / keyParamLimits on /key/generate', `filled rpm ${plain.json.rpm_limit}, budget ${plain.json.max_budget}; over-limit generate/update -> ${[overRpm, overBudget, overOnUpdate].map(r => r.status).join(', ')}`);
});
