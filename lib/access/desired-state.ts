import { LiteLLMConfigError } from '../errors';
import { didYouMean } from '../validate';
import { durationMayExceed } from '../proxy/governance-settings';
import { SecretKeyRef } from '../secret';
import {
  CheckedBudget, CheckedKey, CheckedTeam, CheckedUser, MARKER_KEY, MARKER_VALUE, OWNER_KEY, RenderedLimits,
} from './declarations';

/** What the declarations are checked against: the proxy they govern. */
export interface AccessContext {
  /** Public model names (`model_list[].model_name`). */
  readonly models: ReadonlySet<string>;
  /** Model access group name -> the model names in it. */
  readonly accessGroups: ReadonlyMap<string, ReadonlySet<string>>;
  /** `litellm_settings.default_key_generate_params`, if set. */
  readonly keyDefaults?: { [key: string]: any };
  /** `litellm_settings.upperbound_key_generate_params`, if set. */
  readonly keyLimits?: { [key: string]: any };
  /** The proxy has `LITELLM_LICENSE`. */
  readonly licensed: boolean;
  /** Priority names of `litellm_settings.priority_reservation`, if set. */
  readonly priorities?: ReadonlySet<string>;
  /** The largest `max_tokens` a deployment of each model declares, where one does (`litellm_params.max_tokens`). */
  readonly maxTokens?: ReadonlyMap<string, { readonly tokens: number; readonly prop: string }>;
}

/** One key's value: the variable the Job reads it from, and the Secret behind it (for messages). */
export interface KeyValueSource {
  readonly env: string;
  readonly source: string;
}

/** The desired state as the reconciler reads it (desired-state.json): request fields, no secret. */
export interface DesiredState {
  readonly version: 1;
  readonly marker: { [key: string]: string };
  readonly prune: boolean;
  readonly budget_prefix: string;
  readonly budgets: { [key: string]: any }[];
  readonly teams: { [key: string]: any }[];
  readonly users: { [key: string]: any }[];
  readonly keys: (Record<string, unknown> & { value: KeyValueSource })[];
}

/** The checked declarations of one reconciler. */
export interface Declarations {
  readonly teams: CheckedTeam[];
  readonly users: CheckedUser[];
  readonly keys: CheckedKey[];
  readonly budgets: CheckedBudget[];
}

/** Fields LiteLLM fills from the key defaults and upper bounds when a key leaves them unset (key_management_endpoints.py). */
const KEY_DEFAULTED = ['max_budget', 'budget_duration', 'rpm_limit', 'tpm_limit', 'max_parallel_requests', 'duration'] as const;
const NUMERIC_LIMITS = ['max_budget', 'rpm_limit', 'tpm_limit', 'max_parallel_requests'] as const;
const PROP_OF: Record<string, string> = {
  max_budget: 'maxBudget', budget_duration: 'budgetDuration', rpm_limit: 'rpmLimit', tpm_limit: 'tpmLimit',
  max_parallel_requests: 'maxParallelRequests', duration: 'duration', models: 'models',
};

/** The environment variable carrying the i-th key's value into the Job. */
export function keyValueEnv(index: number): string {
  return `LITELLM_ACCESS_KEY_${index}`;
}

function refText(ref: SecretKeyRef): string {
  return `${ref.name}/${ref.key}`;
}

function noDuplicates<T>(items: readonly T[], keyOf: (t: T) => string | undefined, propOf: (t: T) => string, what: string): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const k = keyOf(item);
    if (k === undefined) continue;
    const first = seen.get(k);
    if (first !== undefined) {
      throw new LiteLLMConfigError(propOf(item), k, `${what} must be unique; ${propOf(first)} has it already`);
    }
    seen.set(k, item);
  }
}

/**
 * Checks the declarations as a whole against the proxy (references, model
 * names, budgets against their team's, the key defaults and upper bounds,
 * priorities and the licence) and renders the desired state.
 */
export function desiredState(d: Declarations, ctx: AccessContext, owner: string, prune: boolean): DesiredState {
  // --- uniqueness ------------------------------------------------------------------------
  noDuplicates(d.teams, t => t.id, t => `${t.prop}.id`, 'team ids');
  noDuplicates(d.teams, t => t.alias, t => `${t.prop}.alias`, 'team aliases');
  noDuplicates(d.users, u => u.id, u => `${u.prop}.id`, 'user ids');
  // LiteLLM compares e-mails ignoring case (internal_user_endpoints.py).
  noDuplicates(d.users, u => u.email?.toLowerCase(), u => `${u.prop}.email`, 'user e-mails (ignoring case)');
  noDuplicates(d.keys, k => k.alias, k => `${k.prop}.alias`, 'key aliases');
  noDuplicates(d.keys, k => refText(k.value), k => `${k.prop}.value`, 'key value Secrets (one key per Secret key)');
  noDuplicates(d.budgets, b => b.id, b => `${b.prop}.id`, 'budget ids');
  const rotating = new Set(d.keys.map(k => `${k.alias}-rotating`));
  for (const k of d.keys) {
    if (rotating.has(k.alias)) throw new LiteLLMConfigError(`${k.prop}.alias`, k.alias, 'ends in "-rotating", which the reconciler uses for another key\'s rotation');
  }

  const teams = new Map(d.teams.map(t => [t.id, t]));
  const users = new Map(d.users.map(u => [u.id, u]));
  const budgets = new Map(d.budgets.map(b => [b.id, b]));

  // --- models ------------------------------------------------------------------------------
  const expand = (models: readonly string[]): Set<string> =>
    new Set(models.flatMap(m => [...(ctx.accessGroups.get(m) ?? [m])]));
  const checkModels = (prop: string, models: readonly string[] | undefined): void => {
    (models ?? []).forEach((m, i) => {
      if (!ctx.models.has(m) && !ctx.accessGroups.has(m)) {
        const allowed = [...ctx.models, ...[...ctx.accessGroups.keys()].map(g => `${g} (access group)`)];
        throw new LiteLLMConfigError(`${prop}[${i}]`, m, `is not a model of this proxy; use one of ${allowed.map(a => JSON.stringify(a)).join(', ')}`
          + didYouMean(m, [...ctx.models, ...ctx.accessGroups.keys()]));
      }
    });
  };

  /**
   * A tpm limit below the max_tokens of a model it may call: one answer spends the minute's budget and every
   * further request that minute is refused (429). `models` empty means every model.
   */
  const checkTpm = (prop: string, tpm: unknown, models: readonly string[] | undefined): void => {
    if (typeof tpm !== 'number' || ctx.maxTokens === undefined) return;
    const callable = models === undefined || models.length === 0 ? [...ctx.models] : [...expand(models)];
    for (const m of callable) {
      const cap = ctx.maxTokens.get(m);
      if (cap !== undefined && tpm < cap.tokens) {
        throw new LiteLLMConfigError(prop, tpm,
          `must be at least ${cap.tokens}, the max_tokens of model "${m}" (${cap.prop}) it may call: one answer of that length spends `
          + 'the whole minute\'s tpm and every further request that minute is refused (429); raise the limit, or lower max_tokens');
      }
    }
  };

  // --- priorities --------------------------------------------------------------------------
  const checkPriority = (prop: string, p: string | undefined): void => {
    if (p === undefined) return;
    if (!ctx.licensed) {
      throw new LiteLLMConfigError(prop, p, 'priority is a LiteLLM enterprise feature (dynamic_rate_limiter_v3 ignores it without LITELLM_LICENSE): give governance.priorityReservation with its licence');
    }
    if (ctx.priorities === undefined) {
      throw new LiteLLMConfigError(prop, p, 'has no effect without governance.priorityReservation: reserve capacity for this priority there');
    }
    if (!ctx.priorities.has(p)) {
      throw new LiteLLMConfigError(prop, p, `must be one of the reserved priorities ${[...ctx.priorities].map(x => JSON.stringify(x)).join(', ')}`);
    }
  };

  const budgetNeedsMax = (prop: string, l: Partial<RenderedLimits>, hasTier = false): void => {
    if (l.budget_duration != null && l.max_budget == null && !hasTier) {
      throw new LiteLLMConfigError(`${prop}.budgetDuration`, l.budget_duration, 'resets a budget: set maxBudget too');
    }
  };

  const marker = { [MARKER_KEY]: MARKER_VALUE, [OWNER_KEY]: owner };
  const meta = (m: Record<string, unknown>, priority?: string): Record<string, unknown> =>
    ({ ...m, ...(priority !== undefined ? { priority } : {}), ...marker });
  const budgetPrefix = `${MARKER_VALUE}:${owner}:`;

  // --- budgets -----------------------------------------------------------------------------
  const budgetOut = d.budgets.map(b => {
    budgetNeedsMax(b.prop, b.limits);
    return {
      budget_id: budgetPrefix + b.id,
      max_budget: b.limits.max_budget,
      soft_budget: b.softBudget,
      budget_duration: b.limits.budget_duration,
      rpm_limit: b.limits.rpm_limit,
      tpm_limit: b.limits.tpm_limit,
      max_parallel_requests: b.maxParallelRequests,
    };
  });

  // --- teams ---------------------------------------------------------------------------------
  const teamOut = d.teams.map(t => {
    checkModels(`${t.prop}.models`, t.models);
    checkTpm(`${t.prop}.tpmLimit`, t.limits.tpm_limit, t.models);
    checkPriority(`${t.prop}.priority`, t.priority);
    budgetNeedsMax(t.prop, t.limits);
    return {
      team_id: t.id,
      team_alias: t.alias,
      models: t.models ?? [],
      max_budget: t.limits.max_budget,
      budget_duration: t.limits.budget_duration,
      rpm_limit: t.limits.rpm_limit,
      tpm_limit: t.limits.tpm_limit,
      blocked: t.blocked,
      metadata: meta(t.metadata, t.priority),
    };
  });

  // --- users ---------------------------------------------------------------------------------
  const userOut = d.users.map(u => {
    u.teams.forEach((t, i) => {
      if (!teams.has(t)) throw new LiteLLMConfigError(`${u.prop}.teams[${i}]`, t, `must be the id of a declared team (${[...teams.keys()].join(', ') || 'none declared'})${didYouMean(t, [...teams.keys()])}`);
    });
    checkModels(`${u.prop}.models`, u.models);
    checkTpm(`${u.prop}.tpmLimit`, u.limits.tpm_limit, u.models);
    budgetNeedsMax(u.prop, u.limits);
    // /user/update ignores empty values (None, [], {}) for every field but the budget and rate
    // limits (internal_user_endpoints.py, _update_internal_user_params): an e-mail, alias, model
    // list or parallel limit cannot be cleared, so they are managed only when declared.
    return {
      user_id: u.id,
      ...(u.email !== undefined ? { user_email: u.email } : {}),
      ...(u.alias !== undefined ? { user_alias: u.alias } : {}),
      user_role: u.role,
      ...(u.models !== undefined ? { models: u.models } : {}),
      max_budget: u.limits.max_budget,
      budget_duration: u.limits.budget_duration,
      rpm_limit: u.limits.rpm_limit,
      tpm_limit: u.limits.tpm_limit,
      ...(u.maxParallelRequests !== null ? { max_parallel_requests: u.maxParallelRequests } : {}),
      metadata: meta(u.metadata),
      teams: u.teams,
    };
  });

  // --- keys ----------------------------------------------------------------------------------
  const defaults = ctx.keyDefaults ?? {};
  const upper = ctx.keyLimits ?? {};
  const keyOut = d.keys.map((k, index) => {
    const team = k.team !== undefined ? teams.get(k.team) : undefined;
    if (k.team !== undefined && team === undefined) {
      throw new LiteLLMConfigError(`${k.prop}.team`, k.team, `must be the id of a declared team (${[...teams.keys()].join(', ') || 'none declared'})${didYouMean(k.team, [...teams.keys()])}`);
    }
    const user = k.user !== undefined ? users.get(k.user) : undefined;
    if (k.user !== undefined && user === undefined) {
      throw new LiteLLMConfigError(`${k.prop}.user`, k.user, `must be the id of a declared user (${[...users.keys()].join(', ') || 'none declared'})${didYouMean(k.user, [...users.keys()])}`);
    }
    if (team && user && !user.teams.includes(team.id)) {
      throw new LiteLLMConfigError(`${k.prop}.user`, k.user, `must be a member of the key's team "${team.id}" (add it to that user's teams)`);
    }
    const tier = k.budget !== undefined ? budgets.get(k.budget) : undefined;
    if (k.budget !== undefined && tier === undefined) {
      throw new LiteLLMConfigError(`${k.prop}.budget`, k.budget, `must be the id of a declared budget (${[...budgets.keys()].join(', ') || 'none declared'})${didYouMean(k.budget, [...budgets.keys()])}`);
    }
    checkPriority(`${k.prop}.priority`, k.priority);

    // What LiteLLM stores for fields the key leaves unset: the default, else the upper bound.
    const given: Record<string, unknown> = { ...k.limits, ...(k.maxParallelRequests !== undefined ? { max_parallel_requests: k.maxParallelRequests } : {}), ...(k.duration !== undefined ? { duration: k.duration } : {}) };
    const effective: Record<string, unknown> = {};
    const origin: Record<string, string> = {};
    for (const f of KEY_DEFAULTED) {
      if (given[f] !== undefined) {
        effective[f] = given[f];
        origin[f] = `${k.prop}.${PROP_OF[f]}`;
      } else if (defaults[f] !== undefined && defaults[f] !== null) {
        effective[f] = defaults[f];
        origin[f] = `${k.prop}.${PROP_OF[f]} (governance.defaultKeyParams.${PROP_OF[f]})`;
      } else if (upper[f] !== undefined && upper[f] !== null) {
        effective[f] = upper[f];
        origin[f] = `${k.prop}.${PROP_OF[f]} (governance.keyParamLimits.${PROP_OF[f]})`;
      } else {
        effective[f] = null;
        origin[f] = `${k.prop}.${PROP_OF[f]}`;
      }
    }
    const models = k.models ?? (Array.isArray(defaults.models) ? defaults.models as string[] : []);
    // A bad default model is the default's fault: name that prop.
    const modelsProp = k.models !== undefined ? `${k.prop}.models` : 'governance.defaultKeyParams.models';
    checkModels(modelsProp, models);
    checkTpm(origin.tpm_limit, effective.tpm_limit, models.length > 0 ? models : team?.models);
    budgetNeedsMax(k.prop, effective as Partial<RenderedLimits>, tier !== undefined);

    // LiteLLM refuses (400) a key above the upper bounds; say so now.
    for (const f of NUMERIC_LIMITS) {
      const cap = upper[f];
      if (typeof cap === 'number' && typeof effective[f] === 'number' && (effective[f] as number) > cap) {
        throw new LiteLLMConfigError(origin[f], effective[f], `must not exceed governance.keyParamLimits.${PROP_OF[f]} (${cap}): LiteLLM refuses such a key`);
      }
    }
    for (const f of ['budget_duration', 'duration'] as const) {
      const cap = upper[f];
      if (typeof cap === 'string' && typeof effective[f] === 'string' && durationMayExceed(effective[f] as string, cap)) {
        throw new LiteLLMConfigError(origin[f], effective[f], `must not be longer than governance.keyParamLimits.${PROP_OF[f]} (${JSON.stringify(cap)}): LiteLLM refuses such a key`);
      }
    }

    // A key can never spend more than its team or user allows: a larger budget is a mistake.
    const keyBudget = effective.max_budget as number | null;
    for (const [holder, what] of [[team, 'team'], [user, 'user']] as const) {
      const holderBudget = holder?.limits.max_budget;
      if (holder === undefined || holderBudget === null || holderBudget === undefined) continue;
      if (keyBudget !== null && keyBudget > holderBudget) {
        throw new LiteLLMConfigError(origin.max_budget, keyBudget, `must not exceed the budget of its ${what} "${holder.id}" (${holderBudget})`);
      }
      if (tier?.limits.max_budget != null && tier.limits.max_budget > holderBudget) {
        throw new LiteLLMConfigError(`${k.prop}.budget`, k.budget, `budget tier "${tier.id}" allows ${tier.limits.max_budget}, more than its ${what} "${holder.id}" (${holderBudget})`);
      }
    }
    // Nor make more requests than its team or user: LiteLLM enforces both, so a larger key limit is never reached.
    for (const [holder, what] of [[team, 'team'], [user, 'user']] as const) {
      if (holder === undefined) continue;
      const holderLimits: Record<string, number | null | undefined> = {
        rpm_limit: holder.limits.rpm_limit, tpm_limit: holder.limits.tpm_limit,
        max_parallel_requests: 'maxParallelRequests' in holder ? holder.maxParallelRequests : undefined,
      };
      for (const f of ['rpm_limit', 'tpm_limit', 'max_parallel_requests'] as const) {
        const cap = holderLimits[f];
        const mine = effective[f];
        if (typeof cap === 'number' && typeof mine === 'number' && mine > cap) {
          throw new LiteLLMConfigError(origin[f], mine, `must not exceed the ${PROP_OF[f]} of its ${what} "${holder.id}" (${cap}): LiteLLM applies both, so the key never gets more`);
        }
      }
    }
    // A team key can only call its team's models.
    // (A key without models may call all of its team's.)
    if (team?.models !== undefined && team.models.length > 0 && models.length > 0) {
      const allowed = expand(team.models);
      const outside = [...expand(models)].filter(m => !allowed.has(m));
      if (outside.length > 0) {
        throw new LiteLLMConfigError(modelsProp, models,
          `the key's team "${team.id}" may only call ${[...allowed].join(', ')}; ${outside.join(', ')} would be refused (list models within the team's)`);
      }
    }

    return {
      key_alias: k.alias,
      value: { env: keyValueEnv(index), source: refText(k.value) },
      team_id: k.team ?? null,
      user_id: k.user ?? null,
      budget_id: tier !== undefined ? budgetPrefix + tier.id : null,
      models,
      max_budget: effective.max_budget,
      budget_duration: effective.budget_duration,
      rpm_limit: effective.rpm_limit,
      tpm_limit: effective.tpm_limit,
      max_parallel_requests: effective.max_parallel_requests,
      duration: effective.duration,
      blocked: k.blocked,
      metadata: meta(k.metadata, k.priority),
    };
  });

  return { version: 1, marker, prune, budget_prefix: budgetPrefix, budgets: budgetOut, teams: teamOut, users: userOut, keys: keyOut };
}
