import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  HttpRoute, HttpRouteSpecParentRefs, HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType,
} from '../../imports/gateway.networking.k8s.io';
import { chartNamespace } from '../app-checks';
import { LiteLLMConfigError, inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { dns1123Label, dns1123Subdomain } from '../validate';
import { IEdge } from './edge';
import { EdgeController, EdgeControllerTraits, EdgeOptions, EdgeSettings, admitController, claimRoutes, resolveEdge, seconds } from './edge-props';

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

/** Gateway API's options besides the shared ones (see {@link Edge.gatewayApi}). */
export interface GatewayApiEdgeOptions extends EdgeOptions {
  /** The Gateway to attach to. */
  readonly gateway: GatewayRef;
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

  constructor(scope: Construct, id: string, proxy: LiteLLMProxy, props: GatewayApiEdgeProps) {
    super(scope, id);
    try {
      this.settings = resolveEdge(proxy, props, props?.hosts, GATEWAY_API_TRAITS);
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
    return [this.httpRoute, ...(this.redirectRoute ? [this.redirectRoute] : [])];
  }
}
