import { isIPv6 } from 'net';
import { LiteLLMConfigError } from './errors';

/**
 * The API server's naming rules, in one place (k8s.io/apimachinery
 * pkg/util/validation/validation.go, and apimachinery's ValidateLabels /
 * ValidateAnnotations). Every name, label, annotation key and host the
 * library writes is checked against these, so a manifest in `dist/` is never
 * one the API server rejects on apply. The predicates (`is*`) are for the
 * tests that walk emitted objects; the validators throw LiteLLMConfigError.
 */

/** IsDNS1123Label: Namespaces, container, port-owner and volume names; Job names (they become a pod label). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** IsDNS1035Label: Service names (ValidateServiceName), and CloudNativePG Cluster names, which become Service names. */
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** IsDNS1123Subdomain: most object names (Deployment, ConfigMap, Secret, Ingress, ...) and Ingress hosts. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The name part of a qualified name (label and annotation keys). */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** IsValidLabelValue: the same characters as a qualified name, and empty is allowed. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** IsValidPortName (IANA_SVC_NAME): container and Service port names. */
const IANA_SVC_NAME = /^[-a-z0-9]+$/;
/** IsConfigMapKey: Secret and ConfigMap data keys. */
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** A host name as resolvers take it: RFC 1123 labels, any case, an optional root dot. */
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
export const LABEL_VALUE_MAX = 63;
export const QUALIFIED_NAME_MAX = 63;

export function isDns1123Label(value: unknown, maxLength = DNS1123_LABEL_MAX): value is string {
  return typeof value === 'string' && value.length <= Math.min(maxLength, DNS1123_LABEL_MAX) && DNS1123_LABEL.test(value);
}

export function isDns1035Label(value: unknown, maxLength = DNS1123_LABEL_MAX): value is string {
  return typeof value === 'string' && value.length <= Math.min(maxLength, DNS1123_LABEL_MAX) && DNS1035_LABEL.test(value);
}

export function isDns1123Subdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(value);
}

/** IsQualifiedName: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63 characters. Label keys. */
export function isQualifiedName(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = value.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && !isDns1123Subdomain(parts[0])) return false;
  return name.length <= QUALIFIED_NAME_MAX && QUALIFIED_NAME.test(name);
}

/** Label keys are qualified names. */
export const isLabelKey = isQualifiedName;

/** Annotation keys are qualified names once lower-cased (ValidateAnnotations lower-cases before checking). */
export function isAnnotationKey(value: unknown): value is string {
  return typeof value === 'string' && isQualifiedName(value.toLowerCase());
}

export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(value);
}

/** IsConfigMapKey: at most 253 letters, digits, '-', '_' and '.', and not "." or ".." (they name directories in a volume). */
export function isConfigKey(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DNS1123_SUBDOMAIN_MAX && CONFIG_KEY.test(value) && value !== '.' && value !== '..' && !value.startsWith('..');
}

/** IsValidPortName: at most 15 characters, lower-case letters, digits and '-', at least one letter, no '--', no '-' at either end. */
export function isPortName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 15 && IANA_SVC_NAME.test(value)
    && /[a-z]/.test(value) && !value.includes('--') && !value.startsWith('-') && !value.endsWith('-');
}

/** A dotted-quad IPv4 address in canonical form (no leading zeros, which some parsers read as octal). */
export function isIPv4Address(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const octets = value.split('.');
  return octets.length === 4 && octets.every(o => IPV4_OCTET.test(o) && Number(o) <= 255);
}

export function isIPAddress(value: unknown): value is string {
  return isIPv4Address(value) || (typeof value === 'string' && isIPv6(value));
}

/** An IPv4 or IPv6 CIDR (`10.0.0.0/16`, `2001:db8::/32`), prefix length in range and without leading zeros. */
export function isCidr(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  if (isIPv4Address(address)) return Number(bits) <= 32;
  return isIPv6(address) && Number(bits) <= 128;
}

/** A last label of digits only: no top-level domain is numeric (RFC 3696 §2), so such a "name" is an address. */
const NUMERIC_TLD = /(^|\.)\d+\.?$/;

/**
 * Looks like an address rather than a name: an IPv4 or IPv6 address
 * (bracketed or not), or dots and digits ending in a digit, which the API
 * server's lenient IP parser reads as an address too (`010.0.0.1`).
 */
export function looksLikeIPAddress(value: string): boolean {
  return isIPAddress(value.replace(/^\[(.*)\]$/, '$1')) || (/^[\d.]+$/.test(value) && /\d$/.test(value));
}

/** A DNS host name a resolver accepts (any case, optional root dot), not an IP address. */
export function isDnsName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DNS1123_SUBDOMAIN_MAX && DNS_NAME.test(value) && !NUMERIC_TLD.test(value);
}

/**
 * A host for Ingress `rules[].host`, HTTPRoute `hostnames` and Traefik
 * `Host()`: a lower-case DNS-1123 subdomain and never an IP address (the
 * Ingress validation rejects IPs; Gateway API's Hostname excludes them).
 */
export function isRouteHost(value: unknown): value is string {
  return isDns1123Subdomain(value) && !NUMERIC_TLD.test(value);
}

// ---------------------------------------------------------------------------------------------
// Validators: each throws LiteLLMConfigError naming the prop, the value and the rule.
// ---------------------------------------------------------------------------------------------

/**
 * What is wrong with a name in words, and the nearest valid name when one is
 * obvious (lower-cased, without a trailing dot, `_` and spaces as `-`).
 */
function nameProblem(value: unknown, valid: (v: string) => boolean, letterFirst = false): string {
  if (typeof value !== 'string') return '';
  const problems: string[] = [];
  if (/\.$/.test(value)) problems.push('it ends with a dot (the fully qualified DNS form, which the API server refuses)');
  if (/[A-Z]/.test(value)) problems.push('it has upper-case letters');
  if (/_/.test(value)) problems.push('it has \'_\'');
  if (/\s/.test(value)) problems.push('it has spaces');
  if (/^[-.]|[-.]$/.test(value.replace(/\.$/, ''))) problems.push('it starts or ends with \'-\' or \'.\'');
  if (letterFirst && /^[0-9]/.test(value)) problems.push('it starts with a digit');
  const fix = value.trim().toLowerCase().replace(/\.+$/, '').replace(/[_\s]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  const hint = problems.length > 0 ? `; ${problems.join(', ')}` : '';
  return fix !== value && valid(fix) ? `${hint}: use "${fix}"` : hint;
}

export function dns1123Label(prop: string, value: unknown, maxLength = DNS1123_LABEL_MAX): string {
  if (!isDns1123Label(value, maxLength)) {
    throw new LiteLLMConfigError(prop, value,
      `must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`
      + nameProblem(value, v => isDns1123Label(v, maxLength)));
  }
  return value;
}

/**
 * A name that becomes a Service name (the proxy's and Redis's Service carry
 * their base name; CloudNativePG names Services after its Cluster): the API
 * server wants those to start with a letter (RFC 1035).
 */
export function dns1035Label(prop: string, value: unknown, maxLength = DNS1123_LABEL_MAX): string {
  if (!isDns1035Label(value, maxLength)) {
    throw new LiteLLMConfigError(prop, value,
      'must be a DNS-1123 label that starts with a letter (RFC 1035, as Service names must): lower-case letters, digits and \'-\', '
      + `starting with a letter and ending with a letter or digit, at most ${maxLength} characters`
      + nameProblem(value, v => isDns1035Label(v, maxLength), true));
  }
  return value;
}

export function dns1123Subdomain(prop: string, value: unknown): string {
  if (!isDns1123Subdomain(value)) {
    throw new LiteLLMConfigError(prop, value,
      'must be a DNS-1123 subdomain: lower-case letters, digits, \'-\' and \'.\', at most 253 characters' + nameProblem(value, isDns1123Subdomain));
  }
  return value;
}

export function configKey(prop: string, value: unknown): string {
  if (!isConfigKey(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a Secret key: letters, digits, \'-\', \'_\' and \'.\'');
  }
  return value;
}

const LABEL_KEY_RULE = 'label keys must be qualified names: an optional DNS-1123 subdomain prefix and \'/\', then a name of at most 63 '
  + 'letters, digits, \'-\', \'_\' or \'.\' that starts and ends with a letter or digit (e.g. "app.kubernetes.io/name")';
const LABEL_VALUE_RULE = 'must be a label value: at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit (or empty)';

/**
 * A label map as a selector or an object carries it (`matchLabels`): keys
 * qualified names, values label values. Returns the map unchanged.
 */
export function labelMap(prop: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LiteLLMConfigError(prop, value, 'must be a map of label keys to label values, e.g. { "app.kubernetes.io/name": "ingress-nginx" }');
  }
  for (const [key, v] of Object.entries(value)) {
    if (!isLabelKey(key)) throw new LiteLLMConfigError(prop, key, LABEL_KEY_RULE);
    if (!isLabelValue(v)) throw new LiteLLMConfigError(`${prop}.${key}`, v, LABEL_VALUE_RULE);
  }
  return value as Record<string, string>;
}

/** A host name that routes reach: a DNS-1123 subdomain, never an IP address. */
export function routeHost(prop: string, value: unknown): string {
  if (typeof value === 'string' && (looksLikeIPAddress(value) || NUMERIC_TLD.test(value))) {
    throw new LiteLLMConfigError(prop, value,
      'must be a DNS host name, not an IP address: Ingress rules, HTTPRoute hostnames and Traefik Host() rules match names only '
      + '(the API server rejects an Ingress host that is an IP, and no top-level domain is all digits); '
      + 'give a name such as "llm.example.com" that resolves to the address');
  }
  return dns1123Subdomain(prop, value);
}
