import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { inStack } from '../errors';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IEdge } from './edge';
import { EdgeController, EdgeControllerTraits, EdgeProps, EdgeSettings, admitController, claimRoutes, resolveEdge } from './edge-props';
import { certManagerAnnotations, ingressSpec } from './ingress-common';

/** Props of {@link IngressNginxEdge}: the shared edge props. */
export interface IngressNginxEdgeProps extends EdgeProps {}

const PREFIX = 'nginx.ingress.kubernetes.io';

export const INGRESS_NGINX_TRAITS: EdgeControllerTraits = {
  controller: EdgeController.INGRESS_NGINX,
  // The class and namespace of the upstream manifests and Helm chart (kubernetes/ingress-nginx deploy/).
  defaultIngressClassName: 'nginx',
  defaultControllerNamespace: 'ingress-nginx',
  defaultMaxRequestBodySize: '10m',
  unsupported: {},
  redirectDefaultsToTls: true,
};

/**
 * The community ingress-nginx controller (kubernetes/ingress-nginx; retired
 * March 2026, still widely run): an Ingress whose annotations turn response
 * buffering off and give streams the time they need. All values are strings
 * and timeouts integer seconds, as docs/user-guide/nginx-configuration/annotations.md
 * requires. No snippet annotation is ever emitted (CVE-2021-25742).
 */
export class IngressNginxEdge extends Construct implements IEdge {
  public readonly controller: EdgeController = EdgeController.INGRESS_NGINX;
  public readonly settings: EdgeSettings;
  /** The Ingress (the primary child, id `Resource`). */
  public readonly ingress: k8s.KubeIngress;

  constructor(scope: Construct, id: string, proxy: LiteLLMProxy, props: IngressNginxEdgeProps) {
    super(scope, id);
    try {
      this.settings = resolveEdge(proxy, props, props?.hosts, INGRESS_NGINX_TRAITS);
      const s = this.settings;

      const annotations: Record<string, string> = {
        // Tokens reach the client as LiteLLM writes them (annotations.md#proxy-buffering);
        // LiteLLM's own `X-Accel-Buffering: no` is not relied on alone.
        [`${PREFIX}/proxy-buffering`]: 'off',
        // Chunked streaming needs HTTP/1.1 to the upstream (annotations.md#proxy-http-version).
        [`${PREFIX}/proxy-http-version`]: '1.1',
        // proxy_read_timeout / proxy_send_timeout: idle time between two reads / writes, integer seconds.
        [`${PREFIX}/proxy-read-timeout`]: String(s.streamIdleTimeoutSeconds),
        [`${PREFIX}/proxy-send-timeout`]: String(s.streamIdleTimeoutSeconds),
        [`${PREFIX}/proxy-connect-timeout`]: String(s.connectTimeoutSeconds),
        // Request buffering stays on (the default): a prompt is small, buffering it shields
        // the proxy from slow uploads and keeps proxy-next-upstream possible; it does not
        // delay the streamed response.
        ...(s.maxRequestBody !== undefined ? { [`${PREFIX}/proxy-body-size`]: s.maxRequestBody.text } : {}),
        // allowlist-source-range (alias whitelist-source-range): comma-separated CIDRs.
        ...(s.allowSourceRanges.length > 0 ? { [`${PREFIX}/allowlist-source-range`]: s.allowSourceRanges.join(',') } : {}),
        ...(s.tls !== undefined ? { [`${PREFIX}/ssl-redirect`]: String(s.redirectHttpToHttps) } : {}),
        ...certManagerAnnotations(s),
      };

      this.ingress = new k8s.KubeIngress(this, 'Resource', {
        metadata: { name: s.name, labels: standardLabels(s.name, 'edge'), annotations },
        spec: ingressSpec(s),
      });
      admitController(proxy, s);
      claimRoutes(this, s);
    } catch (e) {
      throw inStack(e, this);
    }
  }

  public get apiObjects(): ApiObject[] {
    return [this.ingress];
  }
}
