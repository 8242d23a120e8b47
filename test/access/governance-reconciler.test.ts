import { Chart, Testing } from 'cdk8s';
import {
  ExternalPostgres, GovernanceReconciler, GovernanceReconcilerProps, GovernanceSettings, KeyDeclaration, LiteLLMProxy, LiteLLMProxyProps,
  LiteLLMStack, LiteLLMStackProps, PriorityShare, TeamDeclaration,
} from '../../lib';
import { RECONCILE_SCRIPT } from '../../lib/access/reconcile-script';
import { expectOurError } from '../support/expectations';
import { policyViolations } from '../support/policy';
import { schemaErrors } from '../support/schema';
import { byKind, envMap, one } from '../support/synth';

const masterKey = { name: 'litellm-master', key: 'master-key' };
const keyRef = (key: string) => ({ name: 'access-keys', key });
const models: LiteLLMProxyProps['models'] = [
  { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, accessGroups: ['premium'] },
  { name: 'gpt-4o-mini', model: 'openai/gpt-4o-mini', apiKey: { name: 'provider-keys', key: 'openai' }, accessGroups: ['standard'] },
  { name: 'claude', model: 'anthropic/claude-sonnet-4-5', apiKey: { name: 'provider-keys', key: 'anthropic' } },
];

/** Two teams, a user, a budget tier, keys: the README's example. */
const example: Omit<GovernanceReconcilerProps, 'proxy'> = {
  teams: [
    { id: 'analytics', alias: 'Analytics', models: ['standard', 'gpt-4o'], maxBudget: 500, budgetDuration: '30d', rpmLimit: 600, metadata: { costCenter: 'cc-42' } },
    { id: 'support-bot', models: ['standard'], maxBudget: 100, budgetDuration: '30d' },
  ],
  users: [{ id: 'alice', email: 'alice@example.com', teams: ['analytics'], maxBudget: 50, budgetDuration: '30d' }],
  budgets: [{ id: 'ci', maxBudget: 20, budgetDuration: '7d', rpmLimit: 60 }],
  keys: [
    { alias: 'analytics-ci', value: keyRef('analytics-ci'), team: 'analytics', budget: 'ci', models: ['gpt-4o-mini'] },
    { alias: 'alice-notebook', value: keyRef('alice-notebook'), team: 'analytics', user: 'alice', maxBudget: 25, duration: '90d' },
    { alias: 'support-bot-prod', value: keyRef('support-bot-prod'), team: 'support-bot', rpmLimit: 120, tpmLimit: 200000, maxParallelRequests: 10 },
  ],
};

interface Options {
  readonly access?: Partial<GovernanceReconcilerProps>;
  readonly governance?: GovernanceSettings;
  readonly proxy?: Partial<LiteLLMProxyProps>;
  readonly database?: boolean;
}

function build(o: Options = {}): { chart: Chart; proxy: LiteLLMProxy; reconciler: GovernanceReconciler } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'llm', disableResourceNameHashes: true });
  const proxy = new LiteLLMProxy(chart, 'litellm', {
    models, masterKey, acceptPerReplicaLimits: true,
    ...(o.database === false ? {} : { database: new ExternalPostgres({ url: { name: 'litellm-db', key: 'url' } }) }),
    ...o.proxy,
    ...(o.governance ? { governance: o.governance } : {}),
  } as LiteLLMProxyProps);
  const reconciler = new GovernanceReconciler(chart, 'Access', { proxy, ...example, ...o.access } as GovernanceReconcilerProps);
  return { chart, proxy, reconciler };
}

const objectsOf = (o: Options = {}): any[] => Testing.synth(build(o).chart);
const accessJob = (objects: any[]): any => byKind(objects, 'Job').find(j => j.metadata.name.startsWith('litellm-access-'));
const desired = (objects: any[]): any => JSON.parse(one(objects, 'ConfigMap', 'litellm-access').data['desired-state.json']);

describe('GovernanceReconciler', () => {
  const objects = objectsOf();

  test('snapshot: a proxy with two teams, a user, a budget tier and three keys', () => {
    expect(objects).toMatchSnapshot();
  });

  test('every object passes the upstream schemas and the policy gate', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('the Job is an Argo CD PostSync hook, replaced at the next sync, named by a hash of what it runs', () => {
    const job = accessJob(objects);
    expect(job.metadata.name).toMatch(/^litellm-access-[0-9a-f]{8}$/);
    expect(job.metadata.annotations).toEqual({ 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 86400 });
  });

  test('it runs the embedded program with the proxy image, under the restricted profile, with no token and bounded resources', () => {
    const pod = accessJob(objects).spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/berriai/litellm-non_root:v1.108.14');
    expect(c.command).toEqual(['python', '/etc/litellm-access/reconcile.py']);
    expect(c.volumeMounts).toEqual([{ name: 'desired-state', mountPath: '/etc/litellm-access', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'desired-state', configMap: { name: 'litellm-access' } }]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(one(objects, 'ServiceAccount', 'litellm-access').automountServiceAccountToken).toBe(false);
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(one(objects, 'ConfigMap', 'litellm-access').data['reconcile.py']).toBe(RECONCILE_SCRIPT);
  });

  test('the master key and every key value reach the Job only as secretKeyRef; the proxy by its Service name', () => {
    const env = envMap(accessJob(objects).spec.template.spec.containers[0]);
    expect(env).toMatchObject({
      LITELLM_PROXY_HOST: 'litellm.llm.svc.cluster.local', LITELLM_PROXY_PORT: '4000',
      LITELLM_MASTER_KEY: { secretKeyRef: masterKey },
      LITELLM_ACCESS_KEY_0: { secretKeyRef: keyRef('analytics-ci') },
      LITELLM_ACCESS_KEY_1: { secretKeyRef: keyRef('alice-notebook') },
      LITELLM_ACCESS_KEY_2: { secretKeyRef: keyRef('support-bot-prod') },
      DESIRED_STATE_PATH: '/etc/litellm-access/desired-state.json', WAIT_TIMEOUT_SECONDS: '300',
    });
    // The desired state names the variable and the Secret, never a value.
    expect(desired(objects).keys.map((k: any) => k.value)).toEqual([
      { env: 'LITELLM_ACCESS_KEY_0', source: 'access-keys/analytics-ci' },
      { env: 'LITELLM_ACCESS_KEY_1', source: 'access-keys/alice-notebook' },
      { env: 'LITELLM_ACCESS_KEY_2', source: 'access-keys/support-bot-prod' },
    ]);
  });

  test('NetworkPolicy: nothing in; out only to the proxy pods on their port and DNS; the proxy admits the Job', () => {
    const np = one(objects, 'NetworkPolicy', 'litellm-access');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([]);
    expect(np.spec.egress).toHaveLength(2);
    expect(np.spec.egress[0].ports.map((p: any) => p.port)).toEqual([53, 53]);
    expect(np.spec.egress[1]).toEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'litellm', 'app.kubernetes.io/instance': 'litellm', 'app.kubernetes.io/component': 'proxy' } } }],
      ports: [{ protocol: 'TCP', port: 4000 }],
    });
    const proxyIngress = JSON.stringify(one(objects, 'NetworkPolicy', 'litellm').spec.ingress);
    expect(proxyIngress).toContain('"app.kubernetes.io/component":"access"');
    expect(accessJob(objects).spec.template.metadata.labels['app.kubernetes.io/component']).toBe('access');
  });

  test('the desired state: request fields, the ownership marker, prefixed budget ids, no secret', () => {
    const d = desired(objects);
    const marker = { managed_by: 'cdk8s-litellm', cdk8s_litellm_owner: 'llm/litellm' };
    expect(d).toMatchObject({ version: 1, marker, prune: false, budget_prefix: 'cdk8s-litellm:llm/litellm:' });
    expect(d.teams[0]).toEqual({
      team_id: 'analytics', team_alias: 'Analytics', models: ['standard', 'gpt-4o'], max_budget: 500, budget_duration: '30d', rpm_limit: 600,
      tpm_limit: null, blocked: false, metadata: { costCenter: 'cc-42', ...marker },
    });
    expect(d.users[0]).toMatchObject({ user_id: 'alice', user_email: 'alice@example.com', user_role: 'internal_user', teams: ['analytics'], metadata: marker });
    expect(d.budgets).toEqual([{ budget_id: 'cdk8s-litellm:llm/litellm:ci', max_budget: 20, soft_budget: null, budget_duration: '7d', rpm_limit: 60, tpm_limit: null, max_parallel_requests: null }]);
    expect(d.keys[0]).toMatchObject({ key_alias: 'analytics-ci', team_id: 'analytics', budget_id: 'cdk8s-litellm:llm/litellm:ci', models: ['gpt-4o-mini'] });
    expect(d.keys[1]).toMatchObject({ key_alias: 'alice-notebook', user_id: 'alice', max_budget: 25, duration: '90d' });
  });

  test('GIVEN key defaults and upper bounds THEN unset key limits are what LiteLLM would fill: the default, else the upper bound', () => {
    const d = desired(objectsOf({ governance: { defaultKeyParams: { rpmLimit: 60, maxBudget: 10, budgetDuration: '30d', models: ['gpt-4o-mini'] }, keyParamLimits: { rpmLimit: 600, tpmLimit: 500000, maxBudget: 100 } } }));
    expect(d.keys[0]).toMatchObject({ rpm_limit: 60, max_budget: 10, budget_duration: '30d', tpm_limit: 500000, models: ['gpt-4o-mini'] });
    // Declared values win.
    expect(d.keys[2]).toMatchObject({ rpm_limit: 120, tpm_limit: 200000, max_parallel_requests: 10, max_budget: 10 });
  });

  test('the Job name follows the declarations and the image, and nothing else', () => {
    const name = (o: Options = {}) => accessJob(objectsOf(o)).metadata.name;
    const a = name();
    expect(name()).toBe(a);
    expect(name({ proxy: { replicas: 2 } })).toBe(a);
    expect(name({ access: { prune: true } })).not.toBe(a);
    expect(name({ access: { teams: [{ ...example.teams![0], maxBudget: 501 }, example.teams![1]] } })).not.toBe(a);
    expect(name({ proxy: { image: 'ghcr.io/berriai/litellm-non_root:v1.108.13' } })).not.toBe(a);
  });

  test('addTeam/addUser/addBudget/addKey declare after construction; nothing can be added once rendered', () => {
    const { chart, reconciler } = build({ access: { teams: [], users: [], keys: [], budgets: [] } });
    reconciler.addTeam({ id: 'late' });
    reconciler.addUser({ id: 'bob', teams: ['late'] });
    reconciler.addBudget({ id: 'tier', maxBudget: 1 });
    reconciler.addKey({ alias: 'late-key', value: keyRef('late'), team: 'late', user: 'bob', budget: 'tier' });
    const d = desired(Testing.synth(chart));
    expect([d.teams.length, d.users.length, d.budgets.length, d.keys.length]).toEqual([1, 1, 1, 1]);
    expect(reconciler.jobName).toMatch(/^litellm-access-/);
    expectOurError(() => reconciler.addTeam({ id: 'too-late' }));
  });

  test('GIVEN dryRun THEN the Job only prints its plan (LITELLM_ACCESS_DRY_RUN), under another name; without it the env has no such variable', () => {
    const dry = accessJob(objectsOf({ access: { dryRun: true } }));
    expect(envMap(dry.spec.template.spec.containers[0]).LITELLM_ACCESS_DRY_RUN).toBe('true');
    expect(dry.metadata.name).not.toBe(accessJob(objects).metadata.name);
    expect(envMap(accessJob(objects).spec.template.spec.containers[0]).LITELLM_ACCESS_DRY_RUN).toBeUndefined();
    expect(build({ access: { dryRun: true } }).reconciler.dryRun).toBe(true);
    expectOurError(() => objectsOf({ access: { dryRun: 'yes' as never } }));
  });

  test('GIVEN prune and an owner THEN both are in the desired state', () => {
    const d = desired(objectsOf({ access: { prune: true, owner: 'platform/gateway-eu' } }));
    expect(d).toMatchObject({ prune: true, marker: { cdk8s_litellm_owner: 'platform/gateway-eu' }, budget_prefix: 'cdk8s-litellm:platform/gateway-eu:' });
  });

  test('GIVEN a priority, a reservation for it and the licence THEN it is written into metadata.priority', () => {
    const d = desired(objectsOf({
      governance: { priorityReservation: { shares: { prod: PriorityShare.fraction(0.7), batch: PriorityShare.fraction(0.3) }, license: { name: 'litellm-license', key: 'key' } } },
      access: { teams: [{ ...example.teams![0], priority: 'prod' }, example.teams![1]], keys: [{ ...example.keys![2], priority: 'batch' }] },
    }));
    expect(d.teams[0].metadata.priority).toBe('prod');
    expect(d.keys[0].metadata.priority).toBe('batch');
  });
});

describe('GovernanceReconciler rules', () => {
  const team = (t: Partial<TeamDeclaration>): Partial<GovernanceReconcilerProps> => ({ teams: [{ ...example.teams![0], ...t } as TeamDeclaration, example.teams![1]] });
  const key = (k: Partial<KeyDeclaration>, i = 0): Partial<GovernanceReconcilerProps> =>
    ({ keys: example.keys!.map((x, j) => (j === i ? { ...x, ...k } as KeyDeclaration : x)) });
  const license = { name: 'litellm-license', key: 'key' };

  test.each<[string, Options, RegExp]>([
    ['an unknown model on a team', { access: team({ models: ['gpt-5'] }) }, /^\[test\] teams\[0\]\.models\[0\]: received "gpt-5"; is not a model of this proxy; use one of "gpt-4o", "gpt-4o-mini", "claude", "premium \(access group\)", "standard \(access group\)"$/],
    ['an unknown model on a key', { access: key({ models: ['gpt-5'] }) }, /^\[test\] keys\[0\]\.models\[0\]: received "gpt-5"; is not a model of this proxy/],
    ['an unknown model in the key defaults', { governance: { defaultKeyParams: { models: ['gpt-5'] } } }, /^\[test\] governance\.defaultKeyParams\.models\[0\]: received "gpt-5"; must be a model_name of the proxy's models \("gpt-4o", "gpt-4o-mini", "claude"\), a model access group \("premium", "standard"\), or one of/],
    ['a duplicate team id', { access: { teams: [example.teams![0], { ...example.teams![1], id: 'analytics' }] } }, /^\[test\] teams\[1\]\.id: received "analytics"; team ids must be unique; teams\[0\]\.id has it already$/],
    ['a duplicate team alias', { access: team({ alias: 'support-bot' }) }, /^\[test\] teams\[1\]\.alias: received "support-bot"; team aliases must be unique; teams\[0\]\.alias has it already$/],
    ['a duplicate key alias', { access: key({ alias: 'support-bot-prod' }, 0) }, /^\[test\] keys\[2\]\.alias: received "support-bot-prod"; key aliases must be unique/],
    ['two keys from one Secret key', { access: key({ value: keyRef('analytics-ci') }, 1) }, /^\[test\] keys\[1\]\.value: received "access-keys\/analytics-ci"; key value Secrets \(one key per Secret key\) must be unique/],
    ['a duplicate e-mail, other case', { access: { users: [example.users![0], { id: 'alice2', email: 'ALICE@example.com' }] } }, /^\[test\] users\[1\]\.email: received "alice@example.com"; user e-mails \(ignoring case\) must be unique/],
    ['a duplicate budget id', { access: { budgets: [example.budgets![0], { id: 'ci', maxBudget: 1 }] } }, /^\[test\] budgets\[1\]\.id: received "ci"; budget ids must be unique/],
    ['a key of an undeclared team', { access: key({ team: 'marketing' }) }, /^\[test\] keys\[0\]\.team: received "marketing"; must be the id of a declared team \(analytics, support-bot\)$/],
    ['a key of an undeclared user', { access: key({ user: 'mallory' }) }, /^\[test\] keys\[0\]\.user: received "mallory"; must be the id of a declared user \(alice\)$/],
    ['a key of an undeclared budget', { access: key({ budget: 'huge' }) }, /^\[test\] keys\[0\]\.budget: received "huge"; must be the id of a declared budget \(ci\)$/],
    ['a membership in an undeclared team', { access: { users: [{ ...example.users![0], teams: ['marketing'] }] } }, /^\[test\] users\[0\]\.teams\[0\]: received "marketing"; must be the id of a declared team/],
    ['a team key of a user outside the team', { access: key({ team: 'support-bot', user: 'alice', models: undefined }, 1) }, /^\[test\] keys\[1\]\.user: received "alice"; must be a member of the key's team "support-bot"/],
    ['a key budget above its team\'s', { access: key({ maxBudget: 101 }, 2) }, /^\[test\] keys\[2\]\.maxBudget: received 101; must not exceed the budget of its team "support-bot" \(100\)$/],
    ['a default key budget above the team\'s', { governance: { defaultKeyParams: { maxBudget: 200 } } }, /^\[test\] keys\[2\]\.maxBudget \(governance\.defaultKeyParams\.maxBudget\): received 200; must not exceed the budget of its team "support-bot" \(100\)$/],
    ['a key budget above its user\'s', { access: key({ maxBudget: 60 }, 1) }, /^\[test\] keys\[1\]\.maxBudget: received 60; must not exceed the budget of its user "alice" \(50\)$/],
    ['a budget tier above the team\'s', { access: { budgets: [{ id: 'ci', maxBudget: 1000 }] } }, /^\[test\] keys\[0\]\.budget: received "ci"; budget tier "ci" allows 1000, more than its team "analytics" \(500\)$/],
    ['a key model outside its team\'s', { access: key({ models: ['claude'] }) }, /^\[test\] keys\[0\]\.models: received an array of 1; the key's team "analytics" may only call gpt-4o-mini, gpt-4o; claude would be refused/],
    ['a key above keyParamLimits', { governance: { keyParamLimits: { rpmLimit: 100 } } }, /^\[test\] keys\[2\]\.rpmLimit: received 120; must not exceed governance\.keyParamLimits\.rpmLimit \(100\): LiteLLM refuses such a key$/],
    ['a key lifetime above keyParamLimits', { governance: { keyParamLimits: { duration: '30d' } } }, /^\[test\] keys\[1\]\.duration: received "90d"; must not be longer than governance\.keyParamLimits\.duration \("30d"\)/],
    ['a priority without the licence', { access: team({ priority: 'prod' }) }, /^\[test\] teams\[0\]\.priority: received "prod"; priority is a LiteLLM enterprise feature/],
    ['a priority not reserved', { governance: { priorityReservation: { shares: { prod: PriorityShare.fraction(1) }, license } }, access: key({ priority: 'batch' }) }, /^\[test\] keys\[0\]\.priority: received "batch"; must be one of the reserved priorities "prod"$/],
    ['a priority with the licence but no reservation', { proxy: { secretEnv: { LITELLM_LICENSE: license } }, access: team({ priority: 'prod' }) }, /^\[test\] teams\[0\]\.priority: received "prod"; has no effect without governance\.priorityReservation/],
    ['priority set through metadata', { access: team({ metadata: { priority: 'prod' } }) }, /^\[test\] teams\[0\]\.metadata\.priority: received "prod"; use the `priority` field/],
    ['the ownership marker in metadata', { access: team({ metadata: { managed_by: 'me' } }) }, /^\[test\] teams\[0\]\.metadata\.managed_by: received "me"; is the ownership marker the reconciler writes itself$/],
    ['a LiteLLM-managed metadata field', { access: key({ metadata: { model_rpm_limit: { 'gpt-4o': 1 } } }) }, /^\[test\] keys\[0\]\.metadata\.model_rpm_limit: received .*; is a setting LiteLLM keeps in metadata itself/],
    ['a credential in metadata', { access: team({ metadata: { note: 'sk-live-0123456789abcdef' } }) }, /^\[test\] teams\[0\]\.metadata\.note: received \(a literal value, hidden\)/],
    ['a budget duration LiteLLM cannot parse', { access: team({ budgetDuration: '30 days' }) }, /^\[test\] teams\[0\]\.budgetDuration: received "30 days"; must be a LiteLLM duration/],
    ['a budget duration without a budget', { access: { users: [{ id: 'alice', teams: ['analytics'], budgetDuration: '30d' }] } }, /^\[test\] users\[0\]\.budgetDuration: received "30d"; resets a budget: set maxBudget too$/],
    ['a key value given as a literal', { access: key({ value: 'sk-live-0123456789abcdef' as never }) }, /^\[test\] keys\[0\]\.value: received \(a literal string, hidden\); must be a Secret reference/],
    ['a key alias LiteLLM refuses', { access: key({ alias: 'ci key!' }) }, /^\[test\] keys\[0\]\.alias: received "ci key!"; must be a key alias/],
    ['a key alias with ".."', { access: key({ alias: 'a..b' }) }, /^\[test\] keys\[0\]\.alias: received "a..b"; must be a key alias/],
    ['an alias the rotation of another key uses', { access: key({ alias: 'support-bot-prod-rotating' }, 0) }, /^\[test\] keys\[0\]\.alias: received "support-bot-prod-rotating"; ends in "-rotating"/],
    ['LiteLLM\'s own UI team', { access: team({ id: 'litellm-dashboard' }) }, /^\[test\] teams\[0\]\.id: received "litellm-dashboard"; is reserved by LiteLLM for its admin UI$/],
    ['a team id with a space', { access: team({ id: 'data science' }) }, /^\[test\] teams\[0\]\.id: received "data science"; must be a team id/],
    ['an e-mail without a domain', { access: { users: [{ ...example.users![0], email: 'alice' }] } }, /^\[test\] users\[0\]\.email: received "alice"; must be an e-mail address/],
    ['a misspelt field', { access: team({ maxbudget: 5 } as never) }, /^\[test\] teams\[0\]\.maxbudget: received "maxbudget"; is not a field of this declaration/],
    ['an unknown role', { access: { users: [{ ...example.users![0], role: 'admin' as never }] } }, /^\[test\] users\[0\]\.role: received "admin"; must be one of UserRole\.INTERNAL_USER \("internal_user"\), UserRole\.INTERNAL_USER_VIEWER \("internal_user_viewer"\), UserRole\.PROXY_ADMIN \("proxy_admin"\), UserRole\.PROXY_ADMIN_VIEWER \("proxy_admin_viewer"\)$/],
    ['a budget tier without limits', { access: { budgets: [{ id: 'ci' }] } }, /^\[test\] budgets\[0\]: received \{"id":"ci"\}; a budget tier needs at least one limit/],
    ['a soft budget above the budget', { access: { budgets: [{ id: 'ci', maxBudget: 5, softBudget: 6 }] } }, /^\[test\] budgets\[0\]\.softBudget: received 6; must not exceed maxBudget \(5\)$/],
    ['a negative budget', { access: team({ maxBudget: -1 }) }, /^\[test\] teams\[0\]\.maxBudget: received -1; must be a finite number >= 0$/],
    ['an owner with spaces', { access: { owner: 'my stack' } }, /^\[test\] owner: received "my stack"; must be 2 to 128 letters/],
    ['a deadline shorter than the wait', { access: { waitTimeoutSeconds: 600, activeDeadlineSeconds: 600 } }, /^\[test\] activeDeadlineSeconds: received 600; must exceed waitTimeoutSeconds \(600\)/],
    ['a proxy without a database', { database: false }, /^\[test\] proxy: received "litellm"; needs a database/],
  ])('GIVEN %s THEN synth fails naming the prop', (_label, options, message) => {
    let error: unknown;
    expectOurError(() => {
      try {
        objectsOf(options);
      } catch (e) {
        error = e;
        throw e;
      }
    });
    expect((error as Error).message).toMatch(message);
  });
});

describe('LiteLLMStack access', () => {
  const props: LiteLLMStackProps = {
    namespace: 'llm', createNamespace: false, models, masterKey,
    redis: { password: { name: 'redis-auth', key: 'password' } },
    database: { external: { url: { name: 'litellm-db', key: 'url' } } },
    access: example,
  };

  test('the stack adds the reconciler: its desired state, ServiceAccount and NetworkPolicy in the proxy wave, the Job a PostSync hook', () => {
    const stack = new LiteLLMStack(Testing.app(), 'stack', props);
    const objects = Testing.synth(stack);
    expect(stack.access).toBeInstanceOf(GovernanceReconciler);
    for (const o of [one(objects, 'ConfigMap', 'litellm-access'), one(objects, 'ServiceAccount', 'litellm-access'), one(objects, 'NetworkPolicy', 'litellm-access')]) {
      expect(o.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    }
    const job = accessJob(objects);
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(job.metadata.annotations['argocd.argoproj.io/sync-wave']).toBeUndefined();
    expect(desired(objects).marker.cdk8s_litellm_owner).toBe('llm/litellm');
    expect(policyViolations(objects)).toEqual([]);
    expect(schemaErrors(objects)).toEqual([]);
  });

  test('GIVEN access without a database THEN synth fails', () => {
    expectOurError(() => new LiteLLMStack(Testing.app(), 'stack', { ...props, database: undefined }));
    expect(() => new LiteLLMStack(Testing.app(), 'stack', { ...props, database: undefined }))
      .toThrow(/^\[stack\] access: received "teams, users, budgets, keys"; teams, users, keys and budgets live in the database: give `database`$/);
  });
});
