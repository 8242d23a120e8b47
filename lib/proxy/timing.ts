import { LiteLLMConfigError } from '../errors';

/**
 * The timeout agreement: how long a request can take inside LiteLLM 1.108.14,
 * so that the edge waits at least that long and a terminating pod drains at
 * least that long. Measured on the real release (README "Promises").
 *
 * Non-streaming: the router makes `num_retries + 1` attempts, each bounded by
 * the per-attempt timeout (`litellm_settings.request_timeout`, or a model's
 * `timeout`), and sleeps between them, also once after the last failed one
 * (router.py `async_function_with_retries`, `_time_to_sleep_before_retry`).
 * Nothing reaches the client until the end, so an edge waiting for the
 * response sees silence for the whole time.
 *
 * Streaming: `request_timeout` bounds each read, the gap between two chunks,
 * never the stream (litellm_core_utils/completion_timeout.py). The only bound
 * on a whole stream is LITELLM_MAX_STREAMING_DURATION_SECONDS, checked before
 * each chunk (streaming_handler.py); past it the client gets an SSE error event
 * ("Stream exceeded max streaming duration", code 408) and no `[DONE]`.
 *
 * Fallbacks (fallbacks.ts): once a group's attempts are spent, the router
 * tries the groups it falls back to, each with the same retries and sleeps
 * (router_utils/fallback_event_handlers.py `run_async_fallback` calls
 * `async_function_with_fallbacks` for each target, which runs
 * `async_function_with_retries`), without a sleep between groups. Deployments
 * of one group with several `order` values are tried level by level the same
 * way (router.py, order-based fallbacks). Nothing bounds the whole walk, so the
 * bound is the sum over every group (and level) a request can reach.
 */

/**
 * The longest sleep before retry k (0-based). utils.py calculate_retry_after:
 * an error that carries a Retry-After of at most 60 s (a provider's 429 or
 * 503, LiteLLM's own rpm check) is honoured as is; otherwise
 * min(INITIAL_RETRY_DELAY · 2^k, MAX_RETRY_DELAY) (constants.py: 0.5, 8).
 * Either way plus up to JITTER (0.75). The 60 s cap always dominates the
 * exponential backoff (at most 8 s), so every sleep is bounded alike.
 */
export const RETRY_SLEEP_BOUND_SECONDS = 60 + 0.75;

/** The longest a non-streaming request can take: every attempt times out, plus every sleep. */
export interface NonStreamingBound {
  /** Attempts at providers, over every model group the request can reach. */
  readonly attempts: number;
  /** The longest single attempt. */
  readonly perAttemptSeconds: number;
  /** Every sleep between attempts, added up. */
  readonly backoffSeconds: number;
  /** ceil(every attempt's timeout + backoff). */
  readonly seconds: number;
  /** "3 attempts × 600 s + 182.25 s backoff = 1983 s", for messages and docs. */
  readonly explanation: string;
  /**
   * The model groups this slowest request tries, the one it asked for first,
   * then the groups it falls back to.
   * @default not known (a bound computed without the models)
   */
  readonly modelGroups?: string[];
}

/** How long one model group's attempts can take (internal: the proxy derives it from its models). */
export interface GroupTiming {
  /** The model group (`model_name`). */
  readonly name: string;
  /** The longest attempt at any of its deployments. */
  readonly perAttemptSeconds: number;
  /** Distinct `order` values of its deployments, at least 1: each level is tried with full retries. */
  readonly orderLevels: number;
}

export function nonStreamingBound(perAttemptSeconds: number, numRetries: number): NonStreamingBound {
  const attempts = numRetries + 1;
  // With retries, one sleep after every failed attempt, the last one included (router.py
  // async_function_with_retries sleeps before re-checking); with none, the first failure is raised at once.
  let backoff = 0;
  if (numRetries > 0) for (let k = 0; k < attempts; k++) backoff += RETRY_SLEEP_BOUND_SECONDS;
  const backoffSeconds = Math.round(backoff * 100) / 100;
  const seconds = Math.ceil(attempts * perAttemptSeconds + backoffSeconds);
  return {
    attempts,
    perAttemptSeconds,
    backoffSeconds,
    seconds,
    explanation: `${attempts} attempt(s) × ${Math.round(perAttemptSeconds * 1000) / 1000} s + ${backoffSeconds} s backoff = ${seconds} s`,
  };
}

/**
 * The longest a request can take that tries every group of `walk` (the group
 * asked for first, then its fallbacks) and every order level of each, each
 * with the full retries and sleeps of {@link nonStreamingBound}. One group of
 * one level is exactly nonStreamingBound.
 */
export function walkBound(walk: readonly GroupTiming[], numRetries: number): NonStreamingBound {
  const modelGroups = walk.map(g => g.name);
  if (walk.length === 1 && walk[0].orderLevels === 1) return { ...nonStreamingBound(walk[0].perAttemptSeconds, numRetries), modelGroups };
  const parts = walk.map(g => ({ g, one: nonStreamingBound(g.perAttemptSeconds, numRetries) }));
  let exact = 0;
  for (const { g, one } of parts) exact += g.orderLevels * (one.attempts * g.perAttemptSeconds + one.backoffSeconds);
  const seconds = Math.ceil(Math.round(exact * 1000) / 1000);
  const describe = ({ g, one }: typeof parts[number]): string => {
    const each = `${one.attempts} attempt(s) × ${Math.round(g.perAttemptSeconds * 1000) / 1000} s + ${one.backoffSeconds} s backoff`;
    return g.orderLevels > 1 ? `${g.orderLevels} order levels × (${each})` : each;
  };
  const [first, ...rest] = parts;
  return {
    attempts: parts.reduce((n, { g, one }) => n + g.orderLevels * one.attempts, 0),
    perAttemptSeconds: Math.max(...walk.map(g => g.perAttemptSeconds)),
    backoffSeconds: Math.round(parts.reduce((n, { g, one }) => n + g.orderLevels * one.backoffSeconds, 0) * 100) / 100,
    seconds,
    explanation: [`"${first.g.name}": ${describe(first)}`, ...rest.map(p => `fallback "${p.g.name}": ${describe(p)}`)].join('; ') + `; ${seconds} s in all`,
    modelGroups,
  };
}

/** Checks that a wait covers a bound, naming both in the error. */
export function assertCovers(prop: string, value: number, bound: NonStreamingBound | { seconds: number; explanation: string }, what: string): void {
  if (value < bound.seconds) {
    throw new LiteLLMConfigError(prop, value, `must be at least ${bound.seconds} s: ${what} (${bound.explanation})`);
  }
}
