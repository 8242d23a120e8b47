import { LiteLLMConfigError } from '../errors';
import { ConfigSection } from './config';
import type { LiteLLMProxy } from './litellm-proxy';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { boolean, didYouMean, integer, nonEmptyString, nonNegativeNumber, plainObject, unique } from '../validate';

/** Limits for virtual keys generated through `/key/generate`. */
export interface KeyGenerateParams {
  /** Budget in USD (`max_budget`). @default no budget */
  readonly maxBudget?: number;
  /** How often the budget resets (`budget_duration`), e.g. "30d". @default never */
  readonly budgetDuration?: string;
  /** How long a key lives (`duration`), e.g. "90d". @default forever */
  readonly duration?: string;
  /** Concurrent requests per key (`max_parallel_requests`). @default no limit */
  readonly maxParallelRequests?: number;
  /** Tokens per minute per key (`tpm_limit`). @default no limit */
  readonly tpmLimit?: number;
  /** Requests per minute per key (`rpm_limit`). @default no limit */
  readonly rpmLimit?: number;
}

/** Defaults filled into keys generated without them (`default_key_generate_params`). */
export interface DefaultKeyGenerateParams extends KeyGenerateParams {
  /** Models a new key may call (`models`). @default all models */
  readonly models?: string[];
}

/** How a priority's share of a model's capacity is given (`priority_reservation`, dynamic_rate_limiter_v3.py). */
export enum PriorityShareType {
  /** A fraction of the capacity, written as a plain number. */
  FRACTION = 'fraction',
  /** A fraction of the capacity, written as `{ type: percent, value }`. */
  PERCENT = 'percent',
  /** Requests per minute. */
  RPM = 'rpm',
  /** Tokens per minute. */
  TPM = 'tpm',
}

/** A priority's share of each model's capacity. */
export class PriorityShare {
  /** A fraction (greater than 0, at most 1) of each model's capacity. */
  public static fraction(fraction: number): PriorityShare {
    return new PriorityShare(PriorityShareType.FRACTION, fraction);
  }

  /** A fraction (greater than 0, at most 1), written as LiteLLM's `{ type: percent, value }`. */
  public static percent(fraction: number): PriorityShare {
    return new PriorityShare(PriorityShareType.PERCENT, fraction);
  }

  /** A number of requests per minute of each model. */
  public static rpm(requestsPerMinute: number): PriorityShare {
    return new PriorityShare(PriorityShareType.RPM, requestsPerMinute);
  }

  /** A number of tokens per minute of each model. */
  public static tpm(tokensPerMinute: number): PriorityShare {
    return new PriorityShare(PriorityShareType.TPM, tokensPerMinute);
  }

  private constructor(
    /** How the share is given. */
    public readonly type: PriorityShareType,
    /** The fraction, or the rpm/tpm count. */
    public readonly value: number,
  ) {}
}

/** A budget for the whole proxy (`litellm_settings.max_budget` + `budget_duration`). */
export interface ProxyBudget {
  /** Spend limit in USD, greater than 0. */
  readonly maxBudget: number;
  /** How often it resets, a LiteLLM duration such as "30d" or "1mo" (LiteLLM needs both). */
  readonly budgetDuration: string;
}

/**
 * Capacity reserved per priority (`litellm_settings.priority_reservation`,
 * enforced by the `dynamic_rate_limiter_v3` callback). A key or team gets its
 * priority from `metadata.priority`. An enterprise feature: LiteLLM ignores the
 * reservation without `LITELLM_LICENSE` (litellm/proxy/hooks/dynamic_rate_limiter_v3.py).
 */
export interface PriorityReservation {
  /** Share per priority name, e.g. `{ prod: 0.75, dev: 0.25 }`. Fractions may add up to at most 1. */
  readonly shares: { [priority: string]: PriorityShare };
  /** Share for keys without a priority (`priority_reservation_settings.default_priority`). @default LiteLLM's 0.25 */
  readonly defaultPriority?: number;
  /** Saturation (0–1) above which shares are enforced strictly (`saturation_threshold`). @default LiteLLM's 0.5 */
  readonly saturationThreshold?: number;
  /** The LiteLLM enterprise licence key, from a Secret. @default none: required unless the proxy already sets LITELLM_LICENSE */
  readonly license?: SecretKeyRef;
}

/** Typed governance settings, written into config.yaml. */
export interface GovernanceSettings {
  /** Defaults for generated keys. @default none */
  readonly defaultKeyParams?: DefaultKeyGenerateParams;
  /** Caps for generated keys (`upperbound_key_generate_params`); requests above them get 400. @default none */
  readonly keyParamLimits?: KeyGenerateParams;
  /** A budget for the whole proxy (`litellm_settings.max_budget` + `budget_duration`; LiteLLM needs both). @default none */
  readonly proxyBudget?: ProxyBudget;
  /** Capacity reserved per priority. @default none */
  readonly priorityReservation?: PriorityReservation;
  /**
   * Serve requests when the database is unreachable
   * (`general_settings.allow_requests_on_db_unavailable`; "only inside your VPC").
   * It also keeps `/health/readiness` at 200 while the database is stopped or
   * hangs (measured on 1.108.14, e2e `database`), so the pods stay in the
   * Service and keep serving keys they hold in memory (60 s after their last
   * lookup). Without it readiness answers 503 about 15 s into an outage and
   * every pod leaves the Service.
   * @default false
   */
  readonly allowRequestsWhenDatabaseUnavailable?: boolean;
  /** Do not write per-request spend logs (`general_settings.disable_spend_logs`); spend totals are still kept. @default false */
  readonly disableSpendLogs?: boolean;
  /** Seconds between batched spend writes (`general_settings.proxy_batch_write_at`). @default LiteLLM's 10 */
  readonly batchWriteIntervalSeconds?: number;
  /**
   * Database connections per worker process (`general_settings.database_connection_pool_limit`);
   * × workers × pods must fit the database. @default LiteLLM's 10
   */
  readonly databaseConnectionPoolLimit?: number;
  /** Seconds to wait for a pooled connection (`general_settings.database_connection_timeout`). @default LiteLLM's 60 */
  readonly databaseConnectionTimeoutSeconds?: number;
}

/**
 * Settings earlier releases of this library offered that LiteLLM 1.108.14 never reads: refused with
 * where their effect lives now, rather than written into config.yaml to do nothing.
 */
const REMOVED_SETTINGS: Record<string, string> = {
  // proxy_server.py reads general_settings.max_parallel_requests nowhere at request time; measured: 6 of 6 passed a limit of 2.
  maxParallelRequests: 'general_settings.max_parallel_requests has no effect in LiteLLM 1.108.14 (measured: 6 concurrent requests passed a limit of 2); '
    + 'limit a deployment with models[].maxParallelRequests, a worker with the proxy\'s maxInFlightRequestsPerWorker, or keys with defaultKeyParams.maxParallelRequests',
  // Only the legacy v1 limiter reads it (LEGACY_MULTI_INSTANCE_RATE_LIMITING), and that one leaks.
  globalMaxParallelRequests: 'general_settings.global_max_parallel_requests has no effect in LiteLLM 1.108.14 (only the legacy limiter reads it); '
    + 'use the proxy\'s maxInFlightRequestsPerWorker (503 with Retry-After when a worker is full)',
};

const KNOWN_SETTINGS = ['defaultKeyParams', 'keyParamLimits', 'proxyBudget', 'priorityReservation', 'allowRequestsWhenDatabaseUnavailable',
  'disableSpendLogs', 'batchWriteIntervalSeconds', 'databaseConnectionPoolLimit', 'databaseConnectionTimeoutSeconds'];

/** LiteLLM's duration syntax (litellm/litellm_core_utils/duration_parser.py): a number and s, m, h, d, w or mo. */
const DURATION = /^([1-9]\d*)(s|m|h|d|w|mo)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const NEEDS_DATABASE: readonly (keyof GovernanceSettings)[] = [
  'defaultKeyParams', 'keyParamLimits', 'proxyBudget', 'priorityReservation', 'allowRequestsWhenDatabaseUnavailable',
  'disableSpendLogs', 'batchWriteIntervalSeconds', 'databaseConnectionPoolLimit', 'databaseConnectionTimeoutSeconds',
];

function duration(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !DURATION.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a LiteLLM duration: a positive whole number and s, m, h, d, w or mo, e.g. "30d" or "1mo"');
  }
  return value;
}

/** Seconds range of a duration: months are 28–31 days long, so "1mo" is a range. */
function durationRange(value: string): [number, number] {
  const [, n, unit] = DURATION.exec(value)!;
  if (unit === 'mo') return [Number(n) * 28 * 86400, Number(n) * 31 * 86400];
  const s = Number(n) * UNIT_SECONDS[unit];
  return [s, s];
}

/** True when `a` may be longer than `b` on some calendar day. */
function mayExceed(a: string, b: string): boolean {
  const ua = DURATION.exec(a)![2];
  const ub = DURATION.exec(b)![2];
  if (ua === ub) return Number(DURATION.exec(a)![1]) > Number(DURATION.exec(b)![1]);
  return durationRange(a)[1] > durationRange(b)[0];
}

function keyParams(prop: string, p: KeyGenerateParams, allowModels: boolean): Record<string, unknown> {
  plainObject(prop, p);
  const known = ['maxBudget', 'budgetDuration', 'duration', 'maxParallelRequests', 'tpmLimit', 'rpmLimit', ...(allowModels ? ['models'] : [])];
  for (const k of Object.keys(p)) {
    if (!known.includes(k)) throw new LiteLLMConfigError(`${prop}.${k}`, k, `is not a key parameter; use one of ${known.join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  if (p.maxBudget !== undefined) out.max_budget = nonNegativeNumber(`${prop}.maxBudget`, p.maxBudget);
  if (p.budgetDuration !== undefined) {
    if (p.maxBudget === undefined) throw new LiteLLMConfigError(`${prop}.budgetDuration`, p.budgetDuration, 'resets a budget: set maxBudget too');
    out.budget_duration = duration(`${prop}.budgetDuration`, p.budgetDuration);
  }
  if (p.duration !== undefined) out.duration = duration(`${prop}.duration`, p.duration);
  if (p.maxParallelRequests !== undefined) out.max_parallel_requests = integer(`${prop}.maxParallelRequests`, p.maxParallelRequests, 1);
  if (p.tpmLimit !== undefined) out.tpm_limit = integer(`${prop}.tpmLimit`, p.tpmLimit, 1);
  if (p.rpmLimit !== undefined) out.rpm_limit = integer(`${prop}.rpmLimit`, p.rpmLimit, 1);
  const models = (p as DefaultKeyGenerateParams).models;
  if (models !== undefined) {
    if (!Array.isArray(models) || models.length === 0) throw new LiteLLMConfigError(`${prop}.models`, models, 'must list at least one model name (leave it unset for all models)');
    models.forEach((m, i) => nonEmptyString(`${prop}.models[${i}]`, m));
    unique(`${prop}.models`, models, 'model names');
    out.models = [...models];
  }
  return out;
}

/**
 * LiteLLM's special key model names (litellm/proxy/_types.py SpecialModelNames):
 * every proxy model, the team's models, none by default.
 */
const SPECIAL_KEY_MODELS = ['all-proxy-models', 'all-team-models', 'no-default-models'];

/** `openai/*` as a RegExp: LiteLLM's wildcard model names match any characters for `*`. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(p => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * A key's models must be ones the proxy serves: a name nobody serves gives
 * every new key access to nothing, and LiteLLM does not say so. A declared
 * wildcard name (`openai/*`) covers what it matches, and a wildcard in the
 * key covers the names it matches.
 */
function checkKeyModels(prop: string, models: readonly string[], declared: readonly string[], groups: readonly string[]): void {
  models.forEach((m, i) => {
    const served = declared.includes(m) || groups.includes(m) || SPECIAL_KEY_MODELS.includes(m)
      || declared.some(d => (d.includes('*') && wildcard(d).test(m)) || (m.includes('*') && wildcard(m).test(d)));
    if (!served) {
      throw new LiteLLMConfigError(`${prop}[${i}]`, m,
        `must be a model_name of the proxy's models (${declared.map(d => JSON.stringify(d)).join(', ')})`
        + (groups.length > 0 ? `, a model access group (${groups.map(g => JSON.stringify(g)).join(', ')}),` : '') + ' '
        + `or one of ${SPECIAL_KEY_MODELS.map(s => JSON.stringify(s)).join(', ')}${didYouMean(m, [...declared, ...groups])}`);
    }
  });
}

function fraction(prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new LiteLLMConfigError(prop, value, 'must be a number from 0 to 1');
  }
  return value;
}

function priorityShares(prop: string, shares: { [priority: string]: PriorityShare }): Record<string, unknown> {
  plainObject(prop, shares);
  const names = Object.keys(shares);
  if (names.length === 0) throw new LiteLLMConfigError(prop, shares, 'must name at least one priority, e.g. { prod: PriorityShare.fraction(0.75), dev: PriorityShare.fraction(0.25) }');
  const out: Record<string, unknown> = {};
  let fractions = 0;
  for (const name of names) {
    const share = shares[name];
    const p = `${prop}.${name}`;
    if (!(share instanceof PriorityShare)) {
      throw new LiteLLMConfigError(p, share, 'must be PriorityShare.fraction(f), PriorityShare.percent(f), PriorityShare.rpm(n) or PriorityShare.tpm(n)');
    }
    if (share.type === PriorityShareType.FRACTION || share.type === PriorityShareType.PERCENT) {
      if (typeof share.value !== 'number' || !Number.isFinite(share.value) || share.value <= 0 || share.value > 1) {
        throw new LiteLLMConfigError(p, share.value, 'a share is a fraction of capacity greater than 0 and at most 1');
      }
      fractions += share.value;
      out[name] = share.type === PriorityShareType.FRACTION ? share.value : { type: share.type, value: share.value };
    } else {
      out[name] = { type: share.type, value: integer(p, share.value, 1) };
    }
  }
  // LiteLLM silently scales over-allocated shares down; refuse instead, so the numbers mean what they say.
  if (fractions > 1 + 1e-9) {
    throw new LiteLLMConfigError(prop, `${Object.keys(shares).length} shares`, `fractional shares add up to ${Number(fractions.toFixed(6))}; they must add up to at most 1`);
  }
  return out;
}

/**
 * Writes governance settings into the proxy's config.yaml, after validating
 * each one. Settings that act on virtual keys, budgets or spend need the
 * proxy to have a database.
 */
export function applyGovernance(proxy: LiteLLMProxy, settings: GovernanceSettings): void {
  plainObject('governance', settings);
  const owner = (prop: string): string => `governance.${prop}`;
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (REMOVED_SETTINGS[key] !== undefined) throw new LiteLLMConfigError(owner(key), value, `removed: ${REMOVED_SETTINGS[key]}`);
    if (!KNOWN_SETTINGS.includes(key)) throw new LiteLLMConfigError(owner(key), value, `is not a governance setting; use one of ${KNOWN_SETTINGS.join(', ')}`);
  }
  const hasDatabase = proxy.environment.some(e => e.name === 'DATABASE_URL' || e.name === 'DATABASE_HOST');
  for (const key of NEEDS_DATABASE) {
    if (settings[key] !== undefined && !hasDatabase) {
      throw new LiteLLMConfigError(owner(key), settings[key], 'needs a database: virtual keys, budgets and spend live in Postgres; give the proxy `database`');
    }
  }


  const defaults = settings.defaultKeyParams !== undefined ? keyParams(owner('defaultKeyParams'), settings.defaultKeyParams, true) : undefined;
  if (defaults?.models !== undefined) checkKeyModels(owner('defaultKeyParams.models'), defaults.models as string[], proxy.config.modelNames, proxy.config.accessGroupNames);
  const limits = settings.keyParamLimits !== undefined ? keyParams(owner('keyParamLimits'), settings.keyParamLimits, false) : undefined;
  if (defaults && limits) {
    const pairs: [keyof KeyGenerateParams, string][] = [['maxBudget', 'max_budget'], ['maxParallelRequests', 'max_parallel_requests'], ['tpmLimit', 'tpm_limit'], ['rpmLimit', 'rpm_limit']];
    for (const [prop, key] of pairs) {
      if (defaults[key] !== undefined && limits[key] !== undefined && (defaults[key] as number) > (limits[key] as number)) {
        throw new LiteLLMConfigError(owner(`defaultKeyParams.${prop}`), defaults[key], `must not exceed keyParamLimits.${prop} (${limits[key]}): LiteLLM would refuse every key generated with the default`);
      }
    }
    for (const [prop, key] of [['budgetDuration', 'budget_duration'], ['duration', 'duration']] as const) {
      if (defaults[key] !== undefined && limits[key] !== undefined && mayExceed(defaults[key] as string, limits[key] as string)) {
        throw new LiteLLMConfigError(owner(`defaultKeyParams.${prop}`), defaults[key],
          `must not be longer than keyParamLimits.${prop} (${JSON.stringify(limits[key])}); months count as 28 to 31 days`);
      }
    }
  }
  // A key tpm below one answer's max_tokens: the first long answer spends the minute, every further call that minute is 429.
  for (const [params, name] of [[defaults, 'defaultKeyParams'], [limits, 'keyParamLimits']] as const) {
    const tpm = params?.tpm_limit;
    const largest = largestMaxTokens(proxy);
    if (typeof tpm === 'number' && largest !== undefined && tpm < largest.tokens) {
      throw new LiteLLMConfigError(owner(`${name}.tpmLimit`), tpm,
        `must be at least ${largest.tokens}, the max_tokens of model "${largest.model}" (${largest.prop}): one answer of that length spends `
        + 'a key\'s whole minute of tpm and every further request that minute is refused (429); raise it, or lower max_tokens');
    }
  }
  if (defaults) proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'default_key_generate_params', defaults, owner('defaultKeyParams'));
  if (limits) proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'upperbound_key_generate_params', limits, owner('keyParamLimits'));

  if (settings.proxyBudget !== undefined) {
    const b = plainObject(owner('proxyBudget'), settings.proxyBudget);
    if (typeof b.maxBudget !== 'number' || !Number.isFinite(b.maxBudget) || b.maxBudget <= 0) {
      throw new LiteLLMConfigError(owner('proxyBudget.maxBudget'), b.maxBudget, 'must be a budget in USD greater than 0');
    }
    // proxy_server.py: "budget_duration is required to use max_budget".
    const period = duration(owner('proxyBudget.budgetDuration'), b.budgetDuration);
    proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'max_budget', b.maxBudget, owner('proxyBudget'));
    proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'budget_duration', period, owner('proxyBudget'));
  }

  if (settings.priorityReservation !== undefined) {
    const r = settings.priorityReservation;
    plainObject(owner('priorityReservation'), r);
    const shares = priorityShares(owner('priorityReservation.shares'), r.shares);
    // An absolute share above a model's own rpm/tpm reserves capacity the model does not have.
    for (const [priority, share] of Object.entries(r.shares)) {
      const key = share.type === PriorityShareType.RPM ? 'rpm' : share.type === PriorityShareType.TPM ? 'tpm' : undefined;
      if (key === undefined) continue;
      proxy.config.models.forEach((m, i) => {
        const capacity = m.litellm_params?.[key];
        if (typeof capacity === 'number' && share.value > capacity) {
          throw new LiteLLMConfigError(owner(`priorityReservation.shares.${priority}`), share.value,
            `reserves ${share.value} ${key} of each model, more than model "${m.model_name}" has (models[${i}].${key} is ${capacity}); `
            + `lower the share to at most ${capacity}, or give it as a fraction (PriorityShare.fraction)`);
        }
      });
    }
    const hasLicense = proxy.environment.some(e => e.name === 'LITELLM_LICENSE');
    if (r.license !== undefined) {
      proxy.addSecretEnv('LITELLM_LICENSE', secretKeyRef(owner('priorityReservation.license'), r.license), owner('priorityReservation.license'));
    } else if (!hasLicense) {
      throw new LiteLLMConfigError(owner('priorityReservation.license'), undefined,
        'priority reservation is a LiteLLM enterprise feature and is ignored without LITELLM_LICENSE: give the licence key as a Secret reference');
    }
    proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'priority_reservation', shares, owner('priorityReservation'));
    const rs: Record<string, number> = {};
    if (r.defaultPriority !== undefined) rs.default_priority = fraction(owner('priorityReservation.defaultPriority'), r.defaultPriority);
    if (r.saturationThreshold !== undefined) rs.saturation_threshold = fraction(owner('priorityReservation.saturationThreshold'), r.saturationThreshold);
    if (Object.keys(rs).length > 0) proxy.setConfig(ConfigSection.LITELLM_SETTINGS, 'priority_reservation_settings', rs, owner('priorityReservation'));
    proxy.config.append(ConfigSection.LITELLM_SETTINGS, 'callbacks', 'dynamic_rate_limiter_v3', owner('priorityReservation'));
  }

  if (settings.allowRequestsWhenDatabaseUnavailable !== undefined) {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'allow_requests_on_db_unavailable',
      boolean(owner('allowRequestsWhenDatabaseUnavailable'), settings.allowRequestsWhenDatabaseUnavailable), owner('allowRequestsWhenDatabaseUnavailable'));
  }
  if (settings.disableSpendLogs !== undefined) {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'disable_spend_logs', boolean(owner('disableSpendLogs'), settings.disableSpendLogs), owner('disableSpendLogs'));
  }
  if (settings.batchWriteIntervalSeconds !== undefined) {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'proxy_batch_write_at',
      integer(owner('batchWriteIntervalSeconds'), settings.batchWriteIntervalSeconds, 1, 3600), owner('batchWriteIntervalSeconds'));
  }
  if (settings.databaseConnectionPoolLimit !== undefined) {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'database_connection_pool_limit',
      integer(owner('databaseConnectionPoolLimit'), settings.databaseConnectionPoolLimit, 1, 1000), owner('databaseConnectionPoolLimit'));
  }
  if (settings.databaseConnectionTimeoutSeconds !== undefined) {
    proxy.setConfig(ConfigSection.GENERAL_SETTINGS, 'database_connection_timeout',
      integer(owner('databaseConnectionTimeoutSeconds'), settings.databaseConnectionTimeoutSeconds, 1, 3600), owner('databaseConnectionTimeoutSeconds'));
  }
}

/** LiteLLM's duration checks, shared with the access declarations (lib/access). */
export { duration as checkDuration, mayExceed as durationMayExceed };

/** The largest `max_tokens` a model deployment of the proxy declares (`params.max_tokens`), with where. */
function largestMaxTokens(proxy: LiteLLMProxy): { tokens: number; model: string; prop: string } | undefined {
  let largest: { tokens: number; model: string; prop: string } | undefined;
  proxy.config.models.forEach((m, i) => {
    const tokens = m.litellm_params?.max_tokens;
    if (typeof tokens === 'number' && tokens > (largest?.tokens ?? 0)) largest = { tokens, model: m.model_name, prop: `models[${i}].params.max_tokens` };
  });
  return largest;
}
