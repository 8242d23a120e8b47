import { Construct } from 'constructs';
import { LiteLLMConfigError } from '../errors';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IEdge } from './edge';
import { EdgeController } from './edge-props';
import { GatewayApiEdge, GatewayApiEdgeProps } from './gateway-api-edge';
import { IngressNginxEdge, IngressNginxEdgeProps } from './ingress-nginx-edge';
import { NginxIncEdge, NginxIncEdgeProps } from './nginx-inc-edge';
import { TraefikEdge, TraefikEdgeProps } from './traefik-edge';

/** One edge, for whichever controller a stack is configured with. */
export type EdgeOptions =
  | ({ readonly controller: 'ingress-nginx' } & IngressNginxEdgeProps)
  | ({ readonly controller: 'nginx-inc' } & NginxIncEdgeProps)
  | ({ readonly controller: 'traefik' } & TraefikEdgeProps)
  | ({ readonly controller: 'gateway-api' } & GatewayApiEdgeProps);

/** The controllers an edge can be rendered for. */
export const EDGE_CONTROLLERS: readonly EdgeController[] = ['ingress-nginx', 'nginx-inc', 'traefik', 'gateway-api'];

export class Edge {
  /** Builds the edge construct for `options.controller` with the same shared props. */
  public static forController(scope: Construct, id: string, proxy: LiteLLMProxy, options: EdgeOptions): IEdge {
    const { controller, ...props } = options ?? ({} as EdgeOptions);
    switch (controller) {
      case 'ingress-nginx': return new IngressNginxEdge(scope, id, proxy, props as IngressNginxEdgeProps);
      case 'nginx-inc': return new NginxIncEdge(scope, id, proxy, props as NginxIncEdgeProps);
      case 'traefik': return new TraefikEdge(scope, id, proxy, props as TraefikEdgeProps);
      case 'gateway-api': return new GatewayApiEdge(scope, id, proxy, props as GatewayApiEdgeProps);
      default:
        throw new LiteLLMConfigError('controller', controller, `must be one of ${EDGE_CONTROLLERS.map(c => JSON.stringify(c)).join(', ')}`);
    }
  }

  private constructor() {}
}
