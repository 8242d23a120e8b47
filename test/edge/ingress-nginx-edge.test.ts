import { IngressNginxEdge, IngressNginxEdgeProps } from '../../lib/edge';
import { schemaErrors } from '../support/schema';
import { one, synth } from '../support/synth';
import { admittedNamespaces, annotationKeys, proxyIn } from './fixtures';

const P = 'nginx.ingress.kubernetes.io';

function build(props: Partial<IngressNginxEdgeProps> = {}, proxyOverrides = {}): any[] {
  return synth(chart => new IngressNginxEdge(chart, 'edge', proxyIn(chart, proxyOverrides), { hosts: ['llm.example.com'], ...props }));
}

describe('IngressNginxEdge', () => {
  const full = build({
    hosts: ['llm.example.com', 'api.example.com'],
    tls: { clusterIssuer: 'letsencrypt-prod' },
    allowSourceRanges: ['203.0.113.0/24', '2001:db8::/32'],
    maxRequestBodySize: '20m',
    streamIdleTimeoutSeconds: 3600,
  });

  test('GIVEN defaults WHEN synthesized THEN every SSE-relevant annotation is a string with the stream-safe value', () => {
    const ingress = one(build(), 'Ingress');
    expect(ingress.metadata.annotations).toEqual({
      [`${P}/proxy-buffering`]: 'off',
      [`${P}/proxy-http-version`]: '1.1',
      // proxy requestTimeoutSeconds 600 + 30 s margin, integer seconds without a unit
      [`${P}/proxy-read-timeout`]: '2013',
      [`${P}/proxy-send-timeout`]: '2013',
      [`${P}/proxy-connect-timeout`]: '5',
      [`${P}/proxy-body-size`]: '10m',
    });
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.spec.rules).toEqual([{
      host: 'llm.example.com',
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'litellm', port: { number: 4000 } } } }] },
    }]);
  });

  test('GIVEN an explicit stream timeout, body size, allow-list and issuer THEN they are rendered', () => {
    const a = one(full, 'Ingress').metadata.annotations;
    expect(a[`${P}/proxy-read-timeout`]).toBe('3600');
    expect(a[`${P}/proxy-send-timeout`]).toBe('3600');
    expect(a[`${P}/proxy-body-size`]).toBe('20m');
    expect(a[`${P}/allowlist-source-range`]).toBe('203.0.113.0/24,2001:db8::/32');
    expect(a[`${P}/ssl-redirect`]).toBe('true');
    expect(a['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    expect(Object.values(a).every(v => typeof v === 'string')).toBe(true);
  });

  test('GIVEN tls with an issuer THEN spec.tls names every host and the issued Secret', () => {
    expect(one(full, 'Ingress').spec.tls).toEqual([{ hosts: ['llm.example.com', 'api.example.com'], secretName: 'litellm-tls' }]);
  });

  test('GIVEN a namespaced issuer or an existing Secret THEN the matching annotation or none is used', () => {
    expect(one(build({ tls: { issuer: 'local-ca' } }), 'Ingress').metadata.annotations['cert-manager.io/issuer']).toBe('local-ca');
    const existing = one(build({ tls: { secretName: 'wildcard-cert' } }), 'Ingress');
    expect(existing.spec.tls[0].secretName).toBe('wildcard-cert');
    expect(Object.keys(existing.metadata.annotations).filter(k => k.startsWith('cert-manager.io/'))).toEqual([]);
  });

  test('GIVEN tls and redirectHttpToHttps false THEN ssl-redirect is "false"', () => {
    const a = one(build({ tls: { secretName: 'cert' }, redirectHttpToHttps: false }), 'Ingress').metadata.annotations;
    expect(a[`${P}/ssl-redirect`]).toBe('false');
  });

  test('GIVEN any chart THEN no snippet annotation and no buffering appears anywhere', () => {
    const text = JSON.stringify(full);
    expect(annotationKeys(full).filter(k => /snippet/.test(k))).toEqual([]);
    expect(text).not.toMatch(/snippet/);
    expect(text).not.toMatch(/"proxy-buffering":"on"/);
  });

  test('GIVEN the default controller namespace THEN the proxy NetworkPolicy admits ingress-nginx', () => {
    expect(admittedNamespaces(full)).toEqual([undefined, 'ingress-nginx']);
  });

  test('GIVEN controllerNamespace and controllerPodLabels THEN only those pods are admitted', () => {
    const np = one(build({ controllerNamespace: 'edge', controllerPodLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } }), 'NetworkPolicy');
    expect(np.spec.ingress[0].from[1]).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
    });
  });

  test('snapshot', () => {
    expect(full).toMatchSnapshot();
  });

  test('every object passes the upstream schemas', () => {
    expect(schemaErrors(full)).toEqual([]);
  });
});
