import { Yaml } from 'cdk8s';
import { LiteLLMConfigError, hidden } from '../errors';
import { assertNoLiteralSecrets } from '../secret';
import { didYouMean, plainObject } from '../validate';

/** The config.yaml sections LiteLLM reads besides `model_list` (docs/proxy/configs.md). */
export enum ConfigSection {
  LITELLM_SETTINGS = 'litellm_settings',
  ROUTER_SETTINGS = 'router_settings',
  GENERAL_SETTINGS = 'general_settings',
  ENVIRONMENT_VARIABLES = 'environment_variables',
}
/** The sections in LiteLLM's documented order. */
export const CONFIG_SECTIONS: readonly ConfigSection[] = [
  ConfigSection.LITELLM_SETTINGS, ConfigSection.ROUTER_SETTINGS, ConfigSection.GENERAL_SETTINGS, ConfigSection.ENVIRONMENT_VARIABLES,
];

/**
 * Keys for settings this library does not model yet, merged into config.yaml
 * as given (keys inside a section are LiteLLM's own, snake_case).
 */
export interface ExtraConfig {
  /** Further `litellm_settings` keys. @default none */
  readonly litellmSettings?: { [key: string]: any };
  /** Further `router_settings` keys. @default none */
  readonly routerSettings?: { [key: string]: any };
  /** Further `general_settings` keys. @default none */
  readonly generalSettings?: { [key: string]: any };
  /**
   * Refused entry by entry: LiteLLM copies this section into its process
   * environment, so it is never the place for a value. Use the proxy's `env`
   * (plain values) or `secretEnv` (a Secret reference), which set the same
   * variables without writing them into the ConfigMap.
   * @default none
   */
  readonly environmentVariables?: { [key: string]: any };
}

/** The ExtraConfig field of each section. */
const EXTRA_FIELDS: Record<string, ConfigSection> = {
  litellmSettings: ConfigSection.LITELLM_SETTINGS,
  routerSettings: ConfigSection.ROUTER_SETTINGS,
  generalSettings: ConfigSection.GENERAL_SETTINGS,
  environmentVariables: ConfigSection.ENVIRONMENT_VARIABLES,
};

const AGREEMENT = 'it changes how long a request can take, which the edge and drain timeouts are derived from '
  + '(use requestTimeoutSeconds, maxStreamSeconds and router.numRetries)';
/** Fallbacks are typed (fallbacks.ts) so that the timing bound counts every group they add. */
const FALLBACKS = 'fallbacks add attempts at other model groups, which the timing bound the edge and drain timeouts are derived from must count: '
  + 'use router.fallbacks ({ model, to, on: FallbackTrigger.ERRORS | CONTEXT_WINDOW | CONTENT_POLICY }) and router.defaultFallbacks';
/**
 * Escape-hatch keys that would silently break a promise of the library, with the reason
 * (router.py reads the retry and timeout keys; proxy_server.py never reads the parallel ones).
 */
const ONE_REDIS_CLIENT = 'the router shares the proxy\'s one Redis client (one circuit breaker, one key prefix); '
  + 'a client of its own would double what a hung Redis costs a request and write outside the prefix: give the proxy `redis`';
const REFUSED_EXTRA_KEYS: Partial<Record<ConfigSection, Record<string, string>>> = {
  [ConfigSection.ROUTER_SETTINGS]: {
    redis_host: ONE_REDIS_CLIENT, redis_port: ONE_REDIS_CLIENT, redis_password: ONE_REDIS_CLIENT, redis_url: ONE_REDIS_CLIENT, cache_kwargs: ONE_REDIS_CLIENT,
    timeout: AGREEMENT, stream_timeout: AGREEMENT, retry_policy: AGREEMENT, model_group_retry_policy: AGREEMENT, retry_after: AGREEMENT,
    fallbacks: FALLBACKS, default_fallbacks: FALLBACKS, context_window_fallbacks: FALLBACKS, content_policy_fallbacks: FALLBACKS,
    // It caps only how deep the walk nests (router_utils/fallback_event_handlers.py); the bound counts every reachable group anyway.
    max_fallbacks: `${AGREEMENT}; the bound counts every model group router.fallbacks can reach`,
    // Re-runs a failed group on its other deployments, with retries, before its fallbacks (router.py _maybe_run_weighted_failover).
    enable_weighted_failover: `${AGREEMENT}; it adds attempts within a model group`,
  },
  [ConfigSection.LITELLM_SETTINGS]: {
    num_retries: AGREEMENT,
    // router.py Router.__init__ reads these module settings when router_settings has none.
    fallbacks: FALLBACKS, default_fallbacks: FALLBACKS, context_window_fallbacks: FALLBACKS, content_policy_fallbacks: FALLBACKS,
    max_fallbacks: `${AGREEMENT}; the bound counts every model group router.fallbacks can reach`,
  },
  [ConfigSection.GENERAL_SETTINGS]: {
    coordination_redis: 'the proxy\'s Redis client is wired from the `redis` prop (its key prefix, timeouts and circuit breaker)',
    max_parallel_requests: 'LiteLLM 1.108.14 never reads it (measured: 6 concurrent requests passed a limit of 2); use models[].maxParallelRequests or maxInFlightRequestsPerWorker',
    global_max_parallel_requests: 'LiteLLM 1.108.14 reads it only in its legacy limiter; use maxInFlightRequestsPerWorker',
  },
};

/** `os.environ/NAME`: LiteLLM reads the value from the environment at start-up. */
export function envRef(name: string): string {
  return `os.environ/${name}`;
}

/**
 * config.yaml under construction. Each key has one owner (a typed prop, the
 * Redis wiring, governance, ...); a second writer of the same key is an error
 * rather than a silent override, so two features can never fight over a value.
 */
export class LiteLLMConfigDocument {
  private readonly entries: { [key: string]: any }[] = [];
  private readonly sections = new Map<ConfigSection, Map<string, { value: unknown; owner: string }>>();

  /** Adds a `model_list` entry (validated by the proxy). */
  public addModel(entry: { [key: string]: any }): void {
    this.entries.push(entry);
  }

  /** The `model_list` entries so far. */
  public get models(): { [key: string]: any }[] {
    return this.entries;
  }

  /** Sets one key; throws if another owner already set it to something else. */
  public set(section: ConfigSection, key: string, value: any, owner: string): void {
    let s = this.sections.get(section);
    if (!s) {
      s = new Map();
      this.sections.set(section, s);
    }
    const existing = s.get(key);
    if (existing && JSON.stringify(existing.value) !== JSON.stringify(value)) {
      throw new LiteLLMConfigError(owner, value,
        `${section}.${key} is already set to ${JSON.stringify(existing.value)} by ${existing.owner}; set it in one place only`);
    }
    s.set(key, { value, owner: existing?.owner ?? owner });
  }

  /** Appends to a list-valued key (e.g. `callbacks`), keeping order and skipping repeats. */
  public append(section: ConfigSection, key: string, item: string, owner: string): void {
    const s = this.sections.get(section);
    const current = s?.get(key)?.value;
    const list = Array.isArray(current) ? [...current] : [];
    if (!list.includes(item)) list.push(item);
    if (s?.has(key)) s.delete(key);
    this.set(section, key, list, owner);
  }

  /** The value of one key, if set. */
  public get(section: ConfigSection, key: string): any {
    return this.sections.get(section)?.get(key)?.value;
  }

  /** Whether one key is set. */
  public has(section: ConfigSection, key: string): boolean {
    return this.sections.get(section)?.has(key) ?? false;
  }

  /** Merges the escape hatch; keys a typed prop owns are refused with the prop to use. */
  public mergeExtra(extra: ExtraConfig, prop: string): void {
    for (const field of Object.keys(plainObject(prop, extra))) {
      if (EXTRA_FIELDS[field] === undefined) {
        throw new LiteLLMConfigError(`${prop}.${field}`, field,
          `must be one of ${Object.keys(EXTRA_FIELDS).join(', ')} (models go in "models")${didYouMean(field, Object.keys(EXTRA_FIELDS))}`);
      }
    }
    // Before the credential walk, so every entry gets the same answer whether or not it looks secret.
    const env = extra.environmentVariables;
    const [name] = env === undefined ? [] : Object.keys(plainObject(`${prop}.environmentVariables`, env));
    if (name !== undefined) {
      throw new LiteLLMConfigError(`${prop}.environmentVariables.${name}`, hidden('a literal value'),
        'environment_variables becomes the proxy\'s process environment and its values would be written into the ConfigMap: '
        + `set a plain value with the proxy's env prop (env: { ${name}: '...' }) or a credential with secretEnv `
        + `(secretEnv: { ${name}: { name, key } }, a Secret reference)`);
    }
    assertNoLiteralSecrets(prop, extra);
    for (const [field, values] of Object.entries(extra)) {
      const section = EXTRA_FIELDS[field];
      if (values === undefined) continue;
      for (const [key, value] of Object.entries(plainObject(`${prop}.${field}`, values))) {
        const refused = REFUSED_EXTRA_KEYS[section]?.[key];
        if (refused !== undefined) {
          throw new LiteLLMConfigError(`${prop}.${field}.${key}`, value, `not settable: ${refused}`);
        }
        const owner = this.sections.get(section)?.get(key)?.owner;
        if (owner !== undefined) {
          throw new LiteLLMConfigError(`${prop}.${field}.${key}`, value, `this key is set by ${owner}; use that prop instead`);
        }
        this.set(section, key, value, `${prop}.${field}.${key}`);
      }
    }
  }

  /** The distinct `model_name`s of `model_list`, in order. */
  public get modelNames(): string[] {
    return [...new Set(this.models.map(m => m.model_name as string))];
  }

  /** The model access groups the deployments belong to (`model_info.access_groups`), in order. */
  public get accessGroupNames(): string[] {
    return [...new Set(this.models.flatMap(m => ((m.model_info as { access_groups?: string[] } | undefined)?.access_groups ?? [])))];
  }

  /** The document as a plain object, sections in LiteLLM's documented order. */
  public toObject(): { [key: string]: any } {
    const doc: { [key: string]: any } = { model_list: this.entries };
    for (const section of CONFIG_SECTIONS) {
      const s = this.sections.get(section);
      if (!s || s.size === 0) continue;
      doc[section] = Object.fromEntries([...s.entries()].map(([k, v]) => [k, v.value]));
    }
    return doc;
  }

  /** config.yaml as LiteLLM reads it. */
  public render(): string {
    return Yaml.stringify(this.toObject());
  }
}
