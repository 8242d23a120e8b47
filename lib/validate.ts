import { LiteLLMConfigError } from './errors';

/**
 * Shared input checks. Each throws {@link LiteLLMConfigError} naming the prop,
 * the value and what is allowed; callers pass the prop path they validate.
 */

// RFC 1123 label, as Kubernetes checks names of Services, namespaces, ports' owners.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// RFC 1123 subdomain: Secret, ConfigMap and most object names.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Secret data keys: k8s.io/apimachinery IsConfigMapKey.
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
// C identifier, as POSIX shells and LiteLLM's os.environ/ lookups expect.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function dns1123Label(prop: string, value: unknown, maxLength = 63): string {
  if (typeof value !== 'string' || value.length > maxLength || !DNS1123_LABEL.test(value)) {
    throw new LiteLLMConfigError(prop, value,
      `must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`);
  }
  return value;
}

export function dns1123Subdomain(prop: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new LiteLLMConfigError(prop, value,
      'must be a DNS-1123 subdomain: lower-case letters, digits, \'-\' and \'.\', at most 253 characters');
  }
  return value;
}

export function configKey(prop: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 253 || !CONFIG_KEY.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a Secret key: letters, digits, \'-\', \'_\' and \'.\'');
  }
  return value;
}

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
    throw new LiteLLMConfigError(prop, value, `must be one of ${allowed.map(a => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
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
