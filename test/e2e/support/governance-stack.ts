import { Testing } from 'cdk8s';
import * as lib from '../../../lib';
import { NAMESPACE, PROVIDER_API_BASE, SECRET_REFS } from './stack';

/**
 * The stack of the governance suite: one proxy replica (one worker, so no
 * Redis is needed), an external PostgreSQL, key defaults and upper bounds,
 * model access groups, and teams, users, keys and budget tiers declared
 * through `access`. Each phase of the suite synthesizes it again with other
 * declarations; the proxy part is the same every time.
 */

export const GOV_MODELS = {
  /** In access group "standard". */
  chat: 'e2e-chat',
  /** Priced (custom cost per token) so spend and budgets move; in access group "premium". */
  premium: 'e2e-premium',
  /** In no group. */
  other: 'e2e-other',
} as const;

/** Cost per token of the premium model (USD): a request of the fake provider costs a few cents. */
export const PREMIUM_COST_PER_TOKEN = 0.001;

/** Key defaults and upper bounds (governance.defaultKeyParams / keyParamLimits). */
export const KEY_DEFAULTS = { rpmLimit: 50, maxBudget: 5, budgetDuration: '30d' } as const;
export const KEY_LIMITS = { rpmLimit: 100, maxBudget: 10, tpmLimit: 1000000 } as const;

export const GOV_SECRETS = {
  database: { name: 'litellm-database', key: 'url' },
  ci: { name: 'access-keys', key: 'analytics-ci' },
  alice: { name: 'access-keys', key: 'alice-laptop' },
  research: { name: 'access-keys', key: 'research-batch' },
  researchNew: { name: 'access-keys', key: 'research-new' },
} as const;

/** The declarations, phase by phase. */
export type Phase = 'initial' | 'changed' | 'pruned';

export function declarations(phase: Phase): lib.GovernanceReconcilerOptions {
  const analytics: lib.TeamDeclaration = {
    id: 'analytics', alias: 'Analytics', models: ['standard', GOV_MODELS.premium],
    maxBudget: phase === 'initial' ? 50 : 60, budgetDuration: '30d', metadata: { costCenter: 'cc-42' },
  };
  const research: lib.TeamDeclaration = { id: 'research', rpmLimit: 100, ...(phase === 'changed' ? { models: [GOV_MODELS.other, GOV_MODELS.chat] } : {}) };
  const alice: lib.UserDeclaration = {
    id: 'alice', email: 'alice@example.com', maxBudget: 20, budgetDuration: '30d',
    teams: phase === 'changed' ? ['analytics', 'research'] : ['analytics'],
  };
  const keys: lib.KeyDeclaration[] = [
    // rpm and model-list checks: only the "standard" group (e2e-chat).
    { alias: 'analytics-ci', value: GOV_SECRETS.ci, team: 'analytics', models: ['standard'], rpmLimit: 2, budget: 'small' },
    // Budget check: a priced model and a budget one request exceeds.
    { alias: 'alice-laptop', value: GOV_SECRETS.alice, team: 'analytics', user: 'alice', models: [GOV_MODELS.premium], maxBudget: 0.01 },
  ];
  if (phase !== 'pruned') {
    // No limits of its own: the key defaults and upper bounds fill them, as LiteLLM would.
    keys.push({ alias: 'research-batch', value: GOV_SECRETS.research, team: 'research', ...(phase === 'changed' ? { rpmLimit: 7, blocked: true } : {}) });
  }
  if (phase === 'changed') keys.push({ alias: 'research-new', value: GOV_SECRETS.researchNew, team: 'research', models: [GOV_MODELS.chat] });
  return {
    teams: phase === 'pruned' ? [analytics] : [analytics, research],
    users: phase === 'changed' ? [alice, { id: 'bob', teams: ['research'] }] : [alice],
    budgets: [
      { id: 'small', maxBudget: phase === 'initial' ? 8 : 9, budgetDuration: '30d', rpmLimit: 30 },
      ...(phase === 'changed' ? [{ id: 'unused', maxBudget: 1 }] : []),
    ],
    keys,
    prune: phase === 'pruned',
  };
}

export function synthesizeGovernanceStack(phase: Phase, prune?: boolean, dryRun?: boolean): any[] {
  const model = (name: string, providerModel: string, extra: Partial<lib.ModelDeployment> = {}): lib.ModelDeployment => ({
    name, model: `openai/${providerModel}`, apiBase: PROVIDER_API_BASE, apiKey: SECRET_REFS.providerKey, ...extra,
  });
  const access = declarations(phase);
  const stack = new lib.LiteLLMStack(Testing.app(), 'e2e-governance', {
    namespace: NAMESPACE,
    createNamespace: false,
    preset: { ...lib.Presets.production(), inClusterRedis: false, metrics: false },
    proxy: { name: 'litellm', replicas: 1, workers: lib.WorkerSizing.onePerPod() },
    models: [
      model(GOV_MODELS.chat, 'fake-chat', { accessGroups: ['standard'] }),
      model(GOV_MODELS.premium, 'fake-premium', {
        accessGroups: ['premium'],
        params: { input_cost_per_token: PREMIUM_COST_PER_TOKEN, output_cost_per_token: PREMIUM_COST_PER_TOKEN },
      }),
      model(GOV_MODELS.other, 'fake-other'),
    ],
    masterKey: SECRET_REFS.masterKey,
    database: { external: { url: GOV_SECRETS.database } },
    governance: { defaultKeyParams: KEY_DEFAULTS, keyParamLimits: KEY_LIMITS },
    access: { ...access, ...(prune !== undefined ? { prune } : {}), ...(dryRun !== undefined ? { dryRun } : {}) },
  });
  return Testing.synth(stack);
}
