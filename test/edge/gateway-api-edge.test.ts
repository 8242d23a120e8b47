import { Testing } from 'cdk8s';
import { GatewayApiEdge, GatewayApiEdgeProps, GatewayImplementation } from '../../lib/edge';
import { Edge, LiteLLMFleet, LiteLLMStack } from '../../lib';
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

  describe('implementation: ENVOY_GATEWAY', () => {
    const envoy = (props: Partial<GatewayApiEdgeProps> = {}) => build({ implementation: GatewayImplementation.ENVOY_GATEWAY, ...props });

    test('GIVEN defaults THEN a BackendTrafficPolicy on the route sets the stream idle timeout to the edge\'s stream timeout (bound + 30 s)', () => {
      const objects = envoy();
      const btp = one(objects, 'BackendTrafficPolicy');
      expect(btp.apiVersion).toBe('gateway.envoyproxy.io/v1alpha1');
      expect(btp.metadata.name).toBe('litellm');
      expect(btp.spec).toEqual({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'litellm' }],
        mergeType: 'JSONMerge',
        timeout: {
          // 3 attempts × 600 s + 182.25 s backoff = 1983 s, + 30 s: the number the other edges use as read timeout.
          http: { streamIdleTimeout: '2013s', maxStreamDuration: '0s', connectionIdleTimeout: '1s' },
          tcp: { connectTimeout: '5s' },
        },
        retry: { numRetries: 1, retryOn: { triggers: ['connect-failure', 'refused-stream', 'reset-before-request'] } },
      });
      // The route itself is unchanged: it still carries the portable timeouts (which win over the policy's requestTimeout).
      expect(one(objects, 'HTTPRoute').spec.rules[0].timeouts).toEqual({ request: '0s', backendRequest: '0s' });
      expect(byKind(objects, 'ClientTrafficPolicy')).toEqual([]);
    });

    test('GIVEN a slower proxy THEN the idle timeout follows its bound, never shorter than a silent non-streaming answer', () => {
      const objects = synth(chart => new GatewayApiEdge(chart, 'edge', proxyIn(chart, { requestTimeoutSeconds: 900, router: { numRetries: 0 } }), {
        hosts: ['llm.example.com'], gateway: { name: 'public' }, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY,
      }));
      const http = one(objects, 'BackendTrafficPolicy').spec.timeout.http;
      // One attempt of 900 s, no backoff, + 30 s.
      expect(http.streamIdleTimeout).toBe('930s');
    });

    test('GIVEN an explicit stream timeout and connect timeout THEN both reach the policy, and maxStreamDuration repeats the route cap', () => {
      const btp = one(envoy({ streamIdleTimeoutSeconds: 3600, connectTimeoutSeconds: 3 }), 'BackendTrafficPolicy');
      expect(btp.spec.timeout).toEqual({
        http: { streamIdleTimeout: '3600s', maxStreamDuration: '3600s', connectionIdleTimeout: '1s' },
        tcp: { connectTimeout: '3s' },
      });
    });

    test('THEN Envoy never re-sends a request that reached LiteLLM: only connect-level triggers, one retry', () => {
      const retry = one(envoy(), 'BackendTrafficPolicy').spec.retry;
      for (const unsafe of ['5xx', 'gateway-error', 'reset', 'retriable-4xx', 'retriable-status-codes', 'unavailable', 'cancelled', 'deadline-exceeded']) {
        expect(retry.retryOn.triggers).not.toContain(unsafe);
      }
      expect(retry.retryOn.httpStatusCodes).toBeUndefined();
      expect(retry.numRetries).toBe(1);
    });

    test('GIVEN a redirect route THEN the policy targets the proxy route only', () => {
      const objects = envoy({ gateway: { name: 'public', namespace: 'gateways', sectionName: 'https', httpSectionName: 'http' }, redirectHttpToHttps: true });
      expect(one(objects, 'BackendTrafficPolicy').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'litellm' }]);
    });

    test('GIVEN clientTrafficPolicy on a Gateway in the stack\'s namespace THEN a ClientTrafficPolicy sets its listener\'s stream idle timeout', () => {
      const objects = envoy({ gateway: { name: 'llm', sectionName: 'https' }, clientTrafficPolicy: true });
      const ctp = one(objects, 'ClientTrafficPolicy');
      expect(ctp.metadata.namespace).toBe('litellm');
      expect(ctp.spec).toEqual({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'llm', sectionName: 'https' }],
        timeout: { http: { streamIdleTimeout: '2013s' } },
      });
      const same = envoy({ gateway: { name: 'llm', namespace: 'litellm' }, clientTrafficPolicy: true });
      expect(one(same, 'ClientTrafficPolicy').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'llm' }]);
      expect(schemaErrors([...objects, ...same])).toEqual([]);
    });

    test('GIVEN clientTrafficPolicy on a Gateway elsewhere THEN it is refused: the stack does not own it', () => {
      expect(() => envoy({ gateway: { name: 'public', namespace: 'gateways' }, clientTrafficPolicy: true }))
        .toThrow(/clientTrafficPolicy: received true; needs a Gateway this stack owns, in its own namespace \("litellm"\); Gateway gateways\/public is elsewhere/);
    });

    test('GIVEN clientTrafficPolicy without the Envoy Gateway profile THEN it is an error', () => {
      expect(() => build({ clientTrafficPolicy: true })).toThrow(/clientTrafficPolicy: received true; is an Envoy Gateway policy: give implementation: GatewayImplementation.ENVOY_GATEWAY/);
      expect(() => build({ clientTrafficPolicy: 'yes' as any })).toThrow(/clientTrafficPolicy: received "yes"; must be true or false/);
    });

    test('GIVEN an unknown implementation THEN the error names the choices', () => {
      expect(() => build({ implementation: 'envoy' as any }))
        .toThrow(/implementation: received "envoy"; must be one of GatewayImplementation.GENERIC \("generic"\), GatewayImplementation.ENVOY_GATEWAY \("envoy-gateway"\)/);
    });

    test('GIVEN GENERIC THEN no policy is emitted and connectTimeoutSeconds stays refused', () => {
      expect(byKind(build({ implementation: GatewayImplementation.GENERIC }), 'BackendTrafficPolicy')).toEqual([]);
      expect(() => build({ implementation: GatewayImplementation.GENERIC, connectTimeoutSeconds: 3 })).toThrow(/connectTimeoutSeconds: received 3; not supported on gateway-api/);
    });

    test('THEN the policies pass the v1.9.0 CRD schemas, and their CEL rules hold', () => {
      const objects = envoy({ gateway: { name: 'llm', sectionName: 'https', httpSectionName: 'http' }, redirectHttpToHttps: true, clientTrafficPolicy: true });
      expect(schemaErrors(objects)).toEqual([]);
      const btp = one(objects, 'BackendTrafficPolicy').spec;
      // BTP: "mergeType can only be used with xRoute targets"; "either targetRef or targetRefs"; group gateway.networking.k8s.io.
      expect(btp.targetRef).toBeUndefined();
      expect(btp.targetRefs.every((r: any) => r.group === 'gateway.networking.k8s.io' && r.kind === 'HTTPRoute')).toBe(true);
      expect(btp.mergeType).not.toBe('Replace');
      // CTP: targetRefs[*].kind in Gateway/ListenerSet.
      expect(one(objects, 'ClientTrafficPolicy').spec.targetRefs.every((r: any) => r.kind === 'Gateway')).toBe(true);
    });

    test('GIVEN a stack THEN the policies carry the edge\'s sync wave', () => {
      const app = Testing.app();
      const stack = new LiteLLMStack(app, 'stack', {
        namespace: 'llm', models: [{ name: 'gpt-4o', model: 'openai/gpt-4o' }], masterKey: { name: 'm', key: 'k' }, redis: { password: { name: 'r', key: 'p' } },
        edge: Edge.gatewayApi({ gateway: { name: 'llm' }, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY, clientTrafficPolicy: true }),
        hosts: ['llm.example.com'],
      });
      const objects = Testing.synth(stack);
      for (const kind of ['HTTPRoute', 'BackendTrafficPolicy', 'ClientTrafficPolicy']) {
        expect(one(objects, kind).metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
      }
    });

    test('GIVEN a fleet on a shared Gateway THEN clientTrafficPolicy is refused against the fleet; the route policies are every tenant\'s', () => {
      const fleet = (gateway: { name: string; namespace?: string }, clientTrafficPolicy?: boolean) => {
        const app = Testing.app();
        const f = new LiteLLMFleet(app, 'fleet', {
          models: [{ name: 'gpt-4o', model: 'openai/gpt-4o' }], masterKey: { name: 'm', key: 'k' }, redis: { password: { name: 'r', key: 'p' } },
          edge: Edge.gatewayApi({ gateway, controllerNamespace: 'eg', implementation: GatewayImplementation.ENVOY_GATEWAY, clientTrafficPolicy }),
          domain: 'llm.example.com', tenants: [{ name: 'a' }, { name: 'b' }],
        });
        return f.stacks.map(s => Testing.synth(s));
      };
      expect(() => fleet({ name: 'public', namespace: 'gateways' }, true))
        .toThrow(/^\[fleet\] edge\.clientTrafficPolicy: received true; needs a Gateway this stack owns, in its own namespace \("a"\); Gateway gateways\/public is elsewhere/);
      const tenants = fleet({ name: 'public', namespace: 'gateways' });
      expect(tenants.map(t => one(t, 'BackendTrafficPolicy').metadata.namespace)).toEqual(['a', 'b']);
      expect(tenants.flatMap(t => byKind(t, 'ClientTrafficPolicy'))).toEqual([]);
      // A Gateway per tenant, in its namespace: each tenant owns its own, so each gets its policy.
      expect(fleet({ name: 'llm' }, true).map(t => one(t, 'ClientTrafficPolicy').metadata.namespace)).toEqual(['a', 'b']);
    });
  });
});
