import { LiteLLMConfigError } from '../errors';
import { integer, oneOf, unique } from '../validate';

/** Call types LiteLLM can cache (litellm/types/caching.py, `CachingSupportedCallTypes`). */
export const CACHEABLE_CALL_TYPES = [
  'completion', 'acompletion', 'embedding', 'aembedding', 'atranscription', 'transcription',
  'atext_completion', 'text_completion', 'arerank', 'rerank', 'responses', 'aresponses',
] as const;
export type CacheableCallType = typeof CACHEABLE_CALL_TYPES[number];

/** Response caching through the shared Redis (`litellm_settings.cache_params`). */
export interface ProxyCache {
  /** Seconds a cached response lives (`cache_params.ttl`). @default 600 */
  readonly ttlSeconds?: number;
  /**
   * Call types that are cached (`cache_params.supported_call_types`).
   * @default ['acompletion', 'aembedding'] (async chat completions and embeddings: what the proxy serves)
   */
  readonly callTypes?: readonly CacheableCallType[];
}

/** Response caching, validated and with defaults applied. */
export interface ResolvedCache {
  readonly ttlSeconds: number;
  readonly callTypes: readonly CacheableCallType[];
}

/** Validates the `cache` prop. */
export function resolveCache(prop: string, cache: ProxyCache): ResolvedCache {
  if (typeof cache !== 'object' || cache === null) {
    throw new LiteLLMConfigError(prop, cache, 'must be an object { ttlSeconds?, callTypes? }');
  }
  const ttlSeconds = integer(`${prop}.ttlSeconds`, cache.ttlSeconds ?? 600, 1, 30 * 86400);
  const callTypes = [...(cache.callTypes ?? ['acompletion', 'aembedding'] as const)];
  if (callTypes.length === 0) {
    throw new LiteLLMConfigError(`${prop}.callTypes`, callTypes, 'must name at least one call type, e.g. "acompletion" (omit `cache` to turn response caching off)');
  }
  callTypes.forEach((t, i) => oneOf(`${prop}.callTypes[${i}]`, t, CACHEABLE_CALL_TYPES));
  unique(`${prop}.callTypes`, callTypes, 'call types');
  return { ttlSeconds, callTypes };
}
