import { TraefikEdge, TraefikEdgeProps } from '../../lib/edge';
import { schemaErrors } from '../support/schema';
import { byKind, one, synth } from '../support/synth';
import { admittedNamespaces, proxyIn } from './fixtures';

function build(props: Partial<TraefikEdgeProps> = {}): any[] {
  return synth(chart => new TraefikEdge(chart, 'edge', proxyIn(chart), { hosts: ['llm.example.com'], ...props }));
}

describe('TraefikEdge', () => {
  const full = build({
    hosts: ['llm.example.com', 'api.example.com'],
    tls: { clusterIssuer: 'letsencrypt-prod' },
    allowSourceRanges: ['203.0.113.0/24'],
    streamIdleTimeoutSeconds: 3600,
  });

  test('GIVEN defaults THEN a ServersTransport sets dial and response-header timeouts and the route uses it', () => {
    const objects = build();
    expect(one(objects, 'ServersTransport').spec).toEqual({ forwardingTimeouts: { dialTimeout: '5s', responseHeaderTimeout: '2013s' } });
    const route = one(objects, 'IngressRoute');
    expect(route.spec.entryPoints).toEqual(['web']);
    expect(route.spec.routes).toEqual([{
      kind: 'Rule',
      match: '(Host(`llm.example.com`)) && PathPrefix(`/`)',
      services: [{ kind: 'Service', name: 'litellm', port: 4000, serversTransport: 'litellm' }],
    }]);
    expect(route.spec.tls).toBeUndefined();
    expect(byKind(objects, 'Middleware')).toEqual([]);
    expect(byKind(objects, 'Certificate')).toEqual([]);
  });

  test('GIVEN a stream timeout THEN the response-header timeout follows it', () => {
    expect(one(full, 'ServersTransport').spec.forwardingTimeouts.responseHeaderTimeout).toBe('3600s');
  });

  test('GIVEN an issuer THEN a cert-manager Certificate writes the Secret the route serves on websecure', () => {
    const cert = one(full, 'Certificate');
    expect(cert.spec).toEqual({
      secretName: 'litellm-tls',
      dnsNames: ['llm.example.com', 'api.example.com'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-prod' },
      privateKey: { algorithm: 'ECDSA', size: 256 },
    });
    const route = one(full, 'IngressRoute', 'litellm');
    expect(route.spec.entryPoints).toEqual(['websecure']);
    expect(route.spec.tls).toEqual({ secretName: 'litellm-tls' });
  });

  test('GIVEN an existing Secret THEN no Certificate is emitted', () => {
    const objects = build({ tls: { secretName: 'wildcard' } });
    expect(byKind(objects, 'Certificate')).toEqual([]);
    expect(one(objects, 'IngressRoute', 'litellm').spec.tls).toEqual({ secretName: 'wildcard' });
  });

  test('GIVEN an allow-list THEN an ipAllowList Middleware guards the serving route', () => {
    expect(one(full, 'Middleware', 'litellm-allowlist').spec).toEqual({ ipAllowList: { sourceRange: ['203.0.113.0/24'] } });
    expect(one(full, 'IngressRoute', 'litellm').spec.routes[0].middlewares).toEqual([{ name: 'litellm-allowlist' }]);
  });

  test('GIVEN tls THEN a web route redirects to https with a permanent redirectScheme', () => {
    expect(one(full, 'Middleware', 'litellm-redirect-https').spec).toEqual({ redirectScheme: { scheme: 'https', permanent: true } });
    const http = one(full, 'IngressRoute', 'litellm-http');
    expect(http.spec.entryPoints).toEqual(['web']);
    expect(http.spec.routes[0].middlewares).toEqual([{ name: 'litellm-redirect-https' }]);
    expect(byKind(build({ tls: { secretName: 's' }, redirectHttpToHttps: false }), 'IngressRoute').map(r => r.metadata.name)).toEqual(['litellm']);
  });

  test('GIVEN custom entry points and a class THEN they are used', () => {
    const routes = byKind(build({ tls: { secretName: 's' }, entryPoints: { web: 'http', websecure: 'https' }, ingressClassName: 'traefik-public' }), 'IngressRoute');
    expect(routes.map(r => [r.spec.entryPoints, r.spec.ingressClassName])).toEqual([[['https'], 'traefik-public'], [['http'], 'traefik-public']]);
  });

  test('GIVEN a bad entry point name THEN it is an error', () => {
    expect(() => build({ entryPoints: { web: 'Web_1' } })).toThrow(/entryPoints.web: received "Web_1"; must be a DNS-1123 label/);
    expect(() => build({ entryPoints: { websecure: '' } })).toThrow(/entryPoints.websecure: received ""; must be a DNS-1123 label/);
  });

  test('GIVEN any chart THEN no buffering middleware appears anywhere', () => {
    expect(byKind(full, 'Middleware').filter(m => 'buffering' in m.spec)).toEqual([]);
    expect(JSON.stringify(full)).not.toMatch(/buffering|snippet/i);
  });

  test('GIVEN maxRequestBodySize THEN it is refused with the reason; "0" (no limit) is accepted', () => {
    expect(() => build({ maxRequestBodySize: '10m' })).toThrow(/maxRequestBodySize: received "10m"; not supported on traefik: .*buffering middleware.*buffers whole responses/);
    expect(() => build({ maxRequestBodySize: '0' })).not.toThrow();
  });

  test('THEN the proxy NetworkPolicy admits the traefik namespace', () => {
    expect(admittedNamespaces(full)).toEqual([undefined, 'traefik']);
  });

  test('snapshot', () => {
    expect(full).toMatchSnapshot();
  });

  test('every object passes the upstream schemas', () => {
    expect(schemaErrors(full)).toEqual([]);
  });
});
