import { NginxIncEdge, NginxIncEdgeProps } from '../../lib/edge';
import { schemaErrors } from '../support/schema';
import { byKind, one, synth } from '../support/synth';
import { admittedNamespaces, annotationKeys, proxyIn } from './fixtures';

function build(props: Partial<NginxIncEdgeProps> = {}): any[] {
  return synth(chart => new NginxIncEdge(chart, 'edge', proxyIn(chart), { hosts: ['llm.example.com'], ...props }));
}

describe('NginxIncEdge (F5 NGINX Ingress Controller)', () => {
  const full = build({
    tls: { issuer: 'local-ca' },
    allowSourceRanges: ['10.0.0.0/8', '192.168.0.0/16'],
    streamIdleTimeoutSeconds: 2400,
    connectTimeoutSeconds: 10,
  });

  test('GIVEN defaults THEN buffering is turned off ("false": its default is on) and timeouts carry units', () => {
    const ingress = one(build(), 'Ingress');
    expect(ingress.metadata.annotations).toEqual({
      'nginx.org/proxy-buffering': 'false',
      'nginx.org/proxy-read-timeout': '2013s',
      'nginx.org/proxy-send-timeout': '2013s',
      'nginx.org/proxy-connect-timeout': '5s',
      'nginx.org/client-max-body-size': '10m',
    });
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(byKind(build(), 'Policy')).toEqual([]);
  });

  test('GIVEN an allow-list THEN a Policy with accessControl.allow is referenced by nginx.org/policies', () => {
    const policy = one(full, 'Policy');
    expect(policy.apiVersion).toBe('k8s.nginx.org/v1');
    expect(policy.metadata.name).toBe('litellm-allow');
    expect(policy.spec).toEqual({ accessControl: { allow: ['10.0.0.0/8', '192.168.0.0/16'] } });
    expect(one(full, 'Ingress').metadata.annotations['nginx.org/policies']).toBe('litellm-allow');
  });

  test('GIVEN explicit timeouts, TLS and an Issuer THEN they are rendered with units, redirect and cert-manager', () => {
    const ingress = one(full, 'Ingress');
    const a = ingress.metadata.annotations;
    expect(a['nginx.org/proxy-read-timeout']).toBe('2400s');
    expect(a['nginx.org/proxy-send-timeout']).toBe('2400s');
    expect(a['nginx.org/proxy-connect-timeout']).toBe('10s');
    expect(a['ingress.kubernetes.io/ssl-redirect']).toBe('true');
    expect(a['cert-manager.io/issuer']).toBe('local-ca');
    expect(ingress.spec.tls).toEqual([{ hosts: ['llm.example.com'], secretName: 'litellm-tls' }]);
  });

  test('GIVEN redirectHttpToHttps false THEN ssl-redirect is "false"', () => {
    expect(one(build({ tls: { secretName: 's' }, redirectHttpToHttps: false }), 'Ingress')
      .metadata.annotations['ingress.kubernetes.io/ssl-redirect']).toBe('false');
  });

  test('GIVEN any chart THEN no snippet annotation appears and buffering is never on', () => {
    expect(annotationKeys(full).filter(k => /snippet/.test(k))).toEqual([]);
    expect(JSON.stringify(full)).not.toMatch(/snippet|"nginx.org\/proxy-buffering":"true"/);
  });

  test('THEN the proxy NetworkPolicy admits the nginx-ingress namespace', () => {
    expect(admittedNamespaces(full)).toEqual([undefined, 'nginx-ingress']);
  });

  test('snapshot', () => {
    expect(full).toMatchSnapshot();
  });

  test('every object passes the upstream schemas', () => {
    expect(schemaErrors(full)).toEqual([]);
  });
});
