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
  readonly attempts: number;
  readonly perAttemptSeconds: number;
  readonly backoffSeconds: number;
  /** ceil(attempts × perAttempt + backoff). */
  readonly seconds: number;
  /** "3 attempts × 600 s + 182.25 s backoff = 1983 s", for messages and docs. */
  readonly explanation: string;
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

/** Checks that a wait covers a bound, naming both in the error. */
export function assertCovers(prop: string, value: number, bound: NonStreamingBound | { seconds: number; explanation: string }, what: string): void {
  if (value < bound.seconds) {
    throw new LiteLLMConfigError(prop, value, `must be at least ${bound.seconds} s: ${what} (${bound.explanation})`);
  }
}
