import { credentialKind, isSecretKeyName } from './credentials';
import { LiteLLMConfigError, describe, hidden } from './errors';
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
    throw new LiteLLMConfigError(prop, hidden('a literal string'),
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

const USE_A_SECRET = 'credentials must be `os.environ/NAME` references whose variable comes from a Secret '
  + '(add the variable with secretEnv: { NAME: { name, key } })';

/**
 * Walks an escape-hatch object destined for config.yaml and rejects literal
 * credentials: under a secret-named key every value must be an
 * `os.environ/NAME` reference, and no string anywhere may look like a
 * credential. The message never repeats the value.
 */
export function assertNoLiteralSecrets(prop: string, value: unknown): void {
  const walk = (path: string, v: unknown, secretKey?: string): void => {
    if (typeof v === 'string' || typeof v === 'number') {
      const kind = typeof v === 'string' ? credentialKind(v) : undefined;
      const literal = secretKey !== undefined && v !== '' && !(typeof v === 'string' && v.startsWith('os.environ/'));
      if (kind !== undefined || literal) {
        throw new LiteLLMConfigError(path, hidden('a literal value'),
          `${USE_A_SECRET}; ${kind !== undefined ? `this value looks like ${kind}` : `"${secretKey}" holds a credential`}`);
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(`${path}[${i}]`, item, secretKey));
    } else if (typeof v === 'object' && v !== null) {
      // Below a secret-named key (e.g. a map of webhook URLs) every value is a credential.
      for (const [k, child] of Object.entries(v)) walk(`${path}.${k}`, child, secretKey ?? (isSecretKeyName(k) ? k : undefined));
    }
  };
  walk(prop, value);
}
