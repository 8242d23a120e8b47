import { LiteLLMConfigError } from './errors';

// The API server's naming rules live in k8s-names.ts; re-exported so every check is imported from one module.
export { configKey, dns1035Label, dns1123Label, dns1123Subdomain, labelMap, routeHost } from './k8s-names';

/**
 * Shared input checks. Each throws {@link LiteLLMConfigError} naming the prop,
 * the value and what is allowed; callers pass the prop path they validate.
 */

// C identifier, as POSIX shells and LiteLLM's os.environ/ lookups expect.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function envName(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !ENV_NAME.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be an environment variable name matching [A-Za-z_][A-Za-z0-9_]*');
  }
  return value;
}

export function integer(prop: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new LiteLLMConfigError(prop, value, `must be ${range}`);
  }
  return value;
}

export function positiveNumber(prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LiteLLMConfigError(prop, value, 'must be a finite number greater than 0');
  }
  return value;
}

export function nonNegativeNumber(prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LiteLLMConfigError(prop, value, 'must be a finite number >= 0');
  }
  return value;
}

export function port(prop: string, value: unknown): number {
  return integer(prop, value, 1, 65535);
}

export function nonEmptyString(prop: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new LiteLLMConfigError(prop, value, 'must be a non-empty string');
  }
  return value;
}

export function oneOf<T extends string>(prop: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new LiteLLMConfigError(prop, value, `must be one of ${allowed.map(a => JSON.stringify(a)).join(', ')}${didYouMean(value, allowed)}`);
  }
  return value as T;
}

/**
 * A member of a string enum (the value crossing from any jsii language is the
 * member's string). The message names the members as a user writes them.
 */
export function enumValue<T extends string>(prop: string, value: unknown, members: Record<string, T>, enumName: string, allowed?: readonly T[]): T {
  const valid = allowed ?? Object.values(members);
  if (typeof value !== 'string' || !(valid as readonly string[]).includes(value)) {
    const names = Object.entries(members).filter(([, v]) => valid.includes(v));
    throw new LiteLLMConfigError(prop, value, `must be one of ${names.map(([k, v]) => `${enumName}.${k} (${JSON.stringify(v)})`).join(', ')}`
      + didYouMean(value, valid));
  }
  return value as T;
}

/**
 * The candidate closest to `value`: the same ignoring case, else the one
 * fewest edits away (at most a third of its length, and at most 3), for a
 * "did you mean" in a message. Undefined when nothing is close.
 */
export function nearest(value: unknown, candidates: readonly string[]): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const folded = candidates.find(c => c.toLowerCase() === value.toLowerCase() && c !== value);
  if (folded !== undefined) return folded;
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(value.length / 3)) + 1;
  for (const c of candidates) {
    if (c === value) continue;
    const d = editDistance(value.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or nothing when no candidate is close. */
export function didYouMean(value: unknown, candidates: readonly string[]): string {
  const n = nearest(value, candidates);
  return n === undefined ? '' : ` (did you mean ${JSON.stringify(n)}?)`;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

export function boolean(prop: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new LiteLLMConfigError(prop, value, 'must be true or false');
  }
  return value;
}

/** Rejects repeated values, e.g. env names or model ids. */
export function unique(prop: string, values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) {
      throw new LiteLLMConfigError(prop, v, `${what} must be unique; this one appears more than once`);
    }
    seen.add(v);
  }
}

/** A plain JSON-like object (the escape hatches take these). */
export function plainObject(prop: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a plain object');
  }
  return value as Record<string, unknown>;
}

/** An optional plain object: undefined passes, anything but a plain object is refused. */
export function optionalObject<T>(prop: string, value: T | undefined): T | undefined {
  if (value === undefined) return undefined;
  plainObject(prop, value);
  return value;
}

/** An optional array: undefined gives an empty list; entries must be plain objects when `objects` is set. */
export function list<T>(prop: string, value: readonly T[] | undefined, objects = false): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be an array');
  }
  if (objects) value.forEach((v, i) => plainObject(`${prop}[${i}]`, v));
  return value;
}

// A Redis key prefix: printable, no spaces (LiteLLM joins it to every key as `<prefix>:<key>`).
const REDIS_NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,126}[A-Za-z0-9]$/;

/** A Redis key namespace. */
export function redisNamespace(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !REDIS_NAMESPACE.test(value)) {
    throw new LiteLLMConfigError(prop, value,
      'must be 2 to 128 characters of letters, digits and . _ : / -, starting and ending with a letter or digit (it prefixes every Redis key)');
  }
  return value;
}
