import { LiteLLMConfigError } from '../errors';
import { enumValue, integer, unique } from '../validate';

/** Call types LiteLLM can cache (litellm/types/caching.py, `CachingSupportedCallTypes`). */
export enum CacheCallType {
  COMPLETION = 'completion',
  ACOMPLETION = 'acompletion',
  EMBEDDING = 'embedding',
  AEMBEDDING = 'aembedding',
  ATRANSCRIPTION = 'atranscription',
  TRANSCRIPTION = 'transcription',
  ATEXT_COMPLETION = 'atext_completion',
  TEXT_COMPLETION = 'text_completion',
  ARERANK = 'arerank',
  RERANK = 'rerank',
  RESPONSES = 'responses',
  ARESPONSES = 'aresponses',
}

/** Response caching through the shared Redis (`litellm_settings.cache_params`). */
export interface ProxyCache {
  /** Seconds a cached response lives (`cache_params.ttl`). @default 600 */
  readonly ttlSeconds?: number;
  /**
   * Call types that are cached (`cache_params.supported_call_types`).
   * @default [CacheCallType.ACOMPLETION, CacheCallType.AEMBEDDING] (async chat completions and embeddings: what the proxy serves)
   */
  readonly callTypes?: CacheCallType[];
}

/** Response caching, validated and with defaults applied. */
export interface ResolvedCache {
  /** Seconds a cached response lives. */
  readonly ttlSeconds: number;
  /** Call types that are cached. */
  readonly callTypes: CacheCallType[];
}

/** Validates the `cache` prop. */
export function resolveCache(prop: string, cache: ProxyCache): ResolvedCache {
  if (typeof cache !== 'object' || cache === null) {
    throw new LiteLLMConfigError(prop, cache, 'must be an object { ttlSeconds?, callTypes? }');
  }
  const ttlSeconds = integer(`${prop}.ttlSeconds`, cache.ttlSeconds ?? 600, 1, 30 * 86400);
  const callTypes = [...(cache.callTypes ?? [CacheCallType.ACOMPLETION, CacheCallType.AEMBEDDING])];
  if (callTypes.length === 0) {
    throw new LiteLLMConfigError(`${prop}.callTypes`, callTypes, 'must name at least one call type, e.g. CacheCallType.ACOMPLETION (omit `cache` to turn response caching off)');
  }
  callTypes.forEach((t, i) => enumValue(`${prop}.callTypes[${i}]`, t, CacheCallType, 'CacheCallType'));
  unique(`${prop}.callTypes`, callTypes, 'call types');
  return { ttlSeconds, callTypes };
}
