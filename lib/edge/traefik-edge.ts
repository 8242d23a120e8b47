import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { inStack } from '../errors';
import { Certificate, CertificateSpecPrivateKeyAlgorithm } from '../../imports/cert-manager.io';
import {
  IngressRoute, IngressRouteSpecRoutes, IngressRouteSpecRoutesKind, IngressRouteSpecRoutesServicesKind, IngressRouteSpecRoutesServicesPort,
  Middleware, ServersTransport, ServersTransportSpecForwardingTimeoutsDialTimeout, ServersTransportSpecForwardingTimeoutsResponseHeaderTimeout,
} from '../../imports/traefik.io';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { dns1123Label } from '../validate';
import { IEdge } from './edge';
import { EdgeController, EdgeControllerTraits, EdgeOptions, EdgeSettings, admitController, claimRoutes, resolveEdge, seconds } from './edge-props';

/** Traefik entry point names (static configuration). */
export interface TraefikEntryPoints {
  /** Plain-HTTP entry point. @default 'web' (the Traefik Helm chart's name) */
  readonly web?: string;
  /** TLS entry point. @default 'websecure' (the Traefik Helm chart's name) */
  readonly websecure?: string;
}

/** Traefik's options besides the shared ones (see {@link Edge.traefik}). */
export interface TraefikEdgeOptions extends EdgeOptions {
  /** Entry point names. @default { web: 'web', websecure: 'websecure' } */
  readonly entryPoints?: TraefikEntryPoints;
}

/** Props of {@link TraefikEdge}. */
export interface TraefikEdgeProps extends TraefikEdgeOptions {
  /** Host names clients use (DNS names, no wildcards). At least one. */
  readonly hosts: string[];
}

export const TRAEFIK_TRAITS: EdgeControllerTraits = {
  controller: EdgeController.TRAEFIK,
  // The Traefik Helm chart's usual namespace; no ingress class by default, since an
  // IngressRoute without one is served by a CRD provider that has none configured.
  defaultControllerNamespace: 'traefik',
  unsupported: {
    // traefik#12869: the buffering middleware is Traefik's only body limit
    // (maxRequestBodyBytes), and enabling it also buffers whole responses, so SSE
    // arrives in one piece at the end; disableResponseBuffer is not exposed in the CRD.
    // LiteLLM's general_settings.max_request_size_mb is no substitute: it is enterprise-only
    // (ignored with a warning otherwise) and checked after the body is read
    // (litellm/proxy/auth/auth_utils.py, check_if_request_size_is_safe).
    maxRequestBodySize: 'Traefik can only cap a request body with its buffering middleware, which also buffers '
      + 'whole responses and would hold every streamed token back until the end (traefik#12869). Leave it unset or "0", '
      + 'and cap bodies in front of Traefik (load balancer / WAF) if needed',
  },
  redirectDefaultsToTls: true,
};

/**
 * Traefik v3: an IngressRoute to the proxy Service through a ServersTransport
 * with stream-safe forwarding timeouts, Middlewares for the IP allow-list and
 * the HTTPS redirect, and a cert-manager Certificate when an issuer is given.
 * Traefik flushes `text/event-stream` responses as they are written
 * (responseForwarding.flushInterval is ignored for streaming responses, CRD
 * docs); the `buffering` middleware is never attached.
 */
export class TraefikEdge extends Construct implements IEdge {
  public readonly controller: EdgeController = EdgeController.TRAEFIK;
  public readonly settings: EdgeSettings;
  /** The IngressRoute serving the proxy (the primary child, id `Resource`). */
  public readonly ingressRoute: IngressRoute;
  /** The plain-HTTP IngressRoute that only redirects, when `redirectHttpToHttps`. */
  public readonly redirectRoute?: IngressRoute;
  public readonly serversTransport: ServersTransport;
  public readonly allowListMiddleware?: Middleware;
  public readonly redirectMiddleware?: Middleware;
  /** The cert-manager Certificate, when an issuer is given. */
  public readonly certificate?: Certificate;

  constructor(scope: Construct, id: string, proxy: LiteLLMProxy, props: TraefikEdgeProps) {
    super(scope, id);
    try {
      this.settings = resolveEdge(proxy, props, props?.hosts, TRAEFIK_TRAITS);
      const s = this.settings;
      const labels = standardLabels(s.name, 'edge');
      const web = dns1123Label('entryPoints.web', props.entryPoints?.web ?? 'web');
      const websecure = dns1123Label('entryPoints.websecure', props.entryPoints?.websecure ?? 'websecure');

      this.serversTransport = new ServersTransport(this, 'ServersTransport', {
        metadata: { name: s.name, labels },
        spec: {
          forwardingTimeouts: {
            dialTimeout: ServersTransportSpecForwardingTimeoutsDialTimeout.fromString(seconds(s.connectTimeoutSeconds)),
            // Time to the response headers. A non-streaming completion sends its headers only
            // when done, so this is the stream timeout (>= the proxy's request timeout). Once
            // headers are sent Traefik sets no per-route timeout on the body.
            responseHeaderTimeout: ServersTransportSpecForwardingTimeoutsResponseHeaderTimeout.fromString(seconds(s.streamIdleTimeoutSeconds)),
          },
        },
      });

      const middlewares: { name: string }[] = [];
      if (s.allowSourceRanges.length > 0) {
        this.allowListMiddleware = new Middleware(this, 'AllowList', {
          metadata: { name: `${s.name}-allowlist`, labels },
          // ipAllowList (v3 name of ipWhiteList): requests from elsewhere get 403.
          spec: { ipAllowList: { sourceRange: [...s.allowSourceRanges] } },
        });
        middlewares.push({ name: this.allowListMiddleware.name });
      }

      const match = `(${s.hosts.map(h => `Host(\`${h}\`)`).join(' || ')}) && PathPrefix(\`${s.path}\`)`;
      const route = (mw: { name: string }[]): IngressRouteSpecRoutes => ({
        kind: IngressRouteSpecRoutesKind.RULE,
        match,
        ...(mw.length > 0 ? { middlewares: mw } : {}),
        services: [{
          kind: IngressRouteSpecRoutesServicesKind.SERVICE,
          name: s.serviceName,
          port: IngressRouteSpecRoutesServicesPort.fromNumber(s.servicePort),
          // A ServersTransport CRD in the route's namespace is referenced by its name.
          serversTransport: this.serversTransport.name,
        }],
      });

      if (s.tls?.issuer !== undefined) {
        this.certificate = new Certificate(this, 'Certificate', {
          metadata: { name: s.name, labels },
          spec: {
            secretName: s.tls.secretName,
            dnsNames: [...s.hosts],
            issuerRef: { group: 'cert-manager.io', kind: s.tls.issuer.kind, name: s.tls.issuer.name },
            // P-256: smaller and faster handshakes than cert-manager's RSA-2048 default.
            privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256 },
          },
        });
      }

      this.ingressRoute = new IngressRoute(this, 'Resource', {
        metadata: { name: s.name, labels },
        spec: {
          ...(s.ingressClassName !== undefined ? { ingressClassName: s.ingressClassName } : {}),
          entryPoints: [s.tls !== undefined ? websecure : web],
          routes: [route(middlewares)],
          ...(s.tls !== undefined ? { tls: { secretName: s.tls.secretName } } : {}),
        },
      });

      if (s.redirectHttpToHttps) {
        this.redirectMiddleware = new Middleware(this, 'RedirectHttps', {
          metadata: { name: `${s.name}-redirect-https`, labels },
          // permanent: 301 for GET, 308 otherwise, so a POST is replayed as a POST.
          spec: { redirectScheme: { scheme: 'https', permanent: true } },
        });
        this.redirectRoute = new IngressRoute(this, 'RedirectRoute', {
          metadata: { name: `${s.name}-http`, labels },
          spec: {
            ...(s.ingressClassName !== undefined ? { ingressClassName: s.ingressClassName } : {}),
            entryPoints: [web],
            // The service is never reached: the middleware answers first.
            routes: [route([{ name: this.redirectMiddleware.name }])],
          },
        });
      }
      admitController(proxy, s);
      claimRoutes(this, s, s.ingressClassName !== undefined ? `Traefik ingress class "${s.ingressClassName}"` : 'Traefik (IngressRoutes without an ingress class)');
    } catch (e) {
      throw inStack(e, this);
    }
  }

  public get apiObjects(): ApiObject[] {
    return [this.ingressRoute, this.serversTransport,
      ...[this.redirectRoute, this.allowListMiddleware, this.redirectMiddleware, this.certificate].filter((o): o is NonNullable<typeof o> => o !== undefined)];
  }
}
