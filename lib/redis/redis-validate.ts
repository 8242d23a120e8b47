import { credentialKind } from '../credentials';
import { LiteLLMConfigError, hidden } from '../errors';
import { isDnsName, isIPAddress } from '../k8s-names';
import { nonEmptyString, port as checkPort } from '../validate';
import { RedisNode } from './redis-endpoint';

/**
 * A Redis host as redis-py takes it: a name or an address, never a URL
 * (`redis://…` would be looked up as a host name and fail at run time).
 */
export function redisHost(prop: string, value: unknown): string {
  const host = nonEmptyString(prop, value);
  // A DNS name (upper case tolerated: DNS is case-insensitive), an IPv4 or a bare IPv6 address.
  if (!isDnsName(host) && !isIPAddress(host)) {
    throw new LiteLLMConfigError(prop, value,
      'must be a host name or IP address such as "redis.example.com" or "10.0.0.5" (no scheme, port or path: give the port separately)');
  }
  // An AWS key id or an `sk-…` key is also a valid DNS label: a pasted credential must not pass as a host.
  const kind = credentialKind(host);
  if (kind !== undefined) {
    throw new LiteLLMConfigError(prop, hidden('a value that looks like a credential'),
      `must be a host name or IP address, and this value looks like ${kind}: give the password as a Secret reference (password) and only the host here`);
  }
  return host;
}

/** Validates a list of nodes: at least one, each a host and port, no repeats. */
export function redisNodes(prop: string, value: unknown, defaultPort: number): RedisNode[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new LiteLLMConfigError(prop, value, 'must list at least one node { host, port }');
  }
  const seen = new Set<string>();
  return value.map((n: unknown, i: number) => {
    if (typeof n !== 'object' || n === null) {
      throw new LiteLLMConfigError(`${prop}[${i}]`, n, 'must be a node { host, port }');
    }
    const node = n as { host?: unknown; port?: unknown };
    const host = redisHost(`${prop}[${i}].host`, node.host);
    const port = checkPort(`${prop}[${i}].port`, node.port ?? defaultPort);
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) throw new LiteLLMConfigError(`${prop}[${i}]`, key, 'nodes must be unique; this one appears more than once');
    seen.add(key);
    return { host, port };
  });
}

/** How long one Redis call may block a request: seconds, from 0.05 to 10. */
export function clientTimeoutSeconds(prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.05 || value > 10) {
    throw new LiteLLMConfigError(prop, value, 'must be a number of seconds from 0.05 to 10 (how long one Redis call may block a request)');
  }
  return value;
}
