import { IConstruct } from 'constructs';
import { AppChecks } from '../app-checks';
import { LiteLLMConfigError } from '../errors';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { isCidr } from '../k8s-names';
import { assertCovers } from '../proxy/timing';
import { boolean, dns1123Label, dns1123Subdomain, integer, labelMap, routeHost } from '../validate';

/**
 * The edge props every controller shares, their validation, and the rules
 * that keep the edge from cutting or holding back a Server-Sent Events stream.
 * Controller constructs render the resolved values in their own dialect; no
 * rule lives anywhere else.
 */

/** The ingress controllers and gateways an edge can be rendered for. */
export enum EdgeController {
  /** The community ingress-nginx controller (kubernetes/ingress-nginx; retired in March 2026, still widely run). */
  INGRESS_NGINX = 'ingress-nginx',
  /** F5 NGINX Ingress Controller (nginx/kubernetes-ingress). */
  NGINX_INC = 'nginx-inc',
  /** Traefik Proxy v3 (IngressRoute). */
  TRAEFIK = 'traefik',
  /** Gateway API (HTTPRoute), any conformant implementation. */
  GATEWAY_API = 'gateway-api',
}

/** Who issues a certificate through cert-manager. */
export enum TlsIssuerKind {
  /** A cluster-wide `ClusterIssuer`. */
  CLUSTER_ISSUER = 'ClusterIssuer',
  /** An `Issuer` in the edge's namespace. */
  ISSUER = 'Issuer',
}

/** TLS at the edge: an existing Secret, or one that cert-manager issues. */
export interface EdgeTls {
  /**
   * Secret holding the certificate (`kubernetes.io/tls`). With an issuer,
   * cert-manager writes it; without one, it must already exist.
   * @default `<name>-tls` when an issuer is given; required otherwise
   */
  readonly secretName?: string;
  /** A cert-manager ClusterIssuer that issues the certificate. @default none */
  readonly clusterIssuer?: string;
  /** A cert-manager Issuer (in the edge's namespace) that issues the certificate. @default none */
  readonly issuer?: string;
}

/**
 * What a user states once for any controller, but the hosts (a stack or a
 * fleet tenant gives those); each controller construct renders it.
 */
export interface EdgeOptions {
  /** Base name of the edge objects. @default the proxy's name */
  readonly name?: string;
  /** Path prefix routed to the proxy. @default '/' */
  readonly path?: string;
  /** TLS termination at the edge. @default none (plain HTTP) */
  readonly tls?: EdgeTls;
  /**
   * Longest silence the edge tolerates while waiting for the next bytes of a
   * response. A non-streaming completion sends nothing until it is done, after
   * every retry, so this must be at least the proxy's `nonStreamingBound`
   * ((numRetries + 1) × requestTimeoutSeconds + backoff). On Gateway API, whose
   * only timeout caps a whole response, it must also cover `maxStreamSeconds`.
   * @default the proxy's non-streaming bound + 30 s (2013 s with the proxy's
   * defaults), so LiteLLM's own timeout error (JSON a client SDK understands)
   * arrives before the edge's 504; on Gateway API no cap ("0s")
   */
  readonly streamIdleTimeoutSeconds?: number;
  /**
   * Largest request body, as an nginx size: digits with an optional `k`, `m`
   * or `g` (`"10m"`); `"0"` means no limit.
   * @default '10m' where the controller has a limit of its own (nginx's is 1m,
   * which rejects long prompts and images); none elsewhere
   */
  readonly maxRequestBodySize?: string;
  /** Seconds to establish a connection to a proxy pod. @default 5 (ingress-nginx's default) */
  readonly connectTimeoutSeconds?: number;
  /** Client CIDRs allowed through the edge. @default everyone */
  readonly allowSourceRanges?: string[];
  /** Redirect plain HTTP to HTTPS. @default true when `tls` is set */
  readonly redirectHttpToHttps?: boolean;
  /**
   * IngressClass that picks the controller (not on Gateway API, which attaches to a Gateway).
   * @default 'nginx' on ingress-nginx and F5 NGINX; none on Traefik (its IngressRoute CRD is watched regardless)
   */
  readonly ingressClassName?: string;
  /**
   * Namespace of the controller's proxy pods (the data plane), admitted to
   * the proxy port by the proxy's NetworkPolicy.
   * @default 'ingress-nginx', 'nginx-ingress' or 'traefik'; required on Gateway API (implementations differ)
   */
  readonly controllerNamespace?: string;
  /** Labels of the controller's proxy pods, to admit only them. @default every pod of controllerNamespace */
  readonly controllerPodLabels?: { [key: string]: string };
}

/** The shared edge props with the hosts: what a controller construct takes. */
export interface EdgeProps extends EdgeOptions {
  /** Host names clients use (DNS names, no wildcards). At least one. */
  readonly hosts: string[];
}

/** How a controller supports the shared props. */
export interface EdgeControllerTraits {
  readonly controller: EdgeController;
  readonly defaultIngressClassName?: string;
  readonly defaultControllerNamespace?: string;
  readonly defaultMaxRequestBodySize?: string;
  /** Props this controller cannot honour, with the reason given to the user. */
  readonly unsupported: Partial<Record<'tls' | 'maxRequestBodySize' | 'allowSourceRanges' | 'connectTimeoutSeconds' | 'ingressClassName', string>>;
  /** When false, `redirectHttpToHttps` does not default to true with TLS (the controller has no TLS of its own here). */
  readonly redirectDefaultsToTls: boolean;
}

/** The edge's settings, validated and with defaults applied (what the controller construct renders). */
export interface EdgeSettings {
  /** The controller rendered for. */
  readonly controller: EdgeController;
  /** Base name of the edge objects. */
  readonly name: string;
  /** Host names served. */
  readonly hosts: string[];
  /** Path prefix routed to the proxy. */
  readonly path: string;
  /** TLS at the edge. @default none */
  readonly tls?: EdgeTlsSettings;
  /** The edge's stream timeout, seconds. */
  readonly streamIdleTimeoutSeconds: number;
  /** Whether the user set streamIdleTimeoutSeconds (Gateway API uses it as a total cap only then). */
  readonly streamIdleTimeoutExplicit: boolean;
  /** Seconds to connect to a proxy pod. */
  readonly connectTimeoutSeconds: number;
  /** Largest request body. @default no limit */
  readonly maxRequestBody?: RequestBodySize;
  /** Client CIDRs allowed (empty: everyone). */
  readonly allowSourceRanges: string[];
  /** Whether plain HTTP is redirected to HTTPS. */
  readonly redirectHttpToHttps: boolean;
  /** IngressClass. @default none */
  readonly ingressClassName?: string;
  /** Namespace of the controller's data plane. @default none */
  readonly controllerNamespace?: string;
  /** Labels of the controller's pods. @default every pod of controllerNamespace */
  readonly controllerPodLabels?: { [key: string]: string };
  /** The proxy Service. */
  readonly serviceName: string;
  /** The proxy Service's port. */
  readonly servicePort: number;
}

/** TLS at the edge, resolved. */
export interface EdgeTlsSettings {
  /** The certificate's Secret. */
  readonly secretName: string;
  /** Who issues it. @default nobody: the Secret exists */
  readonly issuer?: TlsIssuer;
}

/** A cert-manager issuer. */
export interface TlsIssuer {
  /** ClusterIssuer or Issuer. */
  readonly kind: TlsIssuerKind;
  /** Its name. */
  readonly name: string;
}

/** A request body limit. */
export interface RequestBodySize {
  /** As written, e.g. `10m`: nginx accepts it verbatim. */
  readonly text: string;
  /** In bytes. */
  readonly bytes: number;
}

export const EDGE_DEFAULTS = {
  path: '/',
  streamMarginSeconds: 30,
  connectTimeoutSeconds: 5,
} as const;

// nginx `proxy_connect_timeout`: "usually cannot exceed 75 seconds"
// (nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_connect_timeout).
const MAX_CONNECT_TIMEOUT_SECONDS = 75;
const MAX_STREAM_TIMEOUT_SECONDS = 86400;
// nginx sizes (nginx.org/en/docs/syntax.html); ingress-nginx validates
// proxy-body-size against ^\d+[bkmg]?$ (REFERENCE §2). Lower-case only, so one form fits every controller.
const BODY_SIZE = /^(0|[1-9]\d*)([kmg]?)$/;
const BODY_FACTORS: Record<string, number> = { '': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3 };
// Path prefix: an absolute URL path without characters that need escaping in
// Traefik rules, nginx locations or Gateway API matches.
const PATH = /^\/[A-Za-z0-9\-._~/%]*$/;

/** Validates the shared props for one controller and applies its defaults. */
export function resolveEdge(proxy: LiteLLMProxy, props: EdgeOptions, hostList: unknown, traits: EdgeControllerTraits): EdgeSettings {
  if (typeof props !== 'object' || props === null) {
    throw new LiteLLMConfigError('props', props, 'an edge needs props with at least `hosts`');
  }
  for (const [prop, reason] of Object.entries(traits.unsupported)) {
    const value = (props as unknown as Record<string, unknown>)[prop];
    // "0" asks for no body limit, which every controller can honour.
    if (value === undefined || (prop === 'maxRequestBodySize' && value === '0')) continue;
    throw new LiteLLMConfigError(prop, value, `not supported on ${traits.controller}: ${reason}`);
  }

  const name = dns1123Label('name', props.name ?? proxy.name, 50);
  const hosts = resolveHosts(hostList);
  const path = props.path ?? EDGE_DEFAULTS.path;
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new LiteLLMConfigError('path', path, 'must be an absolute URL path such as "/" or "/v1", using letters, digits and -._~/%');
  }

  const tls = props.tls === undefined ? undefined : resolveTls(name, props.tls);
  const redirectHttpToHttps = props.redirectHttpToHttps === undefined
    ? tls !== undefined && traits.redirectDefaultsToTls
    : boolean('redirectHttpToHttps', props.redirectHttpToHttps);
  if (redirectHttpToHttps && tls === undefined && traits.controller !== EdgeController.GATEWAY_API) {
    throw new LiteLLMConfigError('redirectHttpToHttps', true, 'needs `tls`: redirecting to HTTPS that this edge does not serve would break every request');
  }

  // The proxy's own drain already covers its longest request (LiteLLMProxy checks it).
  const { seconds: streamIdleTimeoutSeconds, explicit } = resolveStreamTimeout(proxy, props.streamIdleTimeoutSeconds, traits.controller);
  const connectTimeoutSeconds = integer('connectTimeoutSeconds', props.connectTimeoutSeconds ?? EDGE_DEFAULTS.connectTimeoutSeconds,
    1, MAX_CONNECT_TIMEOUT_SECONDS);

  const sizeText = props.maxRequestBodySize ?? traits.defaultMaxRequestBodySize;
  const maxRequestBody = sizeText === undefined ? undefined : parseBodySize('maxRequestBodySize', sizeText);

  const allowSourceRanges = (props.allowSourceRanges ?? []).map((c, i) => cidr(`allowSourceRanges[${i}]`, c));
  if (props.allowSourceRanges !== undefined && allowSourceRanges.length === 0) {
    throw new LiteLLMConfigError('allowSourceRanges', props.allowSourceRanges, 'must list at least one CIDR, or be left unset to admit everyone');
  }

  const ingressClassName = props.ingressClassName ?? traits.defaultIngressClassName;
  if (ingressClassName !== undefined) dns1123Subdomain('ingressClassName', ingressClassName);

  const controllerNamespace = props.controllerNamespace ?? traits.defaultControllerNamespace;
  if (controllerNamespace === undefined) {
    throw new LiteLLMConfigError('controllerNamespace', undefined,
      `required on ${traits.controller}: the namespace of the pods that proxy traffic, so the proxy's NetworkPolicy admits them`);
  }
  dns1123Label('controllerNamespace', controllerNamespace);
  // Checked here, not when the proxy admits the peer, so the error names this prop.
  const controllerPodLabels = props.controllerPodLabels === undefined ? undefined : labelMap('controllerPodLabels', props.controllerPodLabels);

  return {
    controller: traits.controller,
    name,
    hosts,
    path,
    tls,
    streamIdleTimeoutSeconds,
    streamIdleTimeoutExplicit: explicit,
    connectTimeoutSeconds,
    maxRequestBody,
    allowSourceRanges,
    redirectHttpToHttps,
    ingressClassName,
    controllerNamespace,
    controllerPodLabels,
    serviceName: proxy.serviceName,
    servicePort: proxy.port,
  };
}

/**
 * The timeout agreement: the edge may wait longer than the proxy, never less,
 * or it cuts a response the proxy is still producing.
 */
function resolveStreamTimeout(proxy: LiteLLMProxy, value: number | undefined, controller: EdgeController): { seconds: number; explicit: boolean } {
  const bound = proxy.nonStreamingBound;
  if (value === undefined) {
    return { seconds: bound.seconds + EDGE_DEFAULTS.streamMarginSeconds, explicit: false };
  }
  const seconds = integer('streamIdleTimeoutSeconds', value, 1, MAX_STREAM_TIMEOUT_SECONDS);
  assertCovers('streamIdleTimeoutSeconds', seconds, bound,
    'a non-streaming response is silent until the proxy is done, retries included, and a shorter edge timeout cuts it');
  if (controller === EdgeController.GATEWAY_API) {
    // Here it caps the whole response: a stream too.
    assertCovers('streamIdleTimeoutSeconds', seconds, { seconds: proxy.maxStreamSeconds, explanation: `the proxy's maxStreamSeconds` },
      'on Gateway API the timeout caps a whole response, and a stream may run for maxStreamSeconds');
  }
  return { seconds, explicit: true };
}

function resolveHosts(hosts: unknown): string[] {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new LiteLLMConfigError('hosts', hosts, 'must list at least one DNS host name, e.g. ["llm.example.com"]');
  }
  const seen = new Set<string>();
  return hosts.map((h, i) => {
    const host = routeHost(`hosts[${i}]`, h);
    if (!host.includes('.')) {
      throw new LiteLLMConfigError(`hosts[${i}]`, h, 'must be a fully qualified host name such as "llm.example.com"');
    }
    if (seen.has(host)) throw new LiteLLMConfigError(`hosts[${i}]`, h, 'host names must be unique; this one appears more than once');
    seen.add(host);
    return host;
  });
}

function resolveTls(name: string, tls: EdgeTls): EdgeTlsSettings {
  if (typeof tls !== 'object' || tls === null) {
    throw new LiteLLMConfigError('tls', tls, 'must be { secretName } or { clusterIssuer } or { issuer }');
  }
  if (tls.clusterIssuer !== undefined && tls.issuer !== undefined) {
    throw new LiteLLMConfigError('tls', tls, 'give either clusterIssuer or issuer, not both');
  }
  let issuer: TlsIssuer | undefined;
  if (tls.clusterIssuer !== undefined) issuer = { kind: TlsIssuerKind.CLUSTER_ISSUER, name: dns1123Subdomain('tls.clusterIssuer', tls.clusterIssuer) };
  if (tls.issuer !== undefined) issuer = { kind: TlsIssuerKind.ISSUER, name: dns1123Subdomain('tls.issuer', tls.issuer) };
  if (issuer === undefined && tls.secretName === undefined) {
    throw new LiteLLMConfigError('tls.secretName', undefined, 'required when no clusterIssuer or issuer is given: name the existing TLS Secret');
  }
  return { secretName: dns1123Subdomain('tls.secretName', tls.secretName ?? `${name}-tls`), issuer };
}

/** Parses an nginx size (`10m`) into bytes. */
export function parseBodySize(prop: string, value: unknown): RequestBodySize {
  const match = typeof value === 'string' ? BODY_SIZE.exec(value) : null;
  if (!match) {
    throw new LiteLLMConfigError(prop, value, 'must be a size such as "10m", "512k" or "1g" (digits, then k, m or g; "0" for no limit)');
  }
  return { text: value as string, bytes: Number(match[1]) * BODY_FACTORS[match[2]] };
}

function cidr(prop: string, value: unknown): string {
  if (!isCidr(value)) throw new LiteLLMConfigError(prop, value, 'must be an IPv4 or IPv6 CIDR such as "203.0.113.0/24" or "2001:db8::/32"');
  return value as string;
}

/** Admits the controller's proxy pods to the LiteLLM port. */
export function admitController(proxy: LiteLLMProxy, edge: EdgeSettings): void {
  proxy.allowFrom({
    namespace: edge.controllerNamespace,
    ...(edge.controllerPodLabels !== undefined ? { podLabels: edge.controllerPodLabels } : {}),
  }, 'controllerNamespace');
}

/**
 * Records the edge's hosts on its ingress class or Gateway for the App-wide
 * check: one stack per host and path on one class or Gateway.
 */
export function claimRoutes(edge: IConstruct, s: EdgeSettings, router = `ingress class "${s.ingressClassName}"`): void {
  AppChecks.of(edge).claimRoutes(edge, { router, hosts: s.hosts, prefix: s.path });
}

/** `3600` -> `3600s`: the Go/Gateway API duration form. */
export function seconds(n: number): string {
  return `${n}s`;
}
