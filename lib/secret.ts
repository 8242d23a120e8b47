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

// Strings that look like credentials: OpenAI/LiteLLM keys, AWS key ids, PEM blocks, GitHub and Slack tokens, bearer tokens.
const TOKEN_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  /\bBearer\s+[A-Za-z0-9._-]{12,}/,
];

// Webhook URLs whose path (or signature) is the credential: whoever has the URL can post.
// Matched with or without a scheme, so `hooks.slack.com/services/...` pasted bare is caught too.
const WEBHOOK_PATTERNS: [RegExp, string][] = [
  [/\bhooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/[^\s"']+/i, 'a Slack webhook URL, whose path is the credential'],
  [/\b[a-z0-9-]+\.webhook\.office\.com\/[^\s"']+/i, 'a Microsoft Teams webhook URL, whose path is the credential'],
  [/\boutlook\.office(?:365)?\.com\/webhook[a-z0-9]*\/[^\s"']+/i, 'a Microsoft Teams webhook URL, whose path is the credential'],
  [/\b[a-z0-9.-]+\.(?:logic\.azure\.com|powerplatform\.com)(?::\d+)?\/[^\s"']*[?&]sig=[^&\s"']+/i,
    'a Power Automate / Logic Apps URL, whose sig= parameter is the credential'],
  [/\b(?:[a-z]+\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/\d+\/[A-Za-z0-9_-]+/i, 'a Discord webhook URL, whose path is the credential'],
  [/\bevents\.(?:eu\.)?pagerduty\.com\/(?:integration|x-ere)\/[A-Za-z0-9]+/i, 'a PagerDuty integration URL, whose path holds the integration key'],
];

// Query parameters that carry credentials (`?token=`, `&sig=`, `X-Amz-Signature=`); `api-version` and the like are not.
const CREDENTIAL_PARAM = new RegExp('^(?:.*[-_.])?(?:token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|private[-_]?token|'
  + 'api[-_]?key|apikey|key|access[-_]?key|secret|client[-_]?secret|sig|signature|password|passwd|pwd|pass|auth|authorization|code|'
  + 'credentials?|session|session[-_]?id|routing[-_]?key|integration[-_]?key)$', 'i');
// A kubelet `$(VAR)` reference: the value comes from another variable at run time, not from the manifest.
const ENV_REFERENCE = /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/;
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Config keys whose values are credentials wherever they appear in config.yaml (and everything under them). */
const SECRET_KEY_NAMES = new RegExp('(^|_)(api_key|apikey|password|passwd|secret|token|master_key|salt_key|private_key|access_key|secret_key|'
  + 'credentials?|routing_key|integration_key|webhook|webhook_url|webhook_urls)$', 'i');
/** Pricing keys that merely end in "token" (`input_cost_per_token`, `output_cost_per_token`: model_prices_and_context_window.json). */
const PRICE_KEY_NAMES = /_per_token$/i;
const isSecretKeyName = (k: string): boolean => SECRET_KEY_NAMES.test(k) && !PRICE_KEY_NAMES.test(k);

/** Environment variable names that carry credentials: such a variable must come from a Secret. */
export const SECRET_ENV_NAME = /(^|_)(KEY|APIKEY|PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIALS?|WEBHOOK)(_|$)/;

/**
 * What makes a string a credential, in words for an error message (never the
 * value itself), or undefined when nothing does. Covers tokens by their
 * shape, webhook URLs of the common services (the URL is the credential),
 * URLs with a password or a token as user, generic `hooks.` hosts and
 * `/webhook(s)/<token>` paths, and credential-named query parameters.
 */
export function credentialKind(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  if (TOKEN_PATTERNS.some(p => p.test(text))) return 'an API key or token';
  for (const [pattern, kind] of WEBHOOK_PATTERNS) if (pattern.test(text)) return kind;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const kind = urlCredential(match[0].replace(/[),.;:!?]+$/, ''));
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** True when a string looks like a credential (used by the config guard and the policy tests). */
export function looksLikeSecret(text: string): boolean {
  return credentialKind(text) !== undefined;
}

function urlCredential(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparseable, yet `scheme://user:secret@` is still a password in a URL.
    return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/i.test(text) ? 'a URL with a password in it (user:password@host)' : undefined;
  }
  const password = safeDecode(url.password);
  if (password !== '' && !ENV_REFERENCE.test(password)) return 'a URL with a password in it (user:password@host)';
  const user = safeDecode(url.username);
  if (password === '' && isOpaqueToken(user, 20)) return 'a URL whose user part is a token (token@host)';
  const segments = url.pathname.split('/').filter(s => s !== '').map(safeDecode);
  if (url.hostname.toLowerCase().startsWith('hooks.') && segments.some(s => /\d/.test(s) || s.length >= 16)) {
    return 'a webhook URL (a hooks.* host), whose path is the credential';
  }
  const hook = segments.findIndex(s => /^webhooks?$/i.test(s));
  if (hook >= 0 && segments.slice(hook + 1).some(s => isOpaqueToken(s, 8))) return 'a webhook URL with a token in its path';
  for (const [name, value] of url.searchParams) {
    if (value !== '' && !ENV_REFERENCE.test(value) && CREDENTIAL_PARAM.test(name)) return `a URL with a credential in its query ("${name}=")`;
  }
  return undefined;
}

/** Long, and letters mixed with digits: an id or token rather than a word (`git`, `setup`, `incoming`). */
function isOpaqueToken(s: string, minLength: number): boolean {
  return s.length >= minLength && /\d/.test(s) && /[A-Za-z]/.test(s) && /^[A-Za-z0-9._~%+=-]+$/.test(s);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
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
        throw new LiteLLMConfigError(path, '(a literal value, hidden)',
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
