import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { inStack } from '../errors';
import { Policy } from '../../imports/k8s.nginx.org';
import { standardLabels } from '../labels';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IEdge } from './edge';
import { EdgeController, EdgeControllerTraits, EdgeProps, EdgeSettings, admitController, claimRoutes, resolveEdge, seconds } from './edge-props';
import { certManagerAnnotations, ingressSpec } from './ingress-common';

/** Props of {@link NginxIncEdge}: the shared edge props. */
export interface NginxIncEdgeProps extends EdgeProps {}

export const NGINX_INC_TRAITS: EdgeControllerTraits = {
  controller: EdgeController.NGINX_INC,
  // The class and namespace of F5's installation manifests and Helm chart (nginx/kubernetes-ingress).
  defaultIngressClassName: 'nginx',
  defaultControllerNamespace: 'nginx-ingress',
  defaultMaxRequestBodySize: '10m',
  unsupported: {},
  redirectDefaultsToTls: true,
};

/**
 * F5 NGINX Ingress Controller (nginx/kubernetes-ingress): an Ingress with
 * `nginx.org/` annotations (docs.nginx.com/nginx-ingress-controller/configuration/
 * ingress-resources/advanced-configuration-with-annotations). Its response
 * buffering is ON by default, so it is turned off explicitly; timeouts carry
 * units. The allow-list is an access-control `Policy` (k8s.nginx.org/v1) that
 * the Ingress references through `nginx.org/policies`. No snippet annotation
 * (`nginx.org/server-snippets`, `location-snippets`) is ever emitted.
 */
export class NginxIncEdge extends Construct implements IEdge {
  public readonly controller: EdgeController = EdgeController.NGINX_INC;
  public readonly settings: EdgeSettings;
  /** The Ingress (the primary child, id `Resource`). */
  public readonly ingress: k8s.KubeIngress;
  /** The access-control Policy, when `allowSourceRanges` is set. */
  public readonly accessPolicy?: Policy;

  constructor(scope: Construct, id: string, proxy: LiteLLMProxy, props: NginxIncEdgeProps) {
    super(scope, id);
    try {
      this.settings = resolveEdge(proxy, props, props?.hosts, NGINX_INC_TRAITS);
      const s = this.settings;
      const labels = standardLabels(s.name, 'edge');

      if (s.allowSourceRanges.length > 0) {
        this.accessPolicy = new Policy(this, 'AccessControl', {
          metadata: { name: `${s.name}-allow`, labels },
          // accessControl.allow: every other client gets 403 (policy-resource docs).
          spec: { accessControl: { allow: [...s.allowSourceRanges] } },
        });
      }

      const annotations: Record<string, string> = {
        // Boolean annotation, "True" by default on this controller.
        'nginx.org/proxy-buffering': 'false',
        'nginx.org/proxy-read-timeout': seconds(s.streamIdleTimeoutSeconds),
        'nginx.org/proxy-send-timeout': seconds(s.streamIdleTimeoutSeconds),
        'nginx.org/proxy-connect-timeout': seconds(s.connectTimeoutSeconds),
        ...(s.maxRequestBody !== undefined ? { 'nginx.org/client-max-body-size': s.maxRequestBody.text } : {}),
        ...(this.accessPolicy !== undefined ? { 'nginx.org/policies': this.accessPolicy.name } : {}),
        // Unconditional 301 for TLS hosts (default True). `nginx.org/redirect-to-https` is the
        // X-Forwarded-Proto variant for TLS terminated in front of NGINX, not used here.
        ...(s.tls !== undefined ? { 'ingress.kubernetes.io/ssl-redirect': String(s.redirectHttpToHttps) } : {}),
        ...certManagerAnnotations(s),
      };

      this.ingress = new k8s.KubeIngress(this, 'Resource', {
        metadata: { name: s.name, labels, annotations },
        spec: ingressSpec(s),
      });
      admitController(proxy, s);
      claimRoutes(this, s);
    } catch (e) {
      throw inStack(e, this);
    }
  }

  public get apiObjects(): ApiObject[] {
    return [this.ingress, ...(this.accessPolicy ? [this.accessPolicy] : [])];
  }
}
