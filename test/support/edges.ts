import { Construct } from 'constructs';
import { Edge, EdgeController, GatewayApiEdgeOptions, IEdge, LiteLLMProxy } from '../../lib';

/**
 * Edge settings as test data: the controller, the hosts and the controller's
 * options in one object, as tables of cases write them.
 */
export interface EdgeCase {
  readonly controller: EdgeController | string;
  readonly hosts?: string[];
  readonly [option: string]: unknown;
}

/** The Edge for a case's controller and options (hosts aside). */
export function edgeOf(c: EdgeCase): Edge {
  const { controller, hosts: _hosts, ...options } = c;
  switch (controller) {
    case EdgeController.INGRESS_NGINX: return Edge.ingressNginx(options);
    case EdgeController.NGINX_INC: return Edge.nginxInc(options);
    case EdgeController.TRAEFIK: return Edge.traefik(options);
    case EdgeController.GATEWAY_API: return Edge.gatewayApi(options as unknown as GatewayApiEdgeOptions);
    default: throw new Error(`test data: no controller ${controller}`);
  }
}

/** A stack's `edge` and `hosts` props from a case. */
export function stackEdge(c: EdgeCase): { edge: Edge; hosts?: string[] } {
  return { edge: edgeOf(c), hosts: c.hosts };
}

/** The controller's construct for a case, in front of `proxy`. */
export function buildEdge(scope: Construct, id: string, proxy: LiteLLMProxy, c: EdgeCase): IEdge {
  return edgeOf(c).bind(scope, id, proxy, c.hosts as string[]);
}

/** Every controller. */
export const EDGE_CONTROLLERS: readonly EdgeController[] = Object.values(EdgeController);
