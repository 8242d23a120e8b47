import { k8s } from 'cdk8s-plus-28';
import { EdgeSettings, TlsIssuerKind } from './edge-props';

/** The Ingress spec both nginx controllers share: class, TLS, one Prefix rule per host. */
export function ingressSpec(s: EdgeSettings): k8s.IngressSpec {
  return {
    ingressClassName: s.ingressClassName,
    ...(s.tls !== undefined ? { tls: [{ hosts: [...s.hosts], secretName: s.tls.secretName }] } : {}),
    rules: s.hosts.map(host => ({
      host,
      http: {
        paths: [{
          path: s.path,
          pathType: 'Prefix',
          backend: { service: { name: s.serviceName, port: { number: s.servicePort } } },
        }],
      },
    })),
  };
}

/**
 * cert-manager's ingress-shim issues the certificate named by spec.tls from
 * these annotations (cert-manager.io/docs/usage/ingress/), whatever the class.
 */
export function certManagerAnnotations(s: EdgeSettings): Record<string, string> {
  const issuer = s.tls?.issuer;
  if (issuer === undefined) return {};
  return issuer.kind === TlsIssuerKind.CLUSTER_ISSUER
    ? { 'cert-manager.io/cluster-issuer': issuer.name }
    : { 'cert-manager.io/issuer': issuer.name };
}
