import { execFileSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LiteLLMRelease } from '../../lib';
import { AdminApi, JobRun, outcomeOf, prismaEnv, reconcilerJob, runReconciler } from './support/access';
import {
  GOV_MODELS, GOV_SECRETS, KEY_DEFAULTS, KEY_LIMITS, Phase, synthesizeGovernanceStack,
} from './support/governance-stack';
import { Harness, ProxyInstance, VENV_BIN } from './support/harness';
import { request, sleep, waitFor } from './support/http';
import { killAll } from './support/processes';
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

async function reconcile(phase: Phase, options: { prune?: boolean } = {}): Promise<JobRun> {
  const objects = synthesizeGovernanceStack(phase, options.prune);
  const run = await runReconciler(h, objects, `reconcile-${runs.length + 1}-${phase}`, { LITELLM_ACCESS_TRACE_FILE: traceFile });
  runs.push(run);
  fs.writeFileSync(path.join(h.root, `reconcile-${runs.length}-${phase}.log`), run.output);
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
  const run = await reconcile('initial');
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
  const run = await reconcile('initial');
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

  const run = await reconcile('initial');
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
  const run = await reconcile('changed');
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
  const run = await reconcile('changed');
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
  const run = await reconcile('changed');
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
  const refused = await reconcile('pruned');
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
