import type { ResolvedCache } from './cache';
import type { LiteLLMProxy } from './litellm-proxy';

/**
 * The bind() contract between the proxy and what plugs into it. A Redis or a
 * database passed to {@link LiteLLMProxy} wires itself in (config.yaml keys,
 * environment from Secrets, NetworkPolicy egress, admitting the proxy on its
 * own side), so the proxy never imports their wiring.
 */

/** What the proxy hands a Redis when it binds. */
export interface RedisBindOptions {
  /** Response caching, when the proxy's `cache` prop asks for it. @default no response caching */
  readonly cache?: ResolvedCache;
  /** Prefix of every key the proxy writes into this Redis (validated). */
  readonly namespace: string;
}

/** A Redis the proxy shares limits, cooldowns and its cache through. */
export interface IProxyRedis {
  /** Wires this Redis into `proxy`; called once, by the proxy's constructor. */
  bind(proxy: LiteLLMProxy, options: RedisBindOptions): void;
}

/** A database for virtual keys, teams, budgets and spend. */
export interface IProxyDatabase {
  /** The most connections the database accepts from this proxy (its share of the server), for the pool size. */
  readonly maxConnections: number;
  /** Wires this database into `proxy`; called once, by the proxy's constructor. */
  bind(proxy: LiteLLMProxy): void;
}

/** True when `value` can bind itself (plain-JavaScript callers may pass anything). */
export function canBind(value: unknown): value is { bind: (...args: never[]) => void } {
  return typeof value === 'object' && value !== null && typeof (value as { bind?: unknown }).bind === 'function';
}
