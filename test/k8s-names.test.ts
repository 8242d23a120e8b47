import { LiteLLMConfigError } from '../lib';
import {
  dns1035Label, dns1123Subdomain, isAnnotationKey, isCidr, isDns1035Label, isDns1123Label, isDns1123Subdomain, isDnsName, isIPAddress,
  isLabelValue, isPortName, isQualifiedName, isRouteHost, labelMap, routeHost,
} from '../lib/k8s-names';
import { nameViolations } from './support/expectations';

/**
 * The shared naming rules against the API server's own verdicts: the cases
 * are those of k8s.io/apimachinery pkg/util/validation/validation_test.go
 * (TestIsDNS1123Label, TestIsDNS1123Subdomain, TestIsDNS1035Label,
 * TestIsQualifiedName, TestIsValidLabelValue), so the rules cannot drift
 * towards what the library happens to emit.
 */

const a = (n: number) => 'a'.repeat(n);

describe('DNS-1123 label / DNS-1035 label / DNS-1123 subdomain', () => {
  test.each(['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', a(63)])('label %j is valid', v => {
    expect(isDns1123Label(v)).toBe(true);
  });
  test.each(['', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '.', 'a.', '.a', 'a.b', ' ', 'a b', a(64)])(
    'label %j is invalid', v => {
      expect(isDns1123Label(v)).toBe(false);
    });

  test.each(['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', a(63)])('DNS-1035 label %j is valid', v => {
    expect(isDns1035Label(v)).toBe(true);
  });
  test.each(['0', '01', '1a', '1-a', '', 'A', 'a-', '-a', 'a.b', a(64)])('DNS-1035 label %j is invalid (Service names start with a letter)', v => {
    expect(isDns1035Label(v)).toBe(false);
  });

  test.each(['a', 'ab', 'a.b', 'a--1--2--b.c', '0.a', 'a.0', '1.2.3.4', 'a.b.c.d.e', a(253)])('subdomain %j is valid', v => {
    expect(isDns1123Subdomain(v)).toBe(true);
  });
  test.each(['', 'A', 'A.a', 'a..b', 'a.', '.a', 'a.-b', 'a-.b', 'a_b.c', 'a b', a(254)])('subdomain %j is invalid', v => {
    expect(isDns1123Subdomain(v)).toBe(false);
  });

  test('the validators name the prop and the rule; a Service-bound name must start with a letter', () => {
    expect(() => dns1035Label('name', '0proxy', 47)).toThrow(
      /^name: received "0proxy"; must be a DNS-1123 label that starts with a letter \(RFC 1035, as Service names must\).*at most 47 characters; it starts with a digit$/);
    expect(() => dns1123Subdomain('tls.secretName', 'Bad_Name')).toThrow(/^tls\.secretName: received "Bad_Name"; must be a DNS-1123 subdomain/);
  });
});

describe('label keys, label values, annotation keys, port names', () => {
  test.each([
    'simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple', 'now-with-dashes/now-with-dashes',
    'now.with.dots/simple', 'now-with.dashes-and.dots/simple', '1-num.2-num/3-num', '1234/5678', '1.2.3.4/5678', 'Uppercase_Is_OK_123',
    'example.com/Uppercase_Is_OK_123', 'requests.storage-foo', a(63), `${a(253)}/${a(63)}`,
  ])('qualified name %j is valid', v => {
    expect(isQualifiedName(v)).toBe(true);
  });
  test.each([
    'nospecialchars%^=@', 'cantendwithadash-', '-cantstartwithadash-', 'only/one/slash', 'Example.com/abc', 'example_com/abc', 'example.com/',
    '/simple', a(64), `${a(254)}/abc`, '', 'bad key',
  ])('qualified name %j is invalid', v => {
    expect(isQualifiedName(v)).toBe(false);
  });

  test.each(['simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', a(63), '', 'A_B.c'])('label value %j is valid', v => {
    expect(isLabelValue(v)).toBe(true);
  });
  test.each(['nospecialchars%^=@', 'Tama-nui-te-rā.is.Māori.sun', '\\backslashes\\are\\bad', '-starts-with-dash', 'ends-with-dash-',
    '.starts.with.dot', 'ends.with.dot.', a(64), 'bad value!', 'b c', 5, null])('label value %j is invalid', v => {
    expect(isLabelValue(v)).toBe(false);
  });

  test('annotation keys are checked lower-cased, as ValidateAnnotations does', () => {
    expect(isAnnotationKey('Example.com/Key')).toBe(true);
    expect(isAnnotationKey('argocd.argoproj.io/sync-wave')).toBe(true);
    expect(isAnnotationKey('bad key')).toBe(false);
  });

  test.each([['http', true], ['redis', true], ['metrics-9090', true], ['9090', false], ['a--b', false], ['-http', false], ['a'.repeat(16), false], ['HTTP', false]])(
    'port name %j valid: %s', (v, ok) => {
      expect(isPortName(v)).toBe(ok);
    });

  test('labelMap names the key or the key\'s value and the rule, and returns the map', () => {
    expect(labelMap('controllerPodLabels', { 'app.kubernetes.io/name': 'ingress-nginx', tier: '' })).toEqual({ 'app.kubernetes.io/name': 'ingress-nginx', tier: '' });
    expect(() => labelMap('controllerPodLabels', { app: 'bad value!' })).toThrow(
      /^controllerPodLabels\.app: received "bad value!"; must be a label value: at most 63 letters, digits, '-', '_' or '\.', starting and ending with a letter or digit \(or empty\)$/);
    expect(() => labelMap('allowFrom[0].podLabels', { 'bad key': 'x' })).toThrow(/^allowFrom\[0\]\.podLabels: received "bad key"; label keys must be qualified names/);
    expect(() => labelMap('podLabels', 'app=x')).toThrow(LiteLLMConfigError);
    expect(() => labelMap('podLabels', ['app'])).toThrow(/^podLabels: received an array of 1; must be a map of label keys to label values/);
  });
});

describe('IP addresses, CIDRs and host names', () => {
  test.each([['203.0.113.10', true], ['0.0.0.0', true], ['2001:db8::1', true], ['::1', true], ['010.0.0.1', false], ['256.0.0.1', false], ['1.2.3', false],
    ['llm.example.com', false]])('isIPAddress(%j) = %s', (v, ok) => {
    expect(isIPAddress(v)).toBe(ok);
  });

  test.each([['10.0.0.0/8', true], ['0.0.0.0/0', true], ['fd00::/8', true], ['2001:db8::/32', true], ['10.0.0.0/33', false], ['10.0.0.0', false],
    ['10.0.0.256/8', false], ['fd00::/129', false], ['10.0.0.0/08', false], ['010.0.0.0/8', false], ['10.0.0.0/', false]])('isCidr(%j) = %s', (v, ok) => {
    expect(isCidr(v)).toBe(ok);
  });

  test.each([['llm.example.com', true], ['a-b.example.co', true], ['203.0.113.10', false], ['llm.example.123', false], ['LLM.example.com', false],
    ['*.example.com', false]])('isRouteHost(%j) = %s', (v, ok) => {
    expect(isRouteHost(v)).toBe(ok);
  });

  test.each(['203.0.113.10', '010.0.0.1', '2001:db8::1', '[2001:db8::1]', 'llm.example.123'])('routeHost refuses the address %j as an address', v => {
    expect(() => routeHost('hosts[0]', v)).toThrow(/^hosts\[0\]: received ".*"; must be a DNS host name, not an IP address: Ingress rules, HTTPRoute hostnames/);
  });

  test('routeHost refuses other non-names with the subdomain rule', () => {
    expect(() => routeHost('hosts[0]', 'LLM.example.com')).toThrow(/^hosts\[0\]: received "LLM\.example\.com"; must be a DNS-1123 subdomain/);
  });

  test.each([['Redis.Example.COM.', true], ['r', true], ['s1', true], ['999.1.1.1', false], ['redis:6379', false], ['a..b', false]])('isDnsName(%j) = %s', (v, ok) => {
    expect(isDnsName(v)).toBe(ok);
  });
});

describe('nameViolations (applied to every property-test output)', () => {
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'llm', ...extra });

  test('clean objects give no findings', () => {
    expect(nameViolations([
      { kind: 'Service', metadata: meta('litellm', { labels: { 'app.kubernetes.io/name': 'litellm' } }), spec: { selector: { app: 'x' } } },
      { kind: 'Ingress', metadata: meta('litellm'), spec: { rules: [{ host: 'llm.example.com' }] } },
    ])).toEqual([]);
  });

  test('each kind of bad name is reported', () => {
    const found = nameViolations([
      { kind: 'Service', metadata: meta('0litellm') },
      { kind: 'ConfigMap', metadata: meta('Bad_Name') },
      { kind: 'Job', metadata: meta(`m-${a(62)}`) },
      { kind: 'StatefulSet', metadata: meta(a(53)) },
      { kind: 'NetworkPolicy', metadata: meta('np'), spec: { podSelector: { matchLabels: { app: 'bad value!' } }, ingress: [{ from: [{ podSelector: { matchLabels: { 'bad key': 'x' } } }] }] } },
      { kind: 'Deployment', metadata: meta('d', { annotations: { 'bad key': 'x' } }),
        spec: { template: { spec: { containers: [{ name: 'Main', ports: [{ name: '9090' }] }], volumes: [{ name: 'a_b' }] } } } },
      { kind: 'Ingress', metadata: meta('i'), spec: { rules: [{ host: '203.0.113.10' }] } },
      { kind: 'HTTPRoute', metadata: meta('r'), spec: { hostnames: ['10.0.0.1'] } },
      { kind: 'IngressRoute', metadata: meta('t'), spec: { routes: [{ match: '(Host(`llm.example.com`) || Host(`203.0.113.10`)) && PathPrefix(`/`)' }] } },
      { kind: 'Cluster', metadata: meta('1db') },
    ]);
    expect(found).toEqual([
      expect.stringMatching(/^Service\/0litellm: metadata\.name "0litellm" is not a DNS-1035 label/),
      expect.stringMatching(/^ConfigMap\/Bad_Name: metadata\.name/),
      expect.stringMatching(/^Job\/m-a+: metadata\.name .* is not a DNS-1123 label/),
      expect.stringMatching(/^StatefulSet\/a+: metadata\.name .* at most 52 characters/),
      'NetworkPolicy/np: spec.podSelector.matchLabels.app: label value "bad value!" is not a valid label value',
      'NetworkPolicy/np: spec.ingress[0].from[0].podSelector.matchLabels: label key "bad key" is not a qualified name',
      'Deployment/d: metadata.annotations: annotation key "bad key" is not a qualified name',
      'Deployment/d: spec.template.spec.containers[0].name "Main" is not a DNS-1123 label',
      'Deployment/d: spec.template.spec.containers[0] port name "9090" is not an IANA service name',
      'Deployment/d: spec.template.spec.volumes[0].name "a_b" is not a DNS-1123 label',
      expect.stringMatching(/^Ingress\/i: host "203\.0\.113\.10" is not a DNS name/),
      expect.stringMatching(/^HTTPRoute\/r: host "10\.0\.0\.1" is not a DNS name/),
      expect.stringMatching(/^IngressRoute\/t: host "203\.0\.113\.10" is not a DNS name/),
      expect.stringMatching(/^Cluster\/1db: metadata\.name "1db" is not a DNS-1035 label/),
    ]);
  });
});
