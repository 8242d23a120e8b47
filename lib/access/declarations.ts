import { LiteLLMConfigError, hidden } from '../errors';
import { checkDuration } from '../proxy/governance-settings';
import { looksLikeSecret } from '../credentials';
import { SecretKeyRef, assertNoLiteralSecrets, secretKeyRef } from '../secret';
import { boolean, enumValue, integer, list, nonEmptyString, nonNegativeNumber, plainObject, unique } from '../validate';

/**
 * Teams, users, virtual keys and budgets declared in code: what the
 * {@link GovernanceReconciler} makes LiteLLM's database hold. Identities are
 * chosen here and never change: a team's and a user's `id`, a budget's `id`
 * and a key's `alias`. Renaming one is a delete plus a create.
 */

/** Limits shared by teams, users, keys and budget tiers. */
export interface AccessLimits {
  /** Spend limit in USD (`max_budget`). @default no budget (keys: the proxy's `defaultKeyParams`) */
  readonly maxBudget?: number;
  /** How often the budget resets (`budget_duration`), e.g. "30d" or "1mo"; needs a budget. @default never */
  readonly budgetDuration?: string;
  /** Requests per minute (`rpm_limit`). @default no limit (keys: the proxy's `defaultKeyParams`) */
  readonly rpmLimit?: number;
  /** Tokens per minute (`tpm_limit`). @default no limit (keys: the proxy's `defaultKeyParams`) */
  readonly tpmLimit?: number;
}

/** A team (`/team/new`). */
export interface TeamDeclaration extends AccessLimits {
  /** Stable id (`team_id`): 1 to 64 letters, digits, `.`, `_`, `-`, `@`. */
  readonly id: string;
  /** Display name (`team_alias`); unique among the declared teams. @default the id */
  readonly alias?: string;
  /** Models (public names or access groups) the team may call. @default all models */
  readonly models?: string[];
  /** Block every request of the team's keys (`blocked`). @default false */
  readonly blocked?: boolean;
  /**
   * Priority of the team's traffic (`metadata.priority`, read by
   * `dynamic_rate_limiter_v3`): one of the proxy's `priorityReservation.shares`.
   * Needs the enterprise licence. @default none
   */
  readonly priority?: string;
  /** Further metadata (plain JSON, no credentials). @default none */
  readonly metadata?: { [key: string]: any };
}

/** Roles a declared user may have (`user_role`, litellm/proxy/_types.py LitellmUserRoles). */
export enum UserRole {
  /** Calls models and manages their own keys. */
  INTERNAL_USER = 'internal_user',
  /** Sees their own keys and spend. */
  INTERNAL_USER_VIEWER = 'internal_user_viewer',
  /** Administers the whole proxy. */
  PROXY_ADMIN = 'proxy_admin',
  /** Sees everything, changes nothing. */
  PROXY_ADMIN_VIEWER = 'proxy_admin_viewer',
}

/** A user (`/user/new`, without the key LiteLLM would otherwise create). */
export interface UserDeclaration extends AccessLimits {
  /** Stable id (`user_id`): 1 to 128 letters, digits, `.`, `_`, `-`, `@`, `+`. */
  readonly id: string;
  /**
   * E-mail (`user_email`); unique, ignoring case. Managed only when given:
   * LiteLLM's `/user/update` cannot clear it. @default none
   */
  readonly email?: string;
  /** Display name (`user_alias`); managed only when given (it cannot be cleared either). @default none */
  readonly alias?: string;
  /** Role (`user_role`). @default UserRole.INTERNAL_USER */
  readonly role?: UserRole;
  /** Ids of declared teams the user is a member of (role `user`). @default none */
  readonly teams?: string[];
  /** Models the user may call; managed only when given (an empty list cannot be restored). @default all models */
  readonly models?: string[];
  /** Concurrent requests (`max_parallel_requests`); managed only when given. @default no limit */
  readonly maxParallelRequests?: number;
  /** Further metadata (plain JSON, no credentials). @default none */
  readonly metadata?: { [key: string]: any };
}

/**
 * A virtual key (`/key/generate`). Its value is never generated into Git: it
 * is read from a Secret you provision (`sk-` and at least 16 characters, as
 * LiteLLM requires of a caller-chosen key). A new value in the Secret is a
 * rotation: the reconciler replaces the key, keeping its alias and settings.
 */
export interface KeyDeclaration extends AccessLimits {
  /** Stable identity (`key_alias`): LiteLLM's alias format, at most 240 characters. */
  readonly alias: string;
  /** The Secret key holding the value. */
  readonly value: SecretKeyRef;
  /** Id of a declared team the key belongs to. @default none */
  readonly team?: string;
  /** Id of a declared user the key belongs to (a member of `team`, when both are given). @default none */
  readonly user?: string;
  /** Id of a declared budget tier (`budget_id`). @default none */
  readonly budget?: string;
  /** Models (public names or access groups) the key may call. @default the proxy's `defaultKeyParams.models`, else all */
  readonly models?: string[];
  /** Concurrent requests (`max_parallel_requests`). @default the proxy's `defaultKeyParams`, else no limit */
  readonly maxParallelRequests?: number;
  /**
   * Lifetime (`duration`), counted from creation and from each rotation;
   * later runs do not extend it. @default the proxy's `defaultKeyParams.duration`, else forever
   */
  readonly duration?: string;
  /** Refuse every request with the key (`blocked`). @default false */
  readonly blocked?: boolean;
  /** Priority (`metadata.priority`); a team's priority wins. Needs the enterprise licence. @default none */
  readonly priority?: string;
  /** Further metadata (plain JSON, no credentials). @default none */
  readonly metadata?: { [key: string]: any };
}

/** A budget tier (`/budget/new`) that keys share by reference (`budget_id`). */
export interface BudgetDeclaration extends AccessLimits {
  /** Stable id, 1 to 64 letters, digits, `.`, `_`, `-`; stored as `cdk8s-litellm:<owner>:<id>`. */
  readonly id: string;
  /** Alerting threshold in USD (`soft_budget`), at most `maxBudget`. @default none */
  readonly softBudget?: number;
  /** Concurrent requests (`max_parallel_requests`). @default no limit */
  readonly maxParallelRequests?: number;
}

// --- identities ------------------------------------------------------------------------

const TEAM_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const BUDGET_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// LiteLLM's built-in key alias format (key_management_endpoints.py, _KEY_ALIAS_PATTERN), shortened
// so the temporary alias of a rotation ("<alias>-rotating") still fits.
const KEY_ALIAS = /^[a-zA-Z0-9][a-zA-Z0-9_\-/.@]{0,238}[a-zA-Z0-9]$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** LiteLLM's own team for the admin UI (UI_TEAM_ID, litellm/proxy/_types.py): /team/new refuses it. */
const RESERVED_TEAM_IDS = ['litellm-dashboard'];

export function teamId(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !TEAM_ID.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a team id: 1 to 64 letters, digits, \'.\', \'_\', \'-\' and \'@\', starting with a letter or digit');
  }
  if (RESERVED_TEAM_IDS.includes(value)) throw new LiteLLMConfigError(prop, value, 'is reserved by LiteLLM for its admin UI');
  return value;
}

export function userId(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a user id: 1 to 128 letters, digits, \'.\', \'_\', \'-\', \'@\' and \'+\', starting with a letter or digit');
  }
  return value;
}

export function budgetId(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !BUDGET_ID.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a budget id: 1 to 64 letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit');
  }
  return value;
}

export function keyAlias(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !KEY_ALIAS.test(value) || value.includes('..')) {
    throw new LiteLLMConfigError(prop, value,
      'must be a key alias: 2 to 240 letters, digits, \'_\', \'-\', \'/\', \'.\' and \'@\', starting and ending with a letter or digit, no ".."');
  }
  return value;
}

// --- single-declaration checks ------------------------------------------------------------

/** The request fields every declaration shares, validated. */
export interface RenderedLimits {
  max_budget: number | null;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
}

function limits(prop: string, d: AccessLimits): RenderedLimits {
  const max = d.maxBudget === undefined ? null : nonNegativeNumber(`${prop}.maxBudget`, d.maxBudget);
  const period = d.budgetDuration === undefined ? null : checkDuration(`${prop}.budgetDuration`, d.budgetDuration);
  return {
    max_budget: max,
    budget_duration: period,
    rpm_limit: d.rpmLimit === undefined ? null : integer(`${prop}.rpmLimit`, d.rpmLimit, 1),
    tpm_limit: d.tpmLimit === undefined ? null : integer(`${prop}.tpmLimit`, d.tpmLimit, 1),
  };
}

function known(prop: string, d: object, fields: readonly string[]): void {
  for (const k of Object.keys(d)) {
    if (!fields.includes(k)) throw new LiteLLMConfigError(`${prop}.${k}`, k, `is not a field of this declaration; use ${fields.join(', ')}`);
  }
}

function names(prop: string, value: readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const out = list(prop, value).map((m, i) => nonEmptyString(`${prop}[${i}]`, m));
  unique(prop, out, 'entries');
  return out;
}

/**
 * Metadata entries LiteLLM keeps inside `metadata` itself (litellm/proxy/_types.py:
 * LiteLLM_ManagementEndpoint_MetadataFields and its premium list, the team member
 * budget id, service_account_id). Declarations may not set them; the reconciler
 * keeps them on update and leaves them out of comparisons.
 */
export const SYSTEM_METADATA = [
  'model_rpm_limit', 'model_tpm_limit', 'model_itpm_limit', 'model_otpm_limit', 'default_estimated_output_tokens',
  'default_estimated_output_tokens_per_model', 'mcp_rpm_limit', 'tag_rpm_limit', 'rpm_limit_type', 'tpm_limit_type',
  'enforced_params', 'temp_budget_increase', 'temp_budget_expiry', 'allowed_vector_store_indexes',
  'enforced_batch_output_expires_after', 'enforced_file_expires_after', 'throttle_on_budget_exceeded',
  'enable_prompt_caching', 'end_user_budget_id', 'require_trace_id', 'disable_global_guardrails', 'guardrails',
  'policies', 'tags', 'team_member_key_duration', 'prompts', 'logging', 'secret_manager_settings',
  'allowed_passthrough_routes', 'denied_passthrough_routes', 'team_member_budget_id', 'service_account_id',
] as const;

/** The ownership marker in every managed object's metadata. */
export const MARKER_KEY = 'managed_by';
export const MARKER_VALUE = 'cdk8s-litellm';
export const OWNER_KEY = 'cdk8s_litellm_owner';

function metadata(prop: string, value: Record<string, unknown> | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  const m = plainObject(prop, value);
  assertNoLiteralSecrets(prop, m);
  for (const k of Object.keys(m)) {
    if (k === MARKER_KEY || k === OWNER_KEY) throw new LiteLLMConfigError(`${prop}.${k}`, m[k], 'is the ownership marker the reconciler writes itself');
    if (k === 'priority') throw new LiteLLMConfigError(`${prop}.priority`, m[k], 'use the `priority` field: it is checked against the priority reservation and the licence');
    if ((SYSTEM_METADATA as readonly string[]).includes(k)) {
      throw new LiteLLMConfigError(`${prop}.${k}`, m[k], 'is a setting LiteLLM keeps in metadata itself (an enterprise or per-model field this library does not model)');
    }
  }
  let text: string;
  try {
    text = JSON.stringify(m);
  } catch {
    throw new LiteLLMConfigError(prop, '(not serializable)', 'must be plain JSON: strings, numbers, booleans, null, arrays and objects');
  }
  // Round-trip: what the reconciler compares is exactly what JSON carries (no undefined, functions, NaN).
  const back = JSON.parse(text);
  if (JSON.stringify(back) !== text || /\bNaN\b|Infinity/.test(text) || hasUndefined(m)) {
    throw new LiteLLMConfigError(prop, m, 'must be plain JSON: strings, numbers, booleans, null, arrays and objects');
  }
  return back;
}

function hasUndefined(v: unknown): boolean {
  if (v === undefined || typeof v === 'function' || (typeof v === 'number' && !Number.isFinite(v))) return true;
  if (Array.isArray(v)) return v.some(hasUndefined);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasUndefined);
  return false;
}

function priority(prop: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return nonEmptyString(prop, value);
}

function text(prop: string, value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  const s = nonEmptyString(prop, value);
  if (looksLikeSecret(s)) throw new LiteLLMConfigError(prop, hidden('a value that looks like a credential'), `${what} must not hold a credential`);
  return s;
}

/** A validated team: its request fields and what the cross-checks need. */
export interface CheckedTeam {
  readonly prop: string;
  readonly id: string;
  readonly alias: string;
  readonly models?: string[];
  readonly limits: RenderedLimits;
  readonly blocked: boolean;
  readonly priority?: string;
  readonly metadata: { [key: string]: any };
}

export function checkTeam(prop: string, t: TeamDeclaration): CheckedTeam {
  plainObject(prop, t);
  known(prop, t, ['id', 'alias', 'models', 'maxBudget', 'budgetDuration', 'rpmLimit', 'tpmLimit', 'blocked', 'priority', 'metadata']);
  const id = teamId(`${prop}.id`, t.id);
  return {
    prop, id,
    alias: text(`${prop}.alias`, t.alias, 'an alias') ?? id,
    models: names(`${prop}.models`, t.models),
    limits: limits(prop, t),
    blocked: t.blocked === undefined ? false : boolean(`${prop}.blocked`, t.blocked),
    priority: priority(`${prop}.priority`, t.priority),
    metadata: metadata(`${prop}.metadata`, t.metadata),
  };
}

export interface CheckedUser {
  readonly prop: string;
  readonly id: string;
  readonly email?: string;
  readonly alias?: string;
  readonly role: UserRole;
  readonly teams: string[];
  readonly models?: string[];
  readonly limits: RenderedLimits;
  readonly maxParallelRequests: number | null;
  readonly metadata: { [key: string]: any };
}

export function checkUser(prop: string, u: UserDeclaration): CheckedUser {
  plainObject(prop, u);
  known(prop, u, ['id', 'email', 'alias', 'role', 'teams', 'models', 'maxBudget', 'budgetDuration', 'rpmLimit', 'tpmLimit', 'maxParallelRequests', 'metadata']);
  let email: string | undefined;
  if (u.email !== undefined) {
    if (typeof u.email !== 'string' || !EMAIL.test(u.email)) throw new LiteLLMConfigError(`${prop}.email`, u.email, 'must be an e-mail address such as "alice@example.com"');
    email = u.email;
  }
  const teams = names(`${prop}.teams`, u.teams) ?? [];
  teams.forEach((t, i) => teamId(`${prop}.teams[${i}]`, t));
  return {
    prop,
    id: userId(`${prop}.id`, u.id),
    email,
    alias: text(`${prop}.alias`, u.alias, 'an alias'),
    role: enumValue(`${prop}.role`, u.role ?? UserRole.INTERNAL_USER, UserRole, 'UserRole'),
    teams,
    models: names(`${prop}.models`, u.models),
    limits: limits(prop, u),
    maxParallelRequests: u.maxParallelRequests === undefined ? null : integer(`${prop}.maxParallelRequests`, u.maxParallelRequests, 1),
    metadata: metadata(`${prop}.metadata`, u.metadata),
  };
}

export interface CheckedKey {
  readonly prop: string;
  readonly alias: string;
  readonly value: SecretKeyRef;
  readonly team?: string;
  readonly user?: string;
  readonly budget?: string;
  readonly models?: string[];
  readonly limits: Partial<RenderedLimits>;
  readonly maxParallelRequests?: number;
  readonly duration?: string;
  readonly blocked: boolean;
  readonly priority?: string;
  readonly metadata: { [key: string]: any };
}

export function checkKey(prop: string, k: KeyDeclaration): CheckedKey {
  plainObject(prop, k);
  known(prop, k, ['alias', 'value', 'team', 'user', 'budget', 'models', 'maxBudget', 'budgetDuration', 'rpmLimit', 'tpmLimit',
    'maxParallelRequests', 'duration', 'blocked', 'priority', 'metadata']);
  const l = limits(prop, k);
  // Unset limits stay unset here: the proxy's key defaults fill them (see the desired state).
  const given: Partial<RenderedLimits> = {};
  if (k.maxBudget !== undefined) given.max_budget = l.max_budget;
  if (k.budgetDuration !== undefined) given.budget_duration = l.budget_duration;
  if (k.rpmLimit !== undefined) given.rpm_limit = l.rpm_limit;
  if (k.tpmLimit !== undefined) given.tpm_limit = l.tpm_limit;
  return {
    prop,
    alias: keyAlias(`${prop}.alias`, k.alias),
    value: secretKeyRef(`${prop}.value`, k.value),
    team: k.team === undefined ? undefined : teamId(`${prop}.team`, k.team),
    user: k.user === undefined ? undefined : userId(`${prop}.user`, k.user),
    budget: k.budget === undefined ? undefined : budgetId(`${prop}.budget`, k.budget),
    models: names(`${prop}.models`, k.models),
    limits: given,
    maxParallelRequests: k.maxParallelRequests === undefined ? undefined : integer(`${prop}.maxParallelRequests`, k.maxParallelRequests, 1),
    duration: k.duration === undefined ? undefined : checkDuration(`${prop}.duration`, k.duration),
    blocked: k.blocked === undefined ? false : boolean(`${prop}.blocked`, k.blocked),
    priority: priority(`${prop}.priority`, k.priority),
    metadata: metadata(`${prop}.metadata`, k.metadata),
  };
}

export interface CheckedBudget {
  readonly prop: string;
  readonly id: string;
  readonly limits: RenderedLimits;
  readonly softBudget: number | null;
  readonly maxParallelRequests: number | null;
}

export function checkBudget(prop: string, b: BudgetDeclaration): CheckedBudget {
  plainObject(prop, b);
  known(prop, b, ['id', 'maxBudget', 'softBudget', 'budgetDuration', 'rpmLimit', 'tpmLimit', 'maxParallelRequests']);
  const l = limits(prop, b);
  const soft = b.softBudget === undefined ? null : nonNegativeNumber(`${prop}.softBudget`, b.softBudget);
  if (soft !== null && l.max_budget !== null && soft > l.max_budget) {
    throw new LiteLLMConfigError(`${prop}.softBudget`, soft, `must not exceed maxBudget (${l.max_budget})`);
  }
  const maxParallel = b.maxParallelRequests === undefined ? null : integer(`${prop}.maxParallelRequests`, b.maxParallelRequests, 1);
  if (Object.values(l).every(v => v === null) && soft === null && maxParallel === null) {
    throw new LiteLLMConfigError(prop, b, 'a budget tier needs at least one limit (maxBudget, softBudget, rpmLimit, tpmLimit or maxParallelRequests)');
  }
  return { prop, id: budgetId(`${prop}.id`, b.id), limits: l, softBudget: soft, maxParallelRequests: maxParallel };
}
