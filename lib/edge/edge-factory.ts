import { Construct } from 'constructs';
import { LiteLLMConfigError, inStack } from '../errors';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IEdge } from './edge';
import { EdgeController, EdgeOptions } from './edge-props';
import { GatewayApiEdge, GatewayApiEdgeOptions } from './gateway-api-edge';
import { IngressNginxEdge } from './ingress-nginx-edge';
import { NginxIncEdge } from './nginx-inc-edge';
import { TraefikEdge, TraefikEdgeOptions } from './traefik-edge';

/**
 * The edge of a stack or of a fleet's tenants, for one controller: the choice
 * of controller and its settings, without the hosts (each stack or tenant has
 * its own). A stack builds the controller's construct with `bind`.
 *
 * ```ts
 * edge: Edge.gatewayApi({ gateway: { name: 'public', namespace: 'gateway' }, controllerNamespace: 'envoy-gateway-system' }),
 * hosts: ['llm.example.com'],
 * ```
 */
export abstract class Edge {
  /** The community ingress-nginx controller (retired in March 2026; see the README for the way off it). */
  public static ingressNginx(options: EdgeOptions = {}): Edge {
    return new ControllerEdge(EdgeController.INGRESS_NGINX, options);
  }

  /** F5 NGINX Ingress Controller. */
  public static nginxInc(options: EdgeOptions = {}): Edge {
    return new ControllerEdge(EdgeController.NGINX_INC, options);
  }

  /** Traefik Proxy v3. */
  public static traefik(options: TraefikEdgeOptions = {}): Edge {
    return new ControllerEdge(EdgeController.TRAEFIK, options);
  }

  /** Gateway API: an HTTPRoute on an existing Gateway. */
  public static gatewayApi(options: GatewayApiEdgeOptions): Edge {
    return new ControllerEdge(EdgeController.GATEWAY_API, options);
  }

  /** The controller the edge is rendered for. */
  public abstract readonly controller: EdgeController;
  /** The shared options, as given. */
  public abstract readonly options: EdgeOptions;

  /** Builds the controller's construct for `proxy`, serving `hosts`. */
  public abstract bind(scope: Construct, id: string, proxy: LiteLLMProxy, hosts: string[]): IEdge;
}

class ControllerEdge extends Edge {
  constructor(public readonly controller: EdgeController, public readonly options: EdgeOptions) {
    super();
  }

  public bind(scope: Construct, id: string, proxy: LiteLLMProxy, hosts: string[]): IEdge {
    try {
      return this.build(scope, id, proxy, hosts);
    } catch (e) {
      throw inStack(e, scope);
    }
  }

  private build(scope: Construct, id: string, proxy: LiteLLMProxy, hosts: string[]): IEdge {
    const options = this.options ?? {};
    if (typeof options !== 'object' || options === null) {
      throw new LiteLLMConfigError('edge', options, 'must be the options of Edge.ingressNginx(), Edge.nginxInc(), Edge.traefik() or Edge.gatewayApi()');
    }
    if ((options as { hosts?: unknown }).hosts !== undefined) {
      throw new LiteLLMConfigError('edge.hosts', (options as { hosts?: unknown }).hosts,
        'hosts belong to the stack (its `hosts` prop) or to each fleet tenant (tenants[i].hosts, or the fleet\'s domain), not to the edge');
    }
    const props = { ...options, hosts };
    switch (this.controller) {
      case EdgeController.INGRESS_NGINX: return new IngressNginxEdge(scope, id, proxy, props);
      case EdgeController.NGINX_INC: return new NginxIncEdge(scope, id, proxy, props);
      case EdgeController.TRAEFIK: return new TraefikEdge(scope, id, proxy, props);
      case EdgeController.GATEWAY_API: return new GatewayApiEdge(scope, id, proxy, props as { hosts: string[] } & GatewayApiEdgeOptions);
    }
  }
}
