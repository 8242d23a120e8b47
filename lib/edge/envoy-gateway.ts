import { Construct } from 'constructs';
import {
  BackendTrafficPolicy, BackendTrafficPolicyProps, BackendTrafficPolicySpecRetryRetryOnTriggers, ClientTrafficPolicy, ClientTrafficPolicyProps,
} from '../../imports/gateway.envoyproxy.io';
import { EdgeSettings, seconds } from './edge-props';

/**
 * Envoy Gateway's policies for the proxy's HTTPRoute (checked against the
 * v1.9.0 CRDs and its translator, internal/xds/translator/route.go). What
 * Envoy does where a route leaves a setting open, and what we set instead:
 *
 * - Stream idle timeout: Envoy's connection manager cuts a stream after 5
 *   minutes without a byte either way. Envoy Gateway (v1.8 on) sets a route's
 *   own idle timeout from `BackendTrafficPolicy.timeout.http.streamIdleTimeout`;
 *   without one it inherits the listener's `ClientTrafficPolicy` value, or
 *   else derives one from the route timeout (1 h, or off with "0s": route.go
 *   idleTimeout). We set the edge's stream timeout, the same number the other
 *   edges use as their read timeout (the proxy's non-streaming bound + 30 s by
 *   default): a completion silent for as long as LiteLLM may keep it silent
 *   survives, and a connection silent for longer is closed.
 * - Route timeout: the HTTPRoute's `timeouts.request` wins over the policy's
 *   `requestTimeout` (route.go getEffectiveRequestTimeout), so it is left to the
 *   route; `maxStreamDuration` repeats it, so a Gateway-wide one merged in
 *   cannot cut a stream the route allows.
 * - Connect timeout: the shared `connectTimeoutSeconds` (Envoy's default is 10 s).
 * - Upstream keep-alive: Envoy keeps an idle upstream connection for 1 h, but
 *   LiteLLM's server closes idle keep-alive connections after 2 s (gunicorn's
 *   `keepalive` default, several workers) or 5 s (uvicorn's `timeout_keep_alive`,
 *   one worker); LiteLLM 1.108.14 sets neither (proxy_cli.py). A request sent on
 *   a connection the server is closing fails, and a POST must not be re-sent, so
 *   Envoy closes idle upstream connections first, after 1 s.
 * - Retries: none unless a policy sets them; we allow one, only where the request
 *   never reached LiteLLM (no connection, a refused HTTP/2 stream, a reset before
 *   any byte was sent), on another pod. A completion is never re-sent: LiteLLM's
 *   router retries on its own, and those retries are what the timing bound counts.
 *   One connect retry adds at most one connect timeout of silence, inside the
 *   default stream timeout's 30 s margin.
 * - `mergeType: JSONMerge`: the policy merges into a Gateway-level
 *   BackendTrafficPolicy (the platform team's rate limits, circuit breakers), its
 *   own fields winning and lists replaced whole; unset, it would displace that
 *   policy for this route entirely.
 */

/** Envoy closes idle upstream connections before LiteLLM's server does (gunicorn's 2 s keep-alive). */
export const UPSTREAM_IDLE_SECONDS = 1;
/** Retries of a request that never reached LiteLLM (never of one that did). */
export const CONNECT_RETRIES = 1;
/** Failures where the request was never sent to LiteLLM: safe to re-send a POST (Envoy's router_filter docs). */
export const SAFE_RETRY_TRIGGERS = [
  BackendTrafficPolicySpecRetryRetryOnTriggers.CONNECT_HYPHEN_FAILURE,
  BackendTrafficPolicySpecRetryRetryOnTriggers.REFUSED_HYPHEN_STREAM,
  BackendTrafficPolicySpecRetryRetryOnTriggers.RESET_HYPHEN_BEFORE_HYPHEN_REQUEST,
];

/** The BackendTrafficPolicy's props for the route `routeName`, whose `timeouts.request` is `requestTimeout`. */
export function backendTrafficPolicyProps(s: EdgeSettings, routeName: string, requestTimeout: string,
  labels: { [key: string]: string }): BackendTrafficPolicyProps {
  return {
    metadata: { name: s.name, labels },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: routeName }],
      mergeType: 'JSONMerge',
      timeout: {
        http: {
          streamIdleTimeout: seconds(s.streamIdleTimeoutSeconds),
          maxStreamDuration: requestTimeout,
          connectionIdleTimeout: seconds(UPSTREAM_IDLE_SECONDS),
        },
        tcp: { connectTimeout: seconds(s.connectTimeoutSeconds) },
      },
      retry: { numRetries: CONNECT_RETRIES, retryOn: { triggers: [...SAFE_RETRY_TRIGGERS] } },
    },
  };
}

/**
 * The ClientTrafficPolicy's props for a Gateway the stack owns: the listener's
 * stream idle timeout, for every route on it (the route's own policy still
 * wins for the proxy's route). Only that: Envoy Gateway leaves
 * `requestReceivedTimeout` off, and Envoy stops it once the request is sent
 * upstream, so it never bounds a response; the connection idle timeout (1 h)
 * only applies between requests.
 */
export function clientTrafficPolicyProps(s: EdgeSettings, gatewayName: string, sectionName: string | undefined,
  labels: { [key: string]: string }): ClientTrafficPolicyProps {
  return {
    metadata: { name: s.name, labels },
    spec: {
      targetRefs: [{
        group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gatewayName,
        ...(sectionName !== undefined ? { sectionName } : {}),
      }],
      timeout: { http: { streamIdleTimeout: seconds(s.streamIdleTimeoutSeconds) } },
    },
  };
}

/** Emits the BackendTrafficPolicy. */
export function backendTrafficPolicy(scope: Construct, props: BackendTrafficPolicyProps): BackendTrafficPolicy {
  return new BackendTrafficPolicy(scope, 'BackendTrafficPolicy', props);
}

/** Emits the ClientTrafficPolicy. */
export function clientTrafficPolicy(scope: Construct, props: ClientTrafficPolicyProps): ClientTrafficPolicy {
  return new ClientTrafficPolicy(scope, 'ClientTrafficPolicy', props);
}
