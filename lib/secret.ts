import { LiteLLMConfigError, describe } from './errors';
import { configKey, dns1123Subdomain } from './validate';

/**
 * A reference to one key of an existing Kubernetes Secret. The library never
 * takes secret values: they stay in the cluster (External Secrets, Sealed
 * Secrets, ...) and reach the pods as `secretKeyRef`s, so nothing secret is
 * written into `dist/`.
 */
export interface SecretKeyRef {
  /** Name of the Secret, in the chart's namespace. */
  readonly name: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/**
 * Validates a secret reference. A plain string is the commonest mistake (a
 * literal key pasted into the props), so it gets its own message.
 */
export function secretKeyRef(prop: string, value: unknown): SecretKeyRef {
  if (typeof value === 'string') {
    throw new LiteLLMConfigError(prop, value.length > 6 ? `${value.slice(0, 3)}… (a literal string)` : '(a literal string)',
      'must be a Secret reference { name, key }: secret values are never written into manifests');
  }
  if (typeof value !== 'object' || value === null) {
    throw new LiteLLMConfigError(prop, value, 'must be a Secret reference { name, key }');
  }
  const ref = value as Record<string, unknown>;
  const extra = Object.keys(ref).filter(k => k !== 'name' && k !== 'key');
  if (extra.length > 0) {
    throw new LiteLLMConfigError(prop, describe(extra), 'a Secret reference has only "name" and "key"');
  }
  return { name: dns1123Subdomain(`${prop}.name`, ref.name), key: configKey(`${prop}.key`, ref.key) };
}

// Strings that look like credentials: OpenAI/LiteLLM keys, AWS key ids, PEM blocks, bearer tokens.
const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  /\bBearer\s+[A-Za-z0-9._-]{12,}/,
];
// Config keys whose values are credentials wherever they appear in config.yaml.
const SECRET_KEY_NAMES = /(^|_)(api_key|apikey|password|passwd|secret|token|master_key|salt_key|private_key|access_key|secret_key|credentials?)$/i;

/** Environment variable names that carry credentials: such a variable must come from a Secret. */
export const SECRET_ENV_NAME = /(^|_)(KEY|APIKEY|PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIALS?)(_|$)/;

/** True when a string looks like a credential (used by the config guard and the policy tests). */
export function looksLikeSecret(text: string): boolean {
  return SECRET_PATTERNS.some(p => p.test(text));
}

/**
 * Walks an escape-hatch object destined for config.yaml and rejects literal
 * credentials: a secret-named key must hold an `os.environ/NAME` reference, and
 * no string anywhere may look like a key.
 */
export function assertNoLiteralSecrets(prop: string, value: unknown): void {
  const walk = (path: string, v: unknown, keyName?: string): void => {
    if (typeof v === 'string') {
      if (looksLikeSecret(v) || (keyName !== undefined && SECRET_KEY_NAMES.test(keyName) && !v.startsWith('os.environ/') && v !== '')) {
        throw new LiteLLMConfigError(path, '(a literal value, hidden)',
          'credentials must be `os.environ/NAME` references whose variable comes from a Secret (add it with env from a secretKeyRef)');
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(`${path}[${i}]`, item, keyName));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) walk(`${path}.${k}`, child, k);
    }
  };
  walk(prop, value);
}
