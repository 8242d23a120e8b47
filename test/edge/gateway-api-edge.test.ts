import { GatewayApiEdge, GatewayApiEdgeProps } from '../../lib/edge';
import { schemaErrors } from '../support/schema';
import { byKind, one, synth } from '../support/synth';
import { admittedNamespaces, proxyIn } from './fixtures';

function build(props: Partial<GatewayApiEdgeProps> = {}): any[] {
  return synth(chart => new GatewayApiEdge(chart, 'edge', proxyIn(chart), {
    hosts: ['llm.example.com'], gateway: { name: 'public' }, controllerNamespace: 'envoy-gateway-system', ...props,
  }));
}

describe('GatewayApiEdge', () => {
  const full = build({
    gateway: { name: 'public', namespace: 'gateways', sectionName: 'https', httpSectionName: 'http' },
    redirectHttpToHttps: true,
    path: '/v1',
  });

  test('GIVEN defaults THEN an HTTPRoute attaches to the Gateway with timeouts "0s" (never cuts a stream)', () => {
    const objects = build();
    const route = one(objects, 'HTTPRoute');
    expect(route.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
      hostnames: ['llm.example.com'],
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'litellm', port: 4000 }],
        timeouts: { request: '0s', backendRequest: '0s' },
      }],
    });
    expect(byKind(objects, 'Gateway')).toEqual([]);
  });

  test('GIVEN an explicit stream timeout THEN it caps request and backendRequest alike', () => {
    const route = one(build({ streamIdleTimeoutSeconds: 3600 }), 'HTTPRoute');
    expect(route.spec.rules[0].timeouts).toEqual({ request: '3600s', backendRequest: '3600s' });
  });

  test('GIVEN redirectHttpToHttps THEN the proxy route uses the HTTPS listener and a redirect-only route the HTTP one', () => {
    const [main, redirect] = byKind(full, 'HTTPRoute');
    expect(main.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }]);
    expect(main.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/v1' } }]);
    expect(redirect.metadata.name).toBe('litellm-http');
    expect(redirect.spec.parentRefs[0].sectionName).toBe('http');
    expect(redirect.spec.rules).toEqual([{
      matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
    }]);
  });

  test('THEN the proxy NetworkPolicy admits the data-plane namespace', () => {
    expect(admittedNamespaces(full)).toEqual([undefined, 'envoy-gateway-system']);
  });

  test.each([
    ['tls', { tls: { secretName: 'x' } }, /tls: received .*not supported on gateway-api: TLS terminates on the Gateway listener/],
    ['maxRequestBodySize', { maxRequestBodySize: '10m' }, /maxRequestBodySize: received "10m"; not supported on gateway-api: the Gateway API has no standard field/],
    ['allowSourceRanges', { allowSourceRanges: ['10.0.0.0/8'] }, /allowSourceRanges: received an array of 1; not supported on gateway-api/],
    ['connectTimeoutSeconds', { connectTimeoutSeconds: 3 }, /connectTimeoutSeconds: received 3; not supported on gateway-api/],
    ['ingressClassName', { ingressClassName: 'nginx' }, /ingressClassName: received "nginx"; not supported on gateway-api: the Gateway's gatewayClassName/],
  ])('GIVEN %s THEN it is an error, never silently ignored', (_name, props, message) => {
    expect(() => build(props as Partial<GatewayApiEdgeProps>)).toThrow(message);
  });

  test('GIVEN no controllerNamespace THEN it is required', () => {
    expect(() => build({ controllerNamespace: undefined })).toThrow(/controllerNamespace: received undefined; required on gateway-api/);
  });

  test('GIVEN redirect without both listeners THEN it is an error', () => {
    expect(() => build({ redirectHttpToHttps: true, gateway: { name: 'public', sectionName: 'https' } }))
      .toThrow(/gateway: received .*; redirectHttpToHttps needs gateway.sectionName .* and gateway.httpSectionName/);
    expect(() => build({ redirectHttpToHttps: true, gateway: { name: 'public', sectionName: 'web', httpSectionName: 'web' } }))
      .toThrow(/gateway.httpSectionName: received "web"; must differ from gateway.sectionName/);
    expect(() => build({ gateway: { name: 'public', httpSectionName: 'http' } }))
      .toThrow(/gateway.httpSectionName: received "http"; is only used with redirectHttpToHttps: true/);
  });

  test('GIVEN a bad gateway reference THEN it is an error', () => {
    expect(() => build({ gateway: undefined as any })).toThrow(/gateway: received undefined; must name the existing Gateway/);
    expect(() => build({ gateway: { name: 'Public' } })).toThrow(/gateway.name: received "Public"; must be a DNS-1123 subdomain/);
  });

  test('snapshot', () => {
    expect(full).toMatchSnapshot();
  });

  test('every object passes the upstream schemas', () => {
    expect(schemaErrors(full)).toEqual([]);
  });
});
