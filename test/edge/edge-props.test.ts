import { EDGE_CONTROLLERS, EdgeCase, buildEdge } from '../support/edges';
import { Testing } from 'cdk8s';
import { Edge, EdgeProps, IngressNginxEdge } from '../../lib';
import { parseBodySize } from '../../lib/edge/edge-props';
import { one, synth, testChart } from '../support/synth';
import { proxyIn } from './fixtures';

function nginx(props: Partial<EdgeProps>, proxyOverrides = {}): any[] {
  return synth(chart => new IngressNginxEdge(chart, 'edge', proxyIn(chart, proxyOverrides), { hosts: ['llm.example.com'], ...props }));
}

describe('shared edge props and the timeout agreement', () => {
  test('GIVEN a stream timeout shorter than the proxy non-streaming bound THEN an error names the bound and how it is made up', () => {
    expect(() => nginx({ streamIdleTimeoutSeconds: 600 }))
      .toThrow(/streamIdleTimeoutSeconds: received 600; must be at least 1983 s: .*\(3 attempt\(s\) × 600 s \+ 182\.25 s backoff = 1983 s\)/);
    // Without retries the first failure goes back at once: no backoff.
    expect(() => nginx({ streamIdleTimeoutSeconds: 1199 }, { requestTimeoutSeconds: 1200, router: { numRetries: 0 } }))
      .toThrow(/streamIdleTimeoutSeconds: received 1199; must be at least 1200 s: .*\(1 attempt\(s\) × 1200 s \+ 0 s backoff = 1200 s\)/);
  });

  test('GIVEN a model timeout above the request timeout THEN the bound uses the model timeout', () => {
    const proxyProps = { requestTimeoutSeconds: 60, router: { numRetries: 1 }, models: [{ name: 'slow', model: 'openai/o3', timeoutSeconds: 300 }] };
    expect(() => nginx({ streamIdleTimeoutSeconds: 400 }, proxyProps)).toThrow(/must be at least 722 s: .*2 attempt\(s\) × 300 s \+ 121\.5 s backoff/);
  });

  test('GIVEN the stream timeout equals the proxy non-streaming bound THEN it is accepted', () => {
    expect(one(nginx({ streamIdleTimeoutSeconds: 1983 }), 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('1983');
  });

  test('GIVEN no stream timeout THEN it is the proxy non-streaming bound plus 30 s', () => {
    expect(one(nginx({}), 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('2013');
    expect(one(nginx({}, { requestTimeoutSeconds: 120, router: { numRetries: 0 } }), 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('150');
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

describe('Edge (the controller choice)', () => {
  const shared = { hosts: ['llm.example.com'], tls: { secretName: 'cert' } };
  test.each([
    [{ controller: 'ingress-nginx', ...shared }, 'Ingress'],
    [{ controller: 'nginx-inc', ...shared }, 'Ingress'],
    [{ controller: 'traefik', ...shared }, 'IngressRoute'],
    [{ controller: 'gateway-api', hosts: ['llm.example.com'], gateway: { name: 'gw' }, controllerNamespace: 'gw-system' }, 'HTTPRoute'],
  ])('GIVEN %j THEN the matching construct is built', (options, kind) => {
    const chart = testChart();
    const edge = buildEdge(chart, 'edge', proxyIn(chart), options as EdgeCase);
    expect(edge.controller).toBe(options.controller);
    expect(edge.apiObjects[0].kind).toBe(kind);
  });

  test('GIVEN hosts among the edge options THEN they are refused: hosts belong to the stack or tenant', () => {
    const chart = testChart();
    expect(() => Edge.ingressNginx({ hosts: ['a.example.com'] } as any).bind(chart, 'edge', proxyIn(chart), ['b.example.com']))
      .toThrow(/\[test\] edge\.hosts: received an array of 1; hosts belong to the stack \(its `hosts` prop\) or to each fleet tenant/);
  });
});

describe('what the API server would reject later', () => {
  const base = { controllerNamespace: 'edge-system' };
  const options = (controller: string): Record<string, unknown> => (controller === 'gateway-api'
    ? { controller, hosts: ['llm.example.com'], ...base, gateway: { name: 'gw' } }
    : { controller, hosts: ['llm.example.com'], ...base, tls: { secretName: 'cert' } });
  const build = (controller: string, props: Record<string, unknown>) => {
    const chart = testChart();
    return buildEdge(chart, 'edge', proxyIn(chart), { ...options(controller), ...props } as unknown as EdgeCase);
  };

  test.each(['ingress-nginx', 'nginx-inc', 'traefik', 'gateway-api'].flatMap(c =>
    ['203.0.113.10', '2001:db8::1', '010.0.0.1', 'llm.example.123'].map(h => [c, h] as const)))('%s: host %s is an address, not a name', (controller, host) => {
    expect(() => build(controller, { hosts: ['llm.example.com', host] }))
      .toThrow(/^\[test\] hosts\[1\]: received ".*"; must be a DNS host name, not an IP address: Ingress rules, HTTPRoute hostnames and Traefik Host\(\) rules match names only/);
  });

  test.each<[Record<string, unknown>, RegExp]>([
    [{ 'app.kubernetes.io/name': 'bad value!' }, /^\[test\] controllerPodLabels\.app\.kubernetes\.io\/name: received "bad value!"; must be a label value/],
    [{ app: 'b c' }, /^\[test\] controllerPodLabels\.app: received "b c"; must be a label value/],
    [{ 'bad key': 'x' }, /^\[test\] controllerPodLabels: received "bad key"; label keys must be qualified names/],
    [{ app: 5 }, /^\[test\] controllerPodLabels\.app: received 5; must be a label value/],
  ])('controllerPodLabels %j is refused naming controllerPodLabels', (labels, message) => {
    for (const controller of EDGE_CONTROLLERS) expect(() => build(controller, { controllerPodLabels: labels })).toThrow(message);
  });

  test('valid controller pod labels (prefixed keys, empty values) are admitted as given', () => {
    const chart = testChart();
    const proxy = proxyIn(chart);
    buildEdge(chart, 'edge', proxy, { controller: 'traefik', hosts: ['llm.example.com'], controllerPodLabels: { 'app.kubernetes.io/name': 'traefik', tier: '' } });
    const np = Testing.synth(chart).find((o: any) => o.kind === 'NetworkPolicy');
    expect(np.spec.ingress.flatMap((r: any) => r.from).find((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'traefik').podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'traefik', tier: '' });
  });
});
