import { LiteLLMConfigError } from '../errors';
import { didYouMean, enumValue, list, nonEmptyString, plainObject } from '../validate';
import { GroupTiming, NonStreamingBound, walkBound } from './timing';

/**
 * Which failures of a model group send its requests on to other groups
 * (LiteLLM 1.108.14, router.py `async_function_with_fallbacks_common_utils`).
 */
export enum FallbackTrigger {
  /**
   * Any failure left once the group's own retries are spent: provider 5xx,
   * timeouts, 429s (the provider's, or a deployment's rpm/tpm), authentication
   * errors, other 400s (`router_settings.fallbacks`). Context-window and
   * content-policy errors too, as long as no fallback for that kind is
   * configured on the proxy: once one is, LiteLLM handles that kind only with
   * those fallbacks.
   */
  ERRORS = 'errors',
  /**
   * The prompt did not fit the model's context window
   * (`router_settings.context_window_fallbacks`): typically a group with a
   * larger window. LiteLLM does not retry these errors.
   */
  CONTEXT_WINDOW = 'context-window',
  /**
   * The provider refused the content under its usage policy
   * (`router_settings.content_policy_fallbacks`). LiteLLM does not retry these errors.
   */
  CONTENT_POLICY = 'content-policy',
}

/**
 * Where the requests for one model group go when it fails: other model groups,
 * tried in order, each with the router's own retries.
 */
export interface ModelFallback {
  /** The model group whose failed requests go on: a `models[].name`. */
  readonly model: string;
  /**
   * The model groups to try, in order, until one answers: `models[].name`s
   * other than `model`. Each is tried with `router.numRetries` retries of its
   * own, and can fall back further through its own fallbacks.
   */
  readonly to: string[];
  /** Which failures fall back. @default FallbackTrigger.ERRORS */
  readonly on?: FallbackTrigger;
}

/** The config key of each trigger (router.py `Router.__init__` reads all three from router_settings). */
const KEYS: Record<FallbackTrigger, string> = {
  [FallbackTrigger.ERRORS]: 'fallbacks',
  [FallbackTrigger.CONTEXT_WINDOW]: 'context_window_fallbacks',
  [FallbackTrigger.CONTENT_POLICY]: 'content_policy_fallbacks',
};

/** LiteLLM's key for "every group without fallbacks of its own" (router.py: `default_fallbacks` becomes this entry). */
const ANY_GROUP = '*';

/** Validated fallbacks: per trigger, the targets of each group, in the order given. */
export interface FallbackPlan {
  readonly chains: ReadonlyMap<FallbackTrigger, ReadonlyMap<string, readonly string[]>>;
  /** `router.defaultFallbacks`: for every group without an ERRORS entry of its own. */
  readonly defaults: readonly string[];
}

/** What the proxy's models offer as fallback targets. */
export interface FallbackModels {
  /** The model groups (`model_name`s), in order. */
  readonly names: readonly string[];
  /** Model access groups: not groups a request (or a fallback) can name. */
  readonly accessGroups: readonly string[];
}

/** A model group a fallback names, validated against the proxy's models. */
function groupName(prop: string, value: unknown, models: FallbackModels): string {
  const name = nonEmptyString(prop, value);
  if (models.names.includes(name)) return name;
  if (models.accessGroups.includes(name)) {
    throw new LiteLLMConfigError(prop, name,
      'is a model access group; fallbacks name model groups (a models[].name), since LiteLLM routes a fallback like a request for that model');
  }
  throw new LiteLLMConfigError(prop, name,
    `must be a model group of this proxy (a models[].name: ${models.names.map(n => JSON.stringify(n)).join(', ')})${didYouMean(name, models.names)}`);
}

/**
 * Validates `router.fallbacks` and `router.defaultFallbacks` against the
 * models. Refused: what LiteLLM would skip without a word (a group falling
 * back to itself, a target named twice, a second entry for the same group and
 * trigger: router_utils/fallback_event_handlers.py uses the first and skips
 * attempts already made) and names that are not model groups.
 * Cycles (a → b, b → a) are accepted: LiteLLM tries each group at most once
 * per request (`AttemptedFallbackTargets`), so a cycle means each group backs
 * the other up.
 */
export function resolveFallbacks(prop: string, fallbacks: readonly ModelFallback[] | undefined, defaults: readonly string[] | undefined,
  models: FallbackModels): FallbackPlan {
  const chains = new Map<FallbackTrigger, Map<string, string[]>>();
  const firstIndex = new Map<string, number>();
  list(`${prop}.fallbacks`, fallbacks, true).forEach((f, i) => {
    const at = `${prop}.fallbacks[${i}]`;
    plainObject(at, f);
    const model = groupName(`${at}.model`, f.model, models);
    const on = enumValue(`${at}.on`, f.on ?? FallbackTrigger.ERRORS, FallbackTrigger, 'FallbackTrigger');
    const to = targets(`${at}.to`, f.to, models, model);
    const key = `${on}\u0000${model}`;
    const first = firstIndex.get(key);
    if (first !== undefined) {
      throw new LiteLLMConfigError(`${at}.model`, model,
        `already has ${on === FallbackTrigger.ERRORS ? 'fallbacks' : `${on} fallbacks`} in ${prop}.fallbacks[${first}]; LiteLLM would use only the first entry: `
        + `list every target in ${prop}.fallbacks[${first}].to, in the order to try them`);
    }
    firstIndex.set(key, i);
    let byGroup = chains.get(on);
    if (byGroup === undefined) chains.set(on, byGroup = new Map());
    byGroup.set(model, to);
  });
  let resolvedDefaults: string[] = [];
  if (defaults !== undefined) {
    resolvedDefaults = targets(`${prop}.defaultFallbacks`, defaults, models, undefined);
  }
  return { chains, defaults: resolvedDefaults };
}

function targets(prop: string, value: readonly string[] | undefined, models: FallbackModels, self: string | undefined): string[] {
  const names = list(prop, value);
  if (names.length === 0) {
    throw new LiteLLMConfigError(prop, names, self === undefined
      ? 'must name at least one model group (leave it unset for none)'
      : 'must name at least one model group to try (remove the entry for no fallbacks)');
  }
  const seen = new Set<string>();
  return names.map((n, j) => {
    const name = groupName(`${prop}[${j}]`, n, models);
    if (name === self) {
      throw new LiteLLMConfigError(`${prop}[${j}]`, name,
        'is the group that failed; LiteLLM skips it (its retries are router.numRetries): name other groups');
    }
    if (seen.has(name)) {
      throw new LiteLLMConfigError(`${prop}[${j}]`, name, 'is named twice; LiteLLM tries a group at most once per request: list it once');
    }
    seen.add(name);
    return name;
  });
}

/**
 * The router_settings keys, as lists of one-key objects (`[{group: [targets]}]`),
 * the form router.py `validate_fallbacks` accepts in 1.108.14 and the only one
 * from 1.109. The default fallbacks are written as the `"*"` entry that
 * `Router.__init__` itself turns `default_fallbacks` into, so one key holds
 * every error fallback.
 */
export function fallbackSettings(plan: FallbackPlan): { key: string; value: { [group: string]: string[] }[] }[] {
  const settings: { key: string; value: { [group: string]: string[] }[] }[] = [];
  for (const trigger of Object.values(FallbackTrigger)) {
    const entries = [...(plan.chains.get(trigger) ?? new Map<string, readonly string[]>()).entries()].map(([group, to]) => ({ [group]: [...to] }));
    if (trigger === FallbackTrigger.ERRORS && plan.defaults.length > 0) entries.push({ [ANY_GROUP]: [...plan.defaults] });
    if (entries.length > 0) settings.push({ key: KEYS[trigger], value: entries });
  }
  return settings;
}

/** Whether any fallback is configured. */
export function hasFallbacks(plan: FallbackPlan): boolean {
  return plan.defaults.length > 0 || [...plan.chains.values()].some(m => m.size > 0);
}

/**
 * The chain LiteLLM looks up for one group (router_utils/fallback_event_handlers.py
 * `get_fallback_model_group`): the exact entry; failing that, an entry whose
 * key differs from the group only by a provider prefix ("gpt-4o" for
 * "openai/gpt-4o" and back; counted whichever way, since only the bound uses it).
 */
function lookup(chains: ReadonlyMap<string, readonly string[]> | undefined, group: string): readonly string[] | undefined {
  if (chains === undefined) return undefined;
  const exact = chains.get(group);
  if (exact !== undefined) return exact;
  const near = [...chains.entries()].filter(([k]) => group.endsWith(`/${k}`) || (!group.includes('/') && k.endsWith(`/${group}`)));
  return near.length === 0 ? undefined : near.flatMap(([, to]) => to);
}

/**
 * Every group a request for `root` can reach when every attempt fails, in the
 * order first reached. LiteLLM 1.108.14 walks fallbacks depth first: a target
 * that fails falls back through its own chain, or, with none, resumes the
 * requested group's chain (`fallback_lookup_groups`: the failing group, then
 * the original), the `"*"` default only when neither has one; the error of
 * each hop picks the kind of chain. One set of attempted groups is shared by
 * the whole walk, so each group is tried at most once (`AttemptedFallbackTargets`).
 * `max_fallbacks` (5) limits only how deep the walk nests, not how many
 * targets a chain tries, so the bound does not count on it.
 */
export function reachableGroups(plan: FallbackPlan, root: string): string[] {
  const errors = plan.chains.get(FallbackTrigger.ERRORS);
  const chainAt = (trigger: FallbackTrigger, group: string): readonly string[] => {
    const specific = plan.chains.get(trigger);
    // A context-window or content-policy error uses only its own kind's fallbacks once any are configured
    // (and is raised when the group has none); otherwise it is handled like any error.
    if (trigger !== FallbackTrigger.ERRORS && specific !== undefined && specific.size > 0) {
      return lookup(specific, group) ?? lookup(specific, root) ?? [];
    }
    return lookup(errors, group) ?? lookup(errors, root) ?? plan.defaults;
  };
  const reached = [root];
  for (let i = 0; i < reached.length; i++) {
    for (const trigger of Object.values(FallbackTrigger)) {
      for (const target of chainAt(trigger, reached[i])) {
        if (!reached.includes(target)) reached.push(target);
      }
    }
  }
  return reached;
}

/**
 * The slowest non-streaming request over every model group a client can ask
 * for: each group it can reach tried in full (timing.ts `walkBound`).
 * `timings` holds every model group; the first group wins a tie.
 */
export function slowestRequest(plan: FallbackPlan, timings: readonly GroupTiming[], numRetries: number): NonStreamingBound {
  const byName = new Map(timings.map(t => [t.name, t]));
  let slowest: NonStreamingBound | undefined;
  for (const t of timings) {
    const walk = reachableGroups(plan, t.name).map(g => byName.get(g)!);
    const bound = walkBound(walk, numRetries);
    if (slowest === undefined || bound.seconds > slowest.seconds) slowest = bound;
  }
  return slowest!;
}
