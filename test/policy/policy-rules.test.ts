import { LiteLLMProxy, LiteLLMProxyProps } from '../../lib';
import { fakeDatabase, fakeRedis } from '../support/arbitraries';
import { POLICY_RULES, PolicyException, PolicyRuleId, imageTagProblem, policyViolations, selectorMatches } from '../support/policy';
import { synth } from '../support/synth';

// ---------------------------------------------------------------------------------------------
// A hand-written, compliant set: a replicated Deployment, a Job with an init container, their
// ServiceAccount, NetworkPolicy, PDB, config, and a Traefik route plus an nginx Ingress.
// ---------------------------------------------------------------------------------------------

const NS = 'apps';

function container(name: string, probes: boolean): any {
  return {
    name,
    image: 'registry.example.com/app:v1.2.3',
    ports: [{ name: 'http', containerPort: 8080 }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    },
    ...(probes ? {
      readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      livenessProbe: { httpGet: { path: '/live', port: 'http' }, periodSeconds: 20 },
    } : {}),
    env: [{ name: 'MODE', value: 'production' }, { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'keys', key: 'api' } } }],
  };
}

function podSpec(main: any, init?: any): any {
  return {
    serviceAccountName: 'app',
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    ...(init ? { initContainers: [init] } : {}),
    containers: [main],
    volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'config', configMap: { name: 'config' } }],
  };
}

function compliant(): any[] {
  const meta = (name: string) => ({ name, namespace: NS });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('app'), automountServiceAccountToken: false },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('app'),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app', tier: 'web' } },
          spec: {
            ...podSpec(container('app', true)),
            automountServiceAccountToken: false,
            topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'app' } } }],
          },
        },
      },
    },
    {
      apiVersion: 'batch/v1', kind: 'Job', metadata: meta('migrate'),
      spec: { template: { metadata: { labels: { app: 'migrate' } }, spec: { ...podSpec(container('migrate', false), container('wait', false)), restartPolicy: 'Never' } } },
    },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('app'),
      spec: { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['app', 'migrate'] }] }, policyTypes: ['Ingress', 'Egress'] },
    },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('app'), spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'app' } } } },
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('config'),
      data: { 'config.yaml': 'general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\nrouter_settings:\n  redis_password: os.environ/REDIS_PASSWORD\n  num_retries: 2\nlitellm_settings:\n  max_tokens: 512\n' },
    },
    { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: meta('allow'), spec: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } } },
    {
      apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: meta('app'),
      spec: { routes: [{ match: 'Host(`llm.example.com`)', kind: 'Rule', services: [{ name: 'app', port: 8080 }], middlewares: [{ name: 'allow' }] }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { ...meta('app'), annotations: { 'nginx.ingress.kubernetes.io/proxy-buffering': 'off', 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600' } },
      spec: { rules: [{ host: 'llm.example.com' }] },
    },
  ];
}

const find = (objects: any[], kind: string, name?: string) => objects.find(o => o.kind === kind && (name === undefined || o.metadata.name === name));
const dep = (o: any[]) => find(o, 'Deployment');
const pod = (o: any[]) => dep(o).spec.template.spec;
const main = (o: any[]) => pod(o).containers[0];
const job = (o: any[]) => find(o, 'Job').spec.template.spec;
const init = (o: any[]) => job(o).initContainers[0];
const ingress = (o: any[]) => find(o, 'Ingress');

function rulesOf(violations: string[]): string[] {
  return violations.map(v => v.split(': ')[1]);
}

// Each row: a rule, what breaks it, and the mutation of the compliant set.
const caught: [PolicyRuleId, string, (o: any[]) => void][] = [
  ['PSS-HOST-PROCESS', 'a HostProcess pod', o => { pod(o).securityContext.windowsOptions = { hostProcess: true }; }],
  ['PSS-HOST-PROCESS', 'a HostProcess init container', o => { init(o).securityContext.windowsOptions = { hostProcess: true }; }],
  ['PSS-HOST-NAMESPACES', 'hostNetwork', o => { pod(o).hostNetwork = true; }],
  ['PSS-HOST-NAMESPACES', 'hostPID', o => { job(o).hostPID = true; }],
  ['PSS-HOST-NAMESPACES', 'hostIPC', o => { pod(o).hostIPC = true; }],
  ['PSS-PRIVILEGED', 'a privileged init container', o => { init(o).securityContext.privileged = true; }],
  ['PSS-HOSTPATH', 'a hostPath volume', o => { pod(o).volumes.push({ name: 'host', hostPath: { path: '/var/run' } }); }],
  ['PSS-HOST-PORTS', 'a hostPort', o => { main(o).ports[0].hostPort = 8080; }],
  ['PSS-APPARMOR', 'an Unconfined AppArmor profile', o => { main(o).securityContext.appArmorProfile = { type: 'Unconfined' }; }],
  ['PSS-APPARMOR', 'the unconfined AppArmor annotation', o => {
    dep(o).spec.template.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' };
  }],
  ['PSS-SELINUX', 'a custom SELinux type', o => { pod(o).securityContext.seLinuxOptions = { type: 'spc_t' }; }],
  ['PSS-SELINUX', 'an SELinux user', o => { init(o).securityContext.seLinuxOptions = { user: 'system_u' }; }],
  ['PSS-PROC-MOUNT', 'an unmasked /proc', o => { main(o).securityContext.procMount = 'Unmasked'; }],
  ['PSS-SYSCTLS', 'an unsafe sysctl', o => { pod(o).securityContext.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]; }],
  ['PSS-VOLUME-TYPES', 'an nfs volume', o => { pod(o).volumes.push({ name: 'nfs', nfs: { server: 'nfs', path: '/' } }); }],
  ['PSS-PRIVILEGE-ESCALATION', 'allowPrivilegeEscalation unset on an init container', o => { delete init(o).securityContext.allowPrivilegeEscalation; }],
  ['PSS-PRIVILEGE-ESCALATION', 'allowPrivilegeEscalation true', o => { main(o).securityContext.allowPrivilegeEscalation = true; }],
  ['PSS-RUN-AS-NON-ROOT', 'runAsNonRoot false on a container', o => { main(o).securityContext.runAsNonRoot = false; }],
  ['PSS-RUN-AS-NON-ROOT', 'runAsNonRoot on neither pod nor container', o => {
    delete pod(o).securityContext.runAsNonRoot;
    delete main(o).securityContext.runAsNonRoot;
  }],
  ['PSS-RUN-AS-USER', 'runAsUser 0 on a container', o => { main(o).securityContext.runAsUser = 0; }],
  ['PSS-RUN-AS-USER', 'runAsUser 0 on the pod', o => { job(o).securityContext.runAsUser = 0; }],
  ['PSS-SECCOMP', 'Unconfined at pod level', o => { pod(o).securityContext.seccompProfile = { type: 'Unconfined' }; }],
  ['PSS-SECCOMP', 'no seccomp profile anywhere', o => { delete job(o).securityContext.seccompProfile; }],
  ['PSS-CAPABILITIES', 'capabilities not dropped', o => { delete init(o).securityContext.capabilities; }],
  ['PSS-CAPABILITIES', 'SYS_ADMIN added', o => { main(o).securityContext.capabilities.add = ['SYS_ADMIN']; }],
  ['SCAN-REQUESTS', 'an init container without a CPU request', o => { delete init(o).resources.requests.cpu; }],
  ['SCAN-REQUESTS', 'no requests at all', o => { delete main(o).resources.requests; }],
  ['SCAN-MEMORY-LIMIT', 'no memory limit', o => { main(o).resources.limits = { cpu: '1' }; }],
  ['SCAN-READINESS', 'no readiness probe', o => { delete main(o).readinessProbe; }],
  ['SCAN-LIVENESS', 'no liveness probe', o => { delete main(o).livenessProbe; }],
  ['SCAN-PROBES-DIFFER', 'identical probes', o => { main(o).livenessProbe = { ...main(o).readinessProbe }; }],
  ['SCAN-IMAGE-TAG', 'the latest tag', o => { main(o).image = 'registry.example.com/app:latest'; }],
  ['SCAN-IMAGE-TAG', 'an untagged image on a registry with a port', o => { init(o).image = 'registry.example.com:5000/app'; }],
  ['SCAN-SA-TOKEN', 'automountServiceAccountToken true on the pod', o => { pod(o).automountServiceAccountToken = true; }],
  ['SCAN-SA-TOKEN', 'unset on the pod, the ServiceAccount mounts', o => { find(o, 'ServiceAccount').automountServiceAccountToken = true; }],
  ['SCAN-SA-TOKEN', 'unset on the pod, the default ServiceAccount', o => { delete job(o).serviceAccountName; }],
  ['SCAN-UID', 'uid below 10000 on a container', o => { main(o).securityContext.runAsUser = 1000; }],
  ['SCAN-UID', 'no uid anywhere', o => { delete job(o).securityContext.runAsUser; }],
  ['SCAN-GID', 'gid below 10000 on the pod', o => { pod(o).securityContext.runAsGroup = 999; }],
  ['SCAN-READONLY-ROOTFS', 'a writable root filesystem', o => { init(o).securityContext.readOnlyRootFilesystem = false; }],
  ['SCAN-NETWORKPOLICY', 'a policy selecting other pods', o => { find(o, 'NetworkPolicy').spec.podSelector = { matchLabels: { app: 'other' } }; }],
  ['SCAN-NETWORKPOLICY', 'an Egress-only policy', o => { find(o, 'NetworkPolicy').spec.policyTypes = ['Egress']; }],
  ['SCAN-NETWORKPOLICY', 'a policy in another namespace', o => { find(o, 'NetworkPolicy').metadata.namespace = 'other'; }],
  ['SCAN-NETWORKPOLICY', 'a NotIn expression excluding the pods', o => {
    find(o, 'NetworkPolicy').spec.podSelector = { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] };
  }],
  ['SCAN-PDB', 'replicas 2 without a PDB', o => { o.splice(o.indexOf(find(o, 'PodDisruptionBudget')), 1); }],
  ['SCAN-PDB', 'one replica, an HPA, no PDB', o => {
    dep(o).spec.replicas = 1;
    o.splice(o.indexOf(find(o, 'PodDisruptionBudget')), 1);
    o.push({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'app', namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' }, maxReplicas: 3 } });
  }],
  ['SCAN-SPREAD', 'no spread', o => { delete pod(o).topologySpreadConstraints; }],
  ['SCAN-SPREAD', 'a spread constraint counting other pods', o => { pod(o).topologySpreadConstraints[0].labelSelector = { matchLabels: { app: 'x' } }; }],
  ['SECRET-DATA', 'a Secret with stringData', o => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: NS }, stringData: { password: 'x' } }); }],
  ['SECRET-DATA', 'a Secret with data', o => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: NS }, data: { password: 'eA==' } }); }],
  ['SECRET-ENV-VALUE', 'an OpenAI-style key in an env value', o => { main(o).env.push({ name: 'UPSTREAM', value: 'sk-proj1234567890abcdef' }); }],
  ['SECRET-ENV-NAME', 'a literal API key variable', o => { init(o).env.push({ name: 'OPENAI_API_KEY', value: 'hunter2' }); }],
  ['SECRET-ENV-NAME', 'a literal password variable', o => { main(o).env.push({ name: 'REDIS_PASSWORD', value: 'changeme' }); }],
  ['SECRET-CONFIG', 'a literal master key in config.yaml', o => {
    find(o, 'ConfigMap').data['config.yaml'] = 'general_settings:\n  master_key: changeme\n';
  }],
  ['SECRET-CONFIG', 'a numeric password deep in a list', o => {
    find(o, 'ConfigMap').data['config.yaml'] = 'model_list:\n  - litellm_params:\n      api_key: 12345\n';
  }],
  ['SECRET-PATTERN', 'a private key in an annotation', o => { dep(o).metadata.annotations = { note: '-----BEGIN RSA PRIVATE KEY-----\nMIIE' }; }],
  ['SECRET-PATTERN', 'an AWS key id in a ConfigMap', o => { find(o, 'ConfigMap').data['notes.txt'] = 'id AKIAABCDEFGHIJKLMNOP'; }],
  ['EDGE-SNIPPET', 'ingress-nginx configuration-snippet', o => { ingress(o).metadata.annotations['nginx.ingress.kubernetes.io/configuration-snippet'] = 'more_set_headers "X: y";'; }],
  ['EDGE-SNIPPET', 'ingress-nginx server-snippet', o => { ingress(o).metadata.annotations['nginx.ingress.kubernetes.io/server-snippet'] = 'location /x {}'; }],
  ['EDGE-SNIPPET', 'F5 NGINX server-snippets', o => { ingress(o).metadata.annotations['nginx.org/server-snippets'] = 'x'; }],
  ['EDGE-SNIPPET', 'F5 NGINX location-snippets', o => { ingress(o).metadata.annotations['nginx.org/location-snippets'] = 'x'; }],
  ['EDGE-SNIPPET', 'a VirtualServer server-snippets field', o => {
    o.push({ apiVersion: 'k8s.nginx.org/v1', kind: 'VirtualServer', metadata: { name: 'vs', namespace: NS }, spec: { host: 'x', 'server-snippets': 'x' } });
  }],
  ['EDGE-TRAEFIK-BUFFERING', 'a buffering middleware on a route', o => { find(o, 'Middleware').spec = { buffering: { maxResponseBodyBytes: 1000000 } }; }],
  ['EDGE-TRAEFIK-BUFFERING', 'a buffering middleware inside a chain', o => {
    find(o, 'Middleware').spec = { chain: { middlewares: [{ name: 'buffer' }] } };
    o.push({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'buffer', namespace: NS }, spec: { buffering: {} } });
  }],
  ['EDGE-TRAEFIK-BUFFERING', 'a buffering middleware from an Ingress annotation', o => {
    find(o, 'Middleware').spec = { buffering: {} };
    ingress(o).metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'] = `${NS}-allow@kubernetescrd`;
  }],
];

describe('policy rules', () => {
  test('GIVEN the hand-written compliant set THEN no violations', () => {
    expect(policyViolations(compliant())).toEqual([]);
  });

  test.each(caught)('%s catches %s', (rule, _what, mutate) => {
    const objects = compliant();
    mutate(objects);
    const violations = policyViolations(objects);
    expect(rulesOf(violations)).toContain(rule);
    // Readable: "<Kind>/<name>: <rule id>: <detail>".
    for (const v of violations) expect(v).toMatch(/^[A-Za-z]+\/[a-z0-9.-]+: [A-Z-]+: .+/);
  });

  test('every rule has at least one violating case (no rule can silently pass)', () => {
    const covered = new Set<string>([...caught.map(c => c[0]), 'POLICY-EXCEPTION']);
    expect(Object.keys(POLICY_RULES).filter(r => !covered.has(r))).toEqual([]);
  });

  describe('compliant variants pass', () => {
    const passes: [string, (o: any[]) => void][] = [
      ['NET_BIND_SERVICE added', o => { main(o).securityContext.capabilities.add = ['NET_BIND_SERVICE']; }],
      ['seccomp on every container instead of the pod', o => {
        delete pod(o).securityContext.seccompProfile;
        main(o).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' };
      }],
      ['runAsNonRoot on every container instead of the pod', o => { delete pod(o).securityContext.runAsNonRoot; }],
      ['a safe sysctl', o => { pod(o).securityContext.sysctls = [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]; }],
      ['the runtime/default AppArmor annotation', o => {
        dep(o).spec.template.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' };
      }],
      ['container_t SELinux type', o => { pod(o).securityContext.seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' }; }],
      ['a digest-pinned image', o => { main(o).image = `registry.example.com/app@sha256:${'0'.repeat(64)}`; }],
      ['uid on the container overriding a low pod uid', o => {
        pod(o).securityContext.runAsUser = 100;
        main(o).securityContext.runAsUser = 20000;
      }],
      ['token disabled by the ServiceAccount only', o => { delete pod(o).automountServiceAccountToken; }],
      ['a single replica without a PDB or spread', o => {
        dep(o).spec.replicas = 1;
        delete pod(o).topologySpreadConstraints;
        o.splice(o.indexOf(find(o, 'PodDisruptionBudget')), 1);
      }],
      ['podAntiAffinity instead of spread', o => {
        delete pod(o).topologySpreadConstraints;
        pod(o).affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'app' } } } }] } };
      }],
      ['an empty podSelector selecting the namespace', o => { find(o, 'NetworkPolicy').spec.podSelector = {}; }],
      ['policyTypes defaulted (Ingress implied)', o => { delete find(o, 'NetworkPolicy').spec.policyTypes; }],
      ['a KEY-named variable that only references another', o => { main(o).env.push({ name: 'API_KEY_COPY', value: '$(API_KEY)' }); }],
      ['TOKENS as part of a word', o => { main(o).env.push({ name: 'MAX_TOKENS', value: '4096' }); }],
      ['a Secret without data', o => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: NS }, type: 'Opaque' }); }],
      ['ingress-nginx annotations that merely mention snippets', o => { ingress(o).metadata.annotations['nginx.ingress.kubernetes.io/allow-snippet-annotations'] = 'false'; }],
      ['a buffering middleware nobody references', o => {
        o.push({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'unused', namespace: NS }, spec: { buffering: {} } });
      }],
    ];
    test.each(passes)('%s', (_what, mutate) => {
      const objects = compliant();
      mutate(objects);
      expect(policyViolations(objects)).toEqual([]);
    });
  });

  describe('exceptions', () => {
    const mountsToken = (): any[] => {
      const o = compliant();
      pod(o).automountServiceAccountToken = true;
      return o;
    };
    const exception: PolicyException = { kind: 'Deployment', name: 'app', rule: 'SCAN-SA-TOKEN', reason: 'talks to the API server' };

    test('an exception with a reason silences exactly its finding', () => {
      expect(policyViolations(mountsToken(), [exception])).toEqual([]);
    });

    test('an exception for another object does not', () => {
      expect(rulesOf(policyViolations(mountsToken(), [{ ...exception, name: 'other' }]))).toEqual(['SCAN-SA-TOKEN', 'POLICY-EXCEPTION']);
    });

    test('a stale exception is an error', () => {
      expect(policyViolations(compliant(), [exception])).toEqual([
        'Deployment/app: POLICY-EXCEPTION: stale exception for SCAN-SA-TOKEN matches no finding; remove it',
      ]);
    });

    test('an exception without a reason is an error', () => {
      expect(policyViolations(mountsToken(), [{ ...exception, reason: ' ' }])).toEqual([
        'Deployment/app: POLICY-EXCEPTION: the exception for SCAN-SA-TOKEN gives no reason',
      ]);
    });

    test('an exception naming an unknown rule is an error', () => {
      expect(policyViolations(compliant(), [{ ...exception, rule: 'NO-SUCH-RULE' as PolicyRuleId }])).toEqual([
        'Deployment/app: POLICY-EXCEPTION: unknown rule "NO-SUCH-RULE"',
      ]);
    });
  });

  describe('helpers', () => {
    test.each([
      ['app:v1', undefined], ['app', 'has no tag (pulls latest)'], ['app:latest', 'uses the latest tag'],
      ['host:5000/app', 'has no tag (pulls latest)'], ['host:5000/app:v1', undefined], [`app@sha256:${'a'.repeat(64)}`, undefined],
    ])('imageTagProblem(%s)', (image, problem) => {
      expect(imageTagProblem(image)).toBe(problem);
    });

    test('label selector semantics', () => {
      const labels = { a: '1', b: '2' };
      expect(selectorMatches({}, labels)).toBe(true);
      expect(selectorMatches(undefined, labels)).toBe(false);
      expect(selectorMatches({ matchLabels: { a: '1' } }, labels)).toBe(true);
      expect(selectorMatches({ matchLabels: { a: '1', c: '3' } }, labels)).toBe(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).toBe(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, labels)).toBe(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] }, labels)).toBe(false);
    });

    test('malformed objects are reported, never crash the gate', () => {
      expect(() => policyViolations([null, 5, {}, { kind: 'Deployment' }, { kind: 'CronJob', spec: {} }, { kind: 'ConfigMap', data: { 'a.yaml': ': :' } }])).not.toThrow();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The LiteLLMProxy charts
// ---------------------------------------------------------------------------------------------

/** Deliberate exceptions for the proxy charts (none needed today). */
const PROXY_EXCEPTIONS: PolicyException[] = [];

const base: LiteLLMProxyProps = {
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 100 }],
  masterKey: { name: 'litellm-master', key: 'master-key' },
};

describe('policy over the LiteLLMProxy charts', () => {
  test.each<[string, Partial<LiteLLMProxyProps>]>([
    ['single replica', {}],
    ['replicated with per-replica limits and autoscaling', { autoscaling: { minReplicas: 2, maxReplicas: 6 }, acceptPerReplicaLimits: true }],
    ['fixed replicas with per-replica limits', { replicas: 3, acceptPerReplicaLimits: true }],
    ['metrics and a ServiceMonitor', { metrics: {} }],
    ['Redis, cache, database and several workers', {
      cpu: '4', replicas: 2, redis: fakeRedis({ tls: true }), cache: {}, database: fakeDatabase(), saltKey: { name: 'litellm-salt', key: 'salt' },
    }],
  ])('%s: no violations', (_name, props) => {
    const objects = synth(chart => new LiteLLMProxy(chart, 'litellm', { ...base, ...props }));
    expect(policyViolations(objects, PROXY_EXCEPTIONS)).toEqual([]);
  });
});
