import { Edge, EdgeOptions, EdgeProps, IngressNginxEdge, parseBodySize } from '../../lib/edge';
import { one, synth, testChart } from '../support/synth';
import { proxyIn } from './fixtures';

function nginx(props: Partial<EdgeProps>, proxyOverrides = {}): any[] {
  return synth(chart => new IngressNginxEdge(chart, 'edge', proxyIn(chart, proxyOverrides), { hosts: ['llm.example.com'], ...props }));
}

describe('shared edge props and the timeout agreement', () => {
  test('GIVEN a stream timeout shorter than the proxy request timeout THEN an error names both values', () => {
    expect(() => nginx({ streamIdleTimeoutSeconds: 300 }))
      .toThrow(/streamIdleTimeoutSeconds: received 300; must be at least the proxy's requestTimeoutSeconds \(600\)/);
    expect(() => nginx({ streamIdleTimeoutSeconds: 900 }, { requestTimeoutSeconds: 1200 }))
      .toThrow(/streamIdleTimeoutSeconds: received 900; .*requestTimeoutSeconds \(1200\)/);
  });

  test('GIVEN a proxy drain shorter than its request timeout THEN the edge refuses it, naming both', () => {
    expect(() => nginx({}, { drainTimeoutSeconds: 60 }))
      .toThrow(/drainTimeoutSeconds: received 60; the proxy's drainTimeoutSeconds must be at least its requestTimeoutSeconds \(600\)/);
  });

  test('GIVEN the stream timeout equals the proxy request timeout THEN it is accepted', () => {
    expect(one(nginx({ streamIdleTimeoutSeconds: 600 }), 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('600');
  });

  test('GIVEN no stream timeout THEN it follows the proxy request timeout plus 30 s', () => {
    expect(one(nginx({}, { requestTimeoutSeconds: 1800 }), 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('1830');
  });

  test.each([
    [{ streamIdleTimeoutSeconds: 0 }, /streamIdleTimeoutSeconds: received 0; must be an integer from 1 to 86400/],
    [{ streamIdleTimeoutSeconds: 100000 }, /streamIdleTimeoutSeconds: received 100000; must be an integer from 1 to 86400/],
    [{ connectTimeoutSeconds: 76 }, /connectTimeoutSeconds: received 76; must be an integer from 1 to 75/],
    [{ connectTimeoutSeconds: 2.5 }, /connectTimeoutSeconds: received 2.5; must be an integer from 1 to 75/],
    [{ hosts: [] }, /hosts: received an array of 0; must list at least one DNS host name/],
    [{ hosts: ['LLM.example.com'] }, /hosts\[0\]: received "LLM.example.com"; must be a DNS-1123 subdomain/],
    [{ hosts: ['*.example.com'] }, /hosts\[0\]: received "\*.example.com"; must be a DNS-1123 subdomain/],
    [{ hosts: ['localhost'] }, /hosts\[0\]: received "localhost"; must be a fully qualified host name/],
    [{ hosts: ['a.example.com', 'a.example.com'] }, /hosts\[1\]: received "a.example.com"; host names must be unique/],
    [{ path: 'v1' }, /path: received "v1"; must be an absolute URL path/],
    [{ path: '/v1 x' }, /path: received "\/v1 x"; must be an absolute URL path/],
    [{ maxRequestBodySize: '10MB' }, /maxRequestBodySize: received "10MB"; must be a size such as "10m"/],
    [{ maxRequestBodySize: '-1' }, /maxRequestBodySize: received "-1"; must be a size/],
    [{ allowSourceRanges: ['10.0.0.1'] }, /allowSourceRanges\[0\]: received "10.0.0.1"; must be an IPv4 or IPv6 CIDR/],
    [{ allowSourceRanges: ['300.0.0.0/8'] }, /allowSourceRanges\[0\]: received "300.0.0.0\/8"; must be an IPv4 or IPv6 CIDR/],
    [{ allowSourceRanges: ['10.0.0.0/33'] }, /allowSourceRanges\[0\]: received "10.0.0.0\/33"; must be an IPv4 or IPv6 CIDR/],
    [{ allowSourceRanges: [] }, /allowSourceRanges: received an array of 0; must list at least one CIDR/],
    [{ tls: { secretName: 'a', clusterIssuer: 'x', issuer: 'y' } }, /tls: received .*; give either clusterIssuer or issuer, not both/],
    [{ tls: 'cert' as any }, /tls: received "cert"; must be \{ secretName \} or \{ clusterIssuer \} or \{ issuer \}/],
    [{ tls: {} }, /tls.secretName: received undefined; required when no clusterIssuer or issuer is given/],
    [{ tls: { clusterIssuer: 'Bad_Issuer' } }, /tls.clusterIssuer: received "Bad_Issuer"; must be a DNS-1123 subdomain/],
    [{ redirectHttpToHttps: true }, /redirectHttpToHttps: received true; needs `tls`/],
    [{ redirectHttpToHttps: 'yes' as any }, /redirectHttpToHttps: received "yes"; must be true or false/],
    [{ ingressClassName: 'Nginx' }, /ingressClassName: received "Nginx"; must be a DNS-1123 subdomain/],
    [{ controllerNamespace: 'Ingress_NS' }, /controllerNamespace: received "Ingress_NS"; must be a DNS-1123 label/],
    [{ name: 'Edge' }, /name: received "Edge"; must be a DNS-1123 label/],
  ])('GIVEN %j THEN a LiteLLMConfigError names the prop, value and what is allowed', (props, message) => {
    expect(() => nginx(props as Partial<EdgeProps>)).toThrow(message);
  });

  test('GIVEN no props THEN the error says hosts are needed', () => {
    const chart = testChart();
    expect(() => new IngressNginxEdge(chart, 'edge', proxyIn(chart), undefined as any)).toThrow(/props: received undefined; an edge needs props with at least `hosts`/);
  });

  test('parseBodySize converts nginx sizes to bytes', () => {
    expect(parseBodySize('s', '0').bytes).toBe(0);
    expect(parseBodySize('s', '512k').bytes).toBe(512 * 1024);
    expect(parseBodySize('s', '10m').bytes).toBe(10 * 1024 ** 2);
    expect(parseBodySize('s', '1g').bytes).toBe(1024 ** 3);
  });
});

describe('Edge.forController', () => {
  const shared = { hosts: ['llm.example.com'], tls: { secretName: 'cert' } };
  test.each([
    [{ controller: 'ingress-nginx', ...shared }, 'Ingress'],
    [{ controller: 'nginx-inc', ...shared }, 'Ingress'],
    [{ controller: 'traefik', ...shared }, 'IngressRoute'],
    [{ controller: 'gateway-api', hosts: ['llm.example.com'], gateway: { name: 'gw' }, controllerNamespace: 'gw-system' }, 'HTTPRoute'],
  ])('GIVEN %j THEN the matching construct is built', (options, kind) => {
    const chart = testChart();
    const edge = Edge.forController(chart, 'edge', proxyIn(chart), options as EdgeOptions);
    expect(edge.controller).toBe(options.controller);
    expect(edge.apiObjects[0].kind).toBe(kind);
  });

  test('GIVEN an unknown controller THEN the error lists the allowed ones', () => {
    const chart = testChart();
    expect(() => Edge.forController(chart, 'edge', proxyIn(chart), { controller: 'haproxy', hosts: ['a.example.com'] } as any))
      .toThrow(/controller: received "haproxy"; must be one of "ingress-nginx", "nginx-inc", "traefik", "gateway-api"/);
  });
});
