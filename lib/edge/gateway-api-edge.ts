import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { BackendTrafficPolicy, ClientTrafficPolicy } from '../../imports/gateway.envoyproxy.io';
import {
  HttpRoute, HttpRouteSpecParentRefs, HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType,
} from '../../imports/gateway.networking.k8s.io';
import { chartNamespace } from '../app-checks';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { boolean, dns1123Label, dns1123Subdomain, enumValue } from '../validate';
import { IEdge } from './edge';
import { EdgeController, EdgeControllerTraits, EdgeOptions, EdgeSettings, admitController, claimRoutes, resolveEdge, seconds } from './edge-props';
import { backendTrafficPolicy, backendTrafficPolicyProps, clientTrafficPolicy, clientTrafficPolicyProps } from './envoy-gateway';

/** The existing Gateway the route attaches to. This library never creates Gateways. */
export interface GatewayRef {
  /** Gateway name. */
  readonly name: string;
  /** Gateway namespace; its listener's allowedRoutes must admit the route's namespace. @default the route's namespace */
  readonly namespace?: string;
  /** Listener serving the proxy (the HTTPS one when TLS terminates there). @default every listener of the Gateway */
  readonly sectionName?: string;
  /** Plain-HTTP listener that only redirects to HTTPS; needed for `redirectHttpToHttps`. @default none */
  readonly httpSectionName?: string;
}

/**
 * The Gateway API implementation behind the Gateway: what the edge emits
 * besides the portable HTTPRoute, in that implementation's own policy resources.
 */
export enum GatewayImplementation {
  /**
   * Any conformant implementation: the HTTPRoute only, with its `timeouts`
   * (all the spec can say). Idle timeouts, connect timeouts and retries stay
   * at the implementation's defaults (see the README's table).
   */
  GENERIC = 'generic',
  /**
   * Envoy Gateway v1.8 or later (checked against the v1.9.0 CRDs): also a
   * `BackendTrafficPolicy` on the HTTPRoute with the stream idle timeout, the
   * connect timeout, the upstream keep-alive and retries derived from the
   * proxy's timing bound; and, with `clientTrafficPolicy`, a
   * `ClientTrafficPolicy` on a Gateway the stack owns.
   */
  ENVOY_GATEWAY = 'envoy-gateway',
}

/** Gateway API's options besides the shared ones (see {@link Edge.gatewayApi}). */
export interface GatewayApiEdgeOptions extends EdgeOptions {
  /** The Gateway to attach to. */
  readonly gateway: GatewayRef;
  /**
   * The implementation behind the Gateway. With `ENVOY_GATEWAY` the edge also
   * emits a BackendTrafficPolicy for its route, and honours `connectTimeoutSeconds`.
   * @default GatewayImplementation.GENERIC
   */
  readonly implementation?: GatewayImplementation;
  /**
   * Also emit an Envoy Gateway `ClientTrafficPolicy` for the Gateway (its
   * `sectionName` listener, or the whole Gateway) that sets the listener's
   * stream idle timeout to the edge's stream timeout. Only for a Gateway this
   * stack owns: it must be in the stack's namespace (a policy sits beside its
   * target) and it applies to every route on the listener. A shared Gateway
   * (a fleet's, in a namespace of its own) keeps the policies of whoever owns
   * it; the route's BackendTrafficPolicy already overrides its listener's
   * idle timeout for the proxy's route. Needs `implementation: ENVOY_GATEWAY`.
   * @default false
   */
  readonly clientTrafficPolicy?: boolean;
}

/** Props of {@link GatewayApiEdge}. */
export interface GatewayApiEdgeProps extends GatewayApiEdgeOptions {
  /** Host names clients use (DNS names, no wildcards). At least one. */
  readonly hosts: string[];
}

const IMPLEMENTATION_SPECIFIC = 'the Gateway API has no standard field for it; set it with your implementation\'s policy resource '
  + '(e.g. Envoy Gateway BackendTrafficPolicy / SecurityPolicy, NGINX Gateway Fabric ClientSettingsPolicy)';

export const GATEWAY_API_TRAITS: EdgeControllerTraits = {
  controller: EdgeController.GATEWAY_API,
  // The data-plane namespace depends on the implementation (Envoy Gateway runs its proxies in
  // envoy-gateway-system, others beside the Gateway), so it has no default.
  unsupported: {
    tls: 'TLS terminates on the Gateway listener (spec.listeners[].tls.certificateRefs; cert-manager reads '
      + 'cert-manager.io/cluster-issuer on the Gateway itself); configure it there',
    maxRequestBodySize: IMPLEMENTATION_SPECIFIC,
    allowSourceRanges: IMPLEMENTATION_SPECIFIC,
    connectTimeoutSeconds: IMPLEMENTATION_SPECIFIC,
    ingressClassName: 'the Gateway\'s gatewayClassName picks the implementation; attach with `gateway` instead',
  },
  redirectDefaultsToTls: false,
};

/** On Envoy Gateway the connect timeout has a field (BackendTrafficPolicy `timeout.tcp.connectTimeout`). */
const ENVOY_GATEWAY_TRAITS: EdgeControllerTraits = {
  ...GATEWAY_API_TRAITS,
  unsupported: Object.fromEntries(Object.entries(GATEWAY_API_TRAITS.unsupported).filter(([prop]) => prop !== 'connectTimeoutSeconds')),
};

/**
 * Gateway API (gateway.networking.k8s.io/v1): an HTTPRoute attached to an
 * existing Gateway, plus a redirect-only HTTPRoute on the plain-HTTP listener
 * when asked. The spec has no buffering setting and no idle timeout; its
 * `timeouts.request` caps the WHOLE exchange (Standard since v1.2). Left
 * unset, the cap is implementation-specific (Envoy's default route timeout is
 * 15 s, which cuts nearly every generation), so it is always set:
 *  - `"0s"` (no cap) by default: the spec says the zero duration SHOULD
 *    disable the timeout, or else mean the longest value the implementation
 *    allows. LiteLLM's own `request_timeout` still bounds a stalled upstream,
 *    and a stream that keeps producing tokens is never cut by the edge.
 *  - the stream timeout, when `streamIdleTimeoutSeconds` is given: then it is
 *    a hard cap on a whole response and still at least the proxy's request timeout.
 * `backendRequest` equals `request` (the CRD rejects a longer one).
 *
 * With `implementation: ENVOY_GATEWAY` it also emits Envoy Gateway's
 * policies (see envoy-gateway.ts for each value and why).
 */
export class GatewayApiEdge extends Construct implements IEdge {
  public readonly controller: EdgeController = EdgeController.GATEWAY_API;
  public readonly settings: EdgeSettings;
  /** The HTTPRoute to the proxy (the primary child, id `Resource`). */
  public readonly httpRoute: HttpRoute;
  /** The redirect-only HTTPRoute on the plain-HTTP listener, when `redirectHttpToHttps`. */
  public readonly redirectRoute?: HttpRoute;
  /** The `timeouts.request` value set on the route. */
  public readonly requestTimeout: string;
  /** The Gateway the routes attach to. */
  public readonly gateway: GatewayRef;
  /** The implementation the edge is rendered for. */
  public readonly implementation: GatewayImplementation;
  /** Envoy Gateway's policy for the proxy's route, with `implementation: ENVOY_GATEWAY`. */
  public readonly backendTrafficPolicy?: BackendTrafficPolicy;
  /** Envoy Gateway's policy for the owned Gateway's listener, with `clientTrafficPolicy: true`. */
  public readonly clientTrafficPolicy?: ClientTrafficPolicy;

  constructor(scope: Construct, id: string, proxy: LiteLLMProxy, props: GatewayApiEdgeProps) {
    super(scope, id);
    try {
      const implementation = props?.implementation === undefined ? GatewayImplementation.GENERIC
        : enumValue('implementation', props.implementation, GatewayImplementation, 'GatewayImplementation');
      const envoy = implementation === GatewayImplementation.ENVOY_GATEWAY;
      this.implementation = implementation;
      this.settings = resolveEdge(proxy, props, props?.hosts, envoy ? ENVOY_GATEWAY_TRAITS : GATEWAY_API_TRAITS);
      const s = this.settings;
      const labels = standardLabels(s.name, 'edge');
      const gw = props.gateway;
      if (typeof gw !== 'object' || gw === null) {
        throw new LiteLLMConfigError('gateway', gw, 'must name the existing Gateway: { name, namespace?, sectionName? }');
      }
      dns1123Subdomain('gateway.name', gw.name);
      if (gw.namespace !== undefined) dns1123Label('gateway.namespace', gw.namespace);
      if (gw.sectionName !== undefined) dns1123Subdomain('gateway.sectionName', gw.sectionName);
      if (gw.httpSectionName !== undefined) dns1123Subdomain('gateway.httpSectionName', gw.httpSectionName);

      if (s.redirectHttpToHttps) {
        if (gw.httpSectionName === undefined || gw.sectionName === undefined) {
          throw new LiteLLMConfigError('gateway', gw, 'redirectHttpToHttps needs gateway.sectionName (the HTTPS listener) and '
            + 'gateway.httpSectionName (the HTTP listener): without them the proxy route would also answer on plain HTTP');
        }
        if (gw.httpSectionName === gw.sectionName) {
          throw new LiteLLMConfigError('gateway.httpSectionName', gw.httpSectionName, 'must differ from gateway.sectionName: one listener cannot both serve and redirect');
        }
      } else if (gw.httpSectionName !== undefined) {
        throw new LiteLLMConfigError('gateway.httpSectionName', gw.httpSectionName, 'is only used with redirectHttpToHttps: true');
      }
      this.gateway = gw;

      const parent = (sectionName?: string): HttpRouteSpecParentRefs => ({
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: gw.name,
        ...(gw.namespace !== undefined ? { namespace: gw.namespace } : {}),
        ...(sectionName !== undefined ? { sectionName } : {}),
      });
      const matches = [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: s.path } }];

      this.requestTimeout = s.streamIdleTimeoutExplicit ? seconds(s.streamIdleTimeoutSeconds) : '0s';
      this.httpRoute = new HttpRoute(this, 'Resource', {
        metadata: { name: s.name, labels },
        spec: {
          parentRefs: [parent(gw.sectionName)],
          hostnames: [...s.hosts],
          rules: [{
            matches,
            backendRefs: [{ group: '', kind: 'Service', name: s.serviceName, port: s.servicePort }],
            timeouts: { request: this.requestTimeout, backendRequest: this.requestTimeout },
          }],
        },
      });

      const ownGatewayPolicy = props.clientTrafficPolicy !== undefined && boolean('clientTrafficPolicy', props.clientTrafficPolicy);
      if (ownGatewayPolicy) {
        if (!envoy) {
          throw new LiteLLMConfigError('clientTrafficPolicy', true,
            `is an Envoy Gateway policy: give implementation: GatewayImplementation.ENVOY_GATEWAY, or leave it unset (implementation is "${implementation}")`);
        }
        const routeNamespace = chartNamespace(this);
        if (gw.namespace !== undefined && gw.namespace !== routeNamespace) {
          throw new LiteLLMConfigError('clientTrafficPolicy', true,
            `needs a Gateway this stack owns, in its own namespace ("${routeNamespace ?? 'default'}"); Gateway ${gw.namespace}/${gw.name} is elsewhere, `
            + 'and a ClientTrafficPolicy must sit beside its Gateway and applies to every route on it: leave it to the Gateway\'s owner '
            + '(the route\'s BackendTrafficPolicy already sets the proxy route\'s stream idle timeout), or drop gateway.namespace if the Gateway is the stack\'s');
        }
      }
      if (envoy) {
        this.backendTrafficPolicy = backendTrafficPolicy(this, backendTrafficPolicyProps(s, s.name, this.requestTimeout, labels));
        if (ownGatewayPolicy) this.clientTrafficPolicy = clientTrafficPolicy(this, clientTrafficPolicyProps(s, gw.name, gw.sectionName, labels));
      }

      if (s.redirectHttpToHttps) {
        this.redirectRoute = new HttpRoute(this, 'RedirectRoute', {
          metadata: { name: `${s.name}-http`, labels },
          spec: {
            parentRefs: [parent(gw.httpSectionName)],
            hostnames: [...s.hosts],
            rules: [{
              matches,
              // 301 has Core support in every implementation (307/308 are Extended); the CRD forbids backendRefs beside a redirect.
              filters: [{
                type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                requestRedirect: { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS, statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301 },
              }],
            }],
          },
        });
      }
      admitController(proxy, s);
      claimRoutes(this, s, `Gateway ${gw.namespace ?? chartNamespace(this) ?? 'default'}/${gw.name}`);
    } catch (e) {
      throw inStack(e, this);
    }
  }

  public get apiObjects(): ApiObject[] {
    return [this.httpRoute, ...(this.redirectRoute ? [this.redirectRoute] : []),
      ...(this.backendTrafficPolicy ? [this.backendTrafficPolicy] : []), ...(this.clientTrafficPolicy ? [this.clientTrafficPolicy] : [])];
  }
}
