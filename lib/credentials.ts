/**
 * What makes a string a credential, and how to print one without it. Pure
 * functions with no imports: the error type masks every message with
 * {@link maskCredentials}, and the config guards refuse literal credentials
 * with {@link credentialKind}.
 */

// Strings that look like credentials: OpenAI/LiteLLM/Anthropic keys, AWS key ids, PEM blocks, GitHub and Slack
// tokens, bearer tokens, Google API keys, JWTs. The capture is what may be shown (a prefix naming the kind).
const TOKEN_PATTERNS: RegExp[] = [
  /\b(sk-)[A-Za-z0-9_-]{8,}/,
  /\b(AKIA)[0-9A-Z]{16}\b/,
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)/,
  /\b(gh[pousr]_)[A-Za-z0-9]{20,}/,
  /\b(xox[abpr]-)[A-Za-z0-9-]{10,}/,
  /\b(Bearer\s+)[A-Za-z0-9._~+/-]{12,}=*/,
  /\b(AIza)[0-9A-Za-z_-]{35}\b/,
  /\b(eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/,
];

// Webhook URLs whose path (or signature) is the credential: whoever has the URL can post.
// Matched with or without a scheme, so `hooks.slack.com/services/...` pasted bare is caught too.
// The capture is the part that may be shown (the host and the fixed start of the path).
const WEBHOOK_PATTERNS: [RegExp, string][] = [
  [/\b(hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[^\s"']+/i, 'a Slack webhook URL, whose path is the credential'],
  [/\b([a-z0-9-]+\.webhook\.office\.com\/)[^\s"']+/i, 'a Microsoft Teams webhook URL, whose path is the credential'],
  [/\b(outlook\.office(?:365)?\.com\/webhook[a-z0-9]*\/)[^\s"']+/i, 'a Microsoft Teams webhook URL, whose path is the credential'],
  [/\b([a-z0-9.-]+\.(?:logic\.azure\.com|powerplatform\.com)(?::\d+)?\/)[^\s"']*[?&]sig=[^&\s"']+/i,
    'a Power Automate / Logic Apps URL, whose sig= parameter is the credential'],
  [/\b((?:[a-z]+\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/)\d+\/[A-Za-z0-9_-]+/i, 'a Discord webhook URL, whose path is the credential'],
  [/\b(events\.(?:eu\.)?pagerduty\.com\/(?:integration|x-ere)\/)[A-Za-z0-9]+/i, 'a PagerDuty integration URL, whose path holds the integration key'],
];

// Query parameters that carry credentials (`?token=`, `&sig=`, `X-Amz-Signature=`); `api-version` and the like are not.
const CREDENTIAL_PARAM = new RegExp('^(?:.*[-_.])?(?:token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|private[-_]?token|'
  + 'api[-_]?key|apikey|key|access[-_]?key|secret|client[-_]?secret|sig|signature|password|passwd|pwd|pass|auth|authorization|code|'
  + 'credentials?|session|session[-_]?id|routing[-_]?key|integration[-_]?key)$', 'i');
// A kubelet `$(VAR)` reference: the value comes from another variable at run time, not from the manifest.
const ENV_REFERENCE = /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/;
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
// `user:password@host` without a scheme (a Redis or database address pasted into a host field).
const BARE_USERINFO = /(^|[\s"'(=,])([^\s/:@"'(=,]+):([^\s/@"']+)@(?=[A-Za-z0-9[])/g;
// Long opaque strings of letters and digits (provider keys without a known prefix, e.g. Azure's 32 hex
// digits): never worth repeating in a message. A digest after `sha256:` is an identity, not a secret.
const OPAQUE = /(?<![A-Za-z0-9+/_=:-])(?<!sha256:)[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_=-])/g;

/** Config keys whose values are credentials wherever they appear in config.yaml (and everything under them). */
const SECRET_KEY_NAMES = new RegExp('(^|_)(api_key|apikey|password|passwd|secret|token|master_key|salt_key|private_key|access_key|secret_key|'
  + 'credentials?|routing_key|integration_key|webhook|webhook_url|webhook_urls)$', 'i');
/** Pricing keys that merely end in "token" (`input_cost_per_token`, `output_cost_per_token`: model_prices_and_context_window.json). */
const PRICE_KEY_NAMES = /_per_token$/i;

/** True when a config.yaml key holds a credential (`api_key`, `password`, `webhook_url`, ...). */
export function isSecretKeyName(k: string): boolean {
  return SECRET_KEY_NAMES.test(k) && !PRICE_KEY_NAMES.test(k);
}

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
    const kind = urlCredential(trimUrl(match[0]));
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** True when a string looks like a credential (used by the config guard and the policy tests). */
export function looksLikeSecret(text: string): boolean {
  return credentialKind(text) !== undefined;
}

/**
 * `text` with every credential in it replaced by `***`: tokens keep the prefix
 * that names their kind (`sk-***`), URLs keep scheme, user, host and path
 * (`rediss://default:***@cache:6380`), credential query parameters keep their
 * name (`?api_key=***`), webhook URLs their host. Applied to every error
 * message this library raises, whichever check raises it.
 */
export function maskCredentials(text: string): string {
  let out = text;
  for (const p of TOKEN_PATTERNS) out = out.replace(new RegExp(p.source, 'g'), (_m, keep: string) => `${keep}***`);
  // PEM: everything after the header up to the footer (or the end).
  out = out.replace(/(-----BEGIN [A-Z ]*PRIVATE KEY-----)\*\*\*[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '$1***');
  for (const [p] of WEBHOOK_PATTERNS) out = out.replace(new RegExp(p.source, 'gi'), (_m, keep: string) => `${keep}***`);
  out = out.replace(URL_IN_TEXT, url => {
    const core = trimUrl(url);
    return maskUrl(core) + url.slice(core.length);
  });
  out = out.replace(BARE_USERINFO, (_m, lead: string, user: string) => `${lead}${user}:***@`);
  out = out.replace(OPAQUE, m => (/\d/.test(m) && /[A-Za-z]/.test(m) && !m.includes('***') ? '***' : m));
  return out;
}

/** A URL as it ends in running text: without trailing punctuation. */
function trimUrl(url: string): string {
  return url.replace(/[),.;:!?\]}]+$/, '');
}

function maskUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*)@/i, (m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      const password = safeDecode(userinfo.slice(colon + 1));
      return password === '' || ENV_REFERENCE.test(password) ? m : `${scheme}${userinfo.slice(0, colon)}:***@`;
    }
    return isOpaqueToken(safeDecode(userinfo), 20) ? `${scheme}***@` : m;
  });
  out = out.replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, name: string, value: string) =>
    (value !== '' && !ENV_REFERENCE.test(safeDecode(value)) && CREDENTIAL_PARAM.test(safeDecode(name)) ? `${sep}${name}=***` : m));
  // /webhook(s)/<token>... and hooks.* hosts: the path is the credential.
  out = out.replace(/(\/webhooks?\/)([^?#\s]+)/i, (m, head: string, rest: string) =>
    (rest.split('/').some(s => isOpaqueToken(safeDecode(s), 8)) ? `${head}***` : m));
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/(?:[^\s/?#@]*@)?hooks\.[^\s/?#]+\/)([^?#\s]+)/i, (m, head: string, rest: string) =>
    (rest.split('/').some(s => /\d/.test(s) || s.length >= 16) ? `${head}***` : m));
  return out;
}

function urlCredential(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparseable, yet `scheme://user:secret@` is still a password in a URL.
    return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/i.test(text) ? 'a URL with a password in its user part' : undefined;
  }
  const password = safeDecode(url.password);
  if (password !== '' && !ENV_REFERENCE.test(password)) return 'a URL with a password in its user part';
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
