import { createHash } from 'crypto';
import { parse } from 'yaml';
import { LiteLLMConfigError, LiteLLMProxy, LiteLLMProxyProps, ScalingSignal, WorkerSizing } from '../../lib';
import { nonStreamingBound } from '../../lib/proxy/timing';
import { byKind, containerOf, envMap, one, synth } from '../support/synth';

const base: LiteLLMProxyProps = {
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' } }],
  masterKey: { name: 'litellm-master', key: 'master-key' },
};

function proxyObjects(props: Partial<LiteLLMProxyProps> = {}): any[] {
  // Per-process limits accepted: these tests are about the proxy alone (Redis has its own tests).
  return synth(chart => new LiteLLMProxy(chart, 'litellm', { ...base, acceptPerReplicaLimits: true, ...props } as LiteLLMProxyProps));
}

function configOf(objects: any[]): any {
  return parse(one(objects, 'ConfigMap').data['config.yaml']);
}

function argValue(container: any, flag: string): string | undefined {
  const i = container.args.indexOf(flag);
  return i >= 0 ? container.args[i + 1] : undefined;
}

describe('LiteLLMProxy', () => {
  test('snapshot of the default single-replica chart', () => {
    expect(proxyObjects()).toMatchSnapshot();
  });

  describe('workers from CPU', () => {
    test.each([
      ['500m', '1'], ['1', '1'], ['1500m', '1'], ['2', '2'], ['4', '4'],
    ])('GIVEN cpu %s WHEN perCpu THEN --num_workers %s', (cpu, workers) => {
      expect(argValue(containerOf(proxyObjects({ cpu })), '--num_workers')).toBe(workers);
    });

    test('onePerPod runs one worker whatever the CPU', () => {
      expect(argValue(containerOf(proxyObjects({ cpu: '4', workers: WorkerSizing.onePerPod() })), '--num_workers')).toBe('1');
    });

    test('fixed worker count within the CPU is kept', () => {
      expect(argValue(containerOf(proxyObjects({ cpu: '4', workers: WorkerSizing.fixed(3) })), '--num_workers')).toBe('3');
    });

    test('memory request grows with workers: 256Mi + 512Mi each, limit twice that', () => {
      const one1 = containerOf(proxyObjects({ cpu: '1' })).resources;
      const four = containerOf(proxyObjects({ cpu: '4' })).resources;
      expect(one1.requests.memory).toBe('768Mi');
      expect(one1.limits.memory).toBe('1536Mi');
      expect(four.requests.memory).toBe('2304Mi');
      expect(four.limits.memory).toBe('4608Mi');
      expect(four.requests.cpu).toBe('4');
      expect(four.limits.cpu).toBeUndefined();
    });

    test('never relies on nproc at run time', () => {
      expect(JSON.stringify(proxyObjects({ cpu: '2' }))).not.toMatch(/nproc/);
    });
  });

  describe('config.yaml', () => {
    test('models render with os.environ key references and limits', () => {
      const cfg = configOf(proxyObjects({
        models: [
          { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 100, tpm: 5000 },
          { name: 'local', model: 'openai/llama', apiBase: 'http://vllm.models:8000/v1', params: { max_tokens: 512 } },
        ],
      }));
      expect(cfg.model_list).toEqual([
        { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/LITELLM_SECRET_PROVIDER_KEYS_OPENAI', rpm: 100, tpm: 5000 } },
        { model_name: 'local', litellm_params: { model: 'openai/llama', api_base: 'http://vllm.models:8000/v1', max_tokens: 512 } },
      ]);
      expect(cfg.router_settings.optional_pre_call_checks).toEqual(['enforce_model_rate_limits']);
    });

    test('production settings from the guide', () => {
      const cfg = configOf(proxyObjects());
      expect(cfg.litellm_settings).toMatchObject({ request_timeout: 600, set_verbose: false, json_logs: true });
      expect(cfg.general_settings.master_key).toBe('os.environ/LITELLM_MASTER_KEY');
      const env = envMap(containerOf(proxyObjects()));
      expect(env.LITELLM_MODE).toBe('PRODUCTION');
      expect(env.LITELLM_LOG).toBe('ERROR');
    });

    test('escape hatch merges unmodelled keys', () => {
      const cfg = configOf(proxyObjects({ extraConfig: { litellmSettings: { drop_params: true }, generalSettings: { alerting: ['slack'] } } }));
      expect(cfg.litellm_settings.drop_params).toBe(true);
      expect(cfg.general_settings.alerting).toEqual(['slack']);
    });

    test('a config change changes the pod template checksum', () => {
      const a = one(proxyObjects(), 'Deployment').spec.template.metadata.annotations['checksum/config'];
      const b = one(proxyObjects({ requestTimeoutSeconds: 300 }), 'Deployment').spec.template.metadata.annotations['checksum/config'];
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(a).not.toBe(b);
    });
  });

  describe('secrets are referenced, never inlined', () => {
    test('master key, salt key and provider keys are secretKeyRefs', () => {
      const env = envMap(containerOf(proxyObjects({ saltKey: { name: 'litellm-salt', key: 'salt' } })));
      expect(env.LITELLM_MASTER_KEY).toEqual({ secretKeyRef: { name: 'litellm-master', key: 'master-key' } });
      expect(env.LITELLM_SALT_KEY).toEqual({ secretKeyRef: { name: 'litellm-salt', key: 'salt' } });
      expect(env.LITELLM_SECRET_PROVIDER_KEYS_OPENAI).toEqual({ secretKeyRef: { name: 'provider-keys', key: 'openai' } });
    });

    test('two models sharing one key get one variable', () => {
      const ref = { name: 'provider-keys', key: 'openai' };
      const c = containerOf(proxyObjects({ models: [{ name: 'a', model: 'openai/a', apiKey: ref }, { name: 'b', model: 'openai/b', apiKey: ref }] }));
      expect(c.env.filter((e: any) => e.name === 'LITELLM_SECRET_PROVIDER_KEYS_OPENAI')).toHaveLength(1);
    });

    test('every os.environ reference in config.yaml exists in the container env', () => {
      const objects = proxyObjects();
      const refs = one(objects, 'ConfigMap').data['config.yaml'].match(/os\.environ\/[A-Z0-9_]+/g).map((r: string) => r.slice(11));
      const env = envMap(containerOf(objects));
      for (const r of refs) expect(env).toHaveProperty(r);
    });
  });

  describe('rollouts that let streams finish', () => {
    test('maxUnavailable 0, preStop pause, drain and a grace period derived from them', () => {
      const d = one(proxyObjects({ requestTimeoutSeconds: 300, preStopSeconds: 5 }), 'Deployment');
      expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
      const c = d.spec.template.spec.containers[0];
      expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
      // 3 attempts × 300 s + 182.25 s backoff: the slowest non-streaming request, and by default the longest stream.
      expect(envMap(c).GRACEFUL_SHUTDOWN_TIMEOUT).toBe('1083');
      expect(envMap(c).LITELLM_MAX_STREAMING_DURATION_SECONDS).toBe('1083');
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 1083 + 15);
    });

    test('the timeout agreement: retries are written, and the drain covers the slowest request and the longest stream', () => {
      const objects = proxyObjects({ requestTimeoutSeconds: 100, router: { numRetries: 1 }, maxStreamSeconds: 900 });
      const config = parse(one(objects, 'ConfigMap').data['config.yaml']);
      expect(config.router_settings.num_retries).toBe(1);
      expect(config.litellm_settings.request_timeout).toBe(100);
      const env = envMap(containerOf(objects));
      expect(env.LITELLM_MAX_STREAMING_DURATION_SECONDS).toBe('900');
      expect(env.GRACEFUL_SHUTDOWN_TIMEOUT).toBe('900');
      expect(parse(one(proxyObjects(), 'ConfigMap').data['config.yaml']).router_settings.num_retries).toBe(2);
    });

    test('a 429 goes back at once unless retryRateLimited: only RateLimitError gets a retry policy entry', () => {
      const routerOf = (router: object) => parse(one(proxyObjects({ router }), 'ConfigMap').data['config.yaml']).router_settings;
      expect(routerOf({}).retry_policy).toEqual({ RateLimitErrorRetries: 0 });
      expect(routerOf({ retryRateLimited: true }).retry_policy).toBeUndefined();
      // No retries at all: nothing to override.
      expect(routerOf({ numRetries: 0 }).retry_policy).toBeUndefined();
      expect(() => proxyObjects({ router: { retryRateLimited: 'yes' as any } })).toThrow(/router\.retryRateLimited: received "yes"/);
    });

    test('a model with rpm or tpm is never retried unless retryRateLimited: every attempt counts against it and meets its 429 only after a 60 s sleep', () => {
      const models: LiteLLMProxyProps['models'] = [
        { name: 'gpt-4o', model: 'openai/gpt-4o', rpm: 60 },
        { name: 'gpt-4o', model: 'azure/gpt-4o', apiBase: 'https://example.openai.azure.com', tpm: 1000 },
        { name: 'claude', model: 'anthropic/claude-sonnet-4-5', tpm: 5000 },
        { name: 'free', model: 'openai/gpt-4o-mini' },
      ];
      const routerOf = (router: object) => parse(one(proxyObjects({ models, router }), 'ConfigMap').data['config.yaml']).router_settings;
      // Per model group (get_retry_from_policy.py resolve_retry_policy): the group's policy replaces retry_policy.
      expect(routerOf({}).model_group_retry_policy).toEqual({ 'gpt-4o': { DefaultRetries: 0 }, 'claude': { DefaultRetries: 0 } });
      expect(routerOf({}).retry_policy).toEqual({ RateLimitErrorRetries: 0 });
      expect(routerOf({ retryRateLimited: true }).model_group_retry_policy).toBeUndefined();
      expect(routerOf({ numRetries: 0 }).model_group_retry_policy).toBeUndefined();
      // Limits the router does not enforce produce no 429 of its own.
      expect(routerOf({ enforceModelRateLimits: false }).model_group_retry_policy).toBeUndefined();
      expect(parse(one(proxyObjects(), 'ConfigMap').data['config.yaml']).router_settings.model_group_retry_policy).toBeUndefined();
    });

    test('the non-streaming bound counts a Retry-After of up to 60 s before each retry, and no sleep without retries', () => {
      expect(nonStreamingBound(600, 2)).toMatchObject({ attempts: 3, backoffSeconds: 182.25, seconds: 1983 });
      expect(nonStreamingBound(30, 1)).toMatchObject({ attempts: 2, backoffSeconds: 121.5, seconds: 182 });
      expect(nonStreamingBound(120, 0)).toMatchObject({ attempts: 1, backoffSeconds: 0, seconds: 120 });
    });

    test('parallel limits that LiteLLM 1.108.14 enforces: per deployment (429) and per worker (503)', () => {
      const objects = proxyObjects({
        models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', maxParallelRequests: 8 }],
        maxInFlightRequestsPerWorker: 100, maxQueuedRequestsPerWorker: 0, admissionQueueTimeoutSeconds: 0.5,
      });
      const config = parse(one(objects, 'ConfigMap').data['config.yaml']);
      expect(config.model_list[0].litellm_params.max_parallel_requests).toBe(8);
      expect(config.general_settings).toMatchObject({ max_in_flight_requests_per_worker: 100, max_queued_requests_per_worker: 0, admission_queue_timeout_seconds: 0.5 });
      expect(parse(one(proxyObjects(), 'ConfigMap').data['config.yaml']).general_settings.max_in_flight_requests_per_worker).toBeUndefined();
    });

    test('GIVEN router.cooldowns false THEN disable_cooldowns, and the cooldown tuning is refused beside it', () => {
      const config = parse(one(proxyObjects({ router: { cooldowns: false } }), 'ConfigMap').data['config.yaml']);
      expect(config.router_settings.disable_cooldowns).toBe(true);
      expect(() => proxyObjects({ router: { cooldowns: false, cooldownSeconds: 30 } }))
        .toThrow(/router\.cooldowns: received false; leave cooldownSeconds and allowedFails unset when cooldowns are off/);
    });

    test('GIVEN several workers THEN gunicorn runs them (it refuses new connections at SIGTERM); one worker runs under uvicorn', () => {
      expect(containerOf(proxyObjects({ cpu: '2', acceptPerReplicaLimits: true })).args).toContain('--run_gunicorn');
      expect(containerOf(proxyObjects({ cpu: '1' })).args).not.toContain('--run_gunicorn');
    });

    test('GIVEN gunicorn THEN a sitecustomize from the ConfigMap on PYTHONPATH reports its graceful worker stops at INFO, and only those', () => {
      const objects = proxyObjects({ cpu: '2' });
      const c = containerOf(objects);
      const cm = one(objects, 'ConfigMap');
      const mount = c.volumeMounts.find((m: any) => m.name === 'config');
      expect(envMap(c).PYTHONPATH).toBe(mount.mountPath);
      const source: string = cm.data['sitecustomize.py'];
      // gunicorn/arbiter.py reap_workers: "Worker (pid:%s) was sent %s!"; only SIGTERM is lowered.
      expect(source).toMatch(/logging\.getLogger\("gunicorn\.error"\)\.addFilter/);
      expect(source).toMatch(/message\.endswith\("\) was sent SIGTERM!"\)/);
      expect(source).not.toMatch(/SIGKILL|exited with code/);
      // A change of the hook rolls the pods like a change of config.yaml: the checksum covers both.
      const sha = (text: string) => createHash('sha256').update(text).digest('hex');
      expect(one(objects, 'Deployment').spec.template.metadata.annotations['checksum/config']).toBe(sha(cm.data['config.yaml'] + source));
      // One worker: no gunicorn, no hook, PYTHONPATH left to the user.
      const single = proxyObjects({ cpu: '1', env: { PYTHONPATH: '/opt/callbacks' } });
      expect(one(single, 'ConfigMap').data['sitecustomize.py']).toBeUndefined();
      expect(envMap(containerOf(single)).PYTHONPATH).toBe('/opt/callbacks');
      expect(() => proxyObjects({ cpu: '2', env: { PYTHONPATH: '/opt/callbacks' } })).toThrow(/env\.PYTHONPATH: received "PYTHONPATH"; environment variable names must be unique/);
    });

    test('probes: startup and liveness on /health/liveliness, readiness on /health/readiness, and they differ', () => {
      const c = containerOf(proxyObjects());
      expect(c.startupProbe.httpGet.path).toBe('/health/liveliness');
      expect(c.readinessProbe.httpGet.path).toBe('/health/readiness');
      expect(c.livenessProbe.httpGet.path).toBe('/health/liveliness');
      expect(c.readinessProbe).not.toEqual(c.livenessProbe);
    });
  });

  describe('security', () => {
    test('restricted pod and container contexts, read-only root with writable emptyDirs', () => {
      const d = one(proxyObjects(), 'Deployment');
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/etc/litellm', '/tmp', '/var/cache/litellm', '/var/lib/litellm/assets', '/var/lib/litellm/ui']);
      expect(pod.volumes.every((v: any) => v.configMap || v.emptyDir)).toBe(true);
    });

    test('own ServiceAccount without a token', () => {
      const objects = proxyObjects();
      expect(one(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(one(objects, 'Deployment').spec.template.spec.serviceAccountName).toBe('litellm');
    });

    test('pinned default image, non-root variant', () => {
      expect(containerOf(proxyObjects()).image).toBe('ghcr.io/berriai/litellm-non_root:v1.108.14');
    });

    test('digest pinning is accepted', () => {
      const image = `ghcr.io/berriai/litellm-non_root@sha256:${'a'.repeat(64)}`;
      expect(containerOf(proxyObjects({ image })).image).toBe(image);
    });
  });

  describe('network policy', () => {
    test('admits the same namespace by default and named sources when given', () => {
      const np = one(proxyObjects(), 'NetworkPolicy');
      expect(np.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: {} } }], ports: [{ protocol: 'TCP', port: 4000 }] }]);
      const np2 = one(proxyObjects({ allowFrom: [{ namespace: 'ingress-nginx' }] }), 'NetworkPolicy');
      expect(np2.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: {} } }]);
    });

    test('egress: DNS, and the provider ports derived from the models', () => {
      const np = one(proxyObjects({ models: [
        { name: 'a', model: 'openai/a' },
        { name: 'b', model: 'openai/b', apiBase: 'http://vllm.models:8000/v1' },
      ] }), 'NetworkPolicy');
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(np.spec.egress[0].ports.map((p: any) => p.port)).toEqual([53, 53]);
      expect(np.spec.egress[1]).toEqual({ ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 8000 }] });
      expect(np.spec.egress).toHaveLength(2);
    });
  });

  describe('scaling', () => {
    test('HPA (autoscaling/v2) on CPU and a long scale-down window; no memory target unless asked; no fixed replicas', () => {
      const objects = proxyObjects({ autoscaling: { minReplicas: 2, maxReplicas: 6 }, acceptPerReplicaLimits: true });
      const hpa = one(objects, 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
      // Memory grows per worker with requests served and never falls by adding pods: not a default signal.
      expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([['cpu', 70]]);
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
      expect(one(objects, 'Deployment').spec.replicas).toBeUndefined();
      expect(byKind(objects, 'ScaledObject')).toHaveLength(0);
      const withMemory = one(proxyObjects({ autoscaling: { maxReplicas: 6, memoryUtilization: 85 } }), 'HorizontalPodAutoscaler');
      expect(withMemory.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([['cpu', 70], ['memory', 85]]);
    });

    test('in-flight requests per worker: a KEDA ScaledObject with a Prometheus trigger, CPU as backstop, no HPA of ours', () => {
      const objects = proxyObjects({
        cpu: '2', metrics: {},
        autoscaling: { minReplicas: 2, maxReplicas: 8, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090/' }) },
      });
      expect(byKind(objects, 'HorizontalPodAutoscaler')).toHaveLength(0);
      const so = one(objects, 'ScaledObject');
      expect(so.apiVersion).toBe('keda.sh/v1alpha1');
      expect(so.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'litellm' }, minReplicaCount: 2, maxReplicaCount: 8, pollingInterval: 15,
        advanced: { horizontalPodAutoscalerConfig: { name: 'litellm', behavior: { scaleDown: { stabilizationWindowSeconds: 600 } } } },
      });
      const [inFlight, cpu, ...rest] = so.spec.triggers;
      expect(rest).toEqual([]);
      expect(inFlight).toMatchObject({ type: 'prometheus', metricType: 'AverageValue', metadata: { serverAddress: 'http://prometheus-operated.monitoring.svc:9090', threshold: '10' } });
      // Two workers per pod: the pods' sum (less one scrape per pod) in worker units; KEDA divides by the pods.
      expect(inFlight.metadata.query).toBe('clamp_min(sum(litellm_in_flight_requests{namespace="litellm", pod=~"litellm-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"})'
        + ' - count(litellm_in_flight_requests{namespace="litellm", pod=~"litellm-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"}), 0) / 2');
      expect(cpu).toEqual({ type: 'cpu', name: 'cpu-backstop', metricType: 'Utilization', metadata: { value: '70' } });
      expect(one(objects, 'Deployment').spec.replicas).toBeUndefined();

      const bare = one(proxyObjects({ metrics: {}, autoscaling: { maxReplicas: 4, signal: ScalingSignal.inFlightRequests({ prometheusUrl: 'http://prom:9090', targetPerWorker: 25, cpuBackstop: false }) } }), 'ScaledObject');
      expect(bare.spec.triggers.map((t: any) => t.type)).toEqual(['prometheus']);
      expect(bare.spec.triggers[0].metadata.threshold).toBe('25');
      expect(bare.spec.triggers[0].metadata.query).not.toContain(' / ');
    });

    test('a PodDisruptionBudget only when replicated', () => {
      expect(byKind(proxyObjects(), 'PodDisruptionBudget')).toHaveLength(0);
      const pdb = one(proxyObjects({ replicas: 3, acceptPerReplicaLimits: true }), 'PodDisruptionBudget');
      expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    });

    test('spread across nodes and zones', () => {
      const spread = one(proxyObjects(), 'Deployment').spec.template.spec.topologySpreadConstraints;
      expect(spread.map((s: any) => s.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    });
  });

  describe('metrics', () => {
    test('prometheus callback, open metrics endpoint admitted from the monitoring namespace, ServiceMonitor', () => {
      const objects = proxyObjects({ metrics: { prometheusNamespace: 'observability' } });
      const cfg = configOf(objects);
      expect(cfg.litellm_settings.callbacks).toEqual(['prometheus']);
      expect(cfg.litellm_settings.require_auth_for_metrics_endpoint).toBe(false);
      const sm = one(objects, 'ServiceMonitor');
      expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics/', interval: '30s' }]);
      const ingress = one(objects, 'NetworkPolicy').spec.ingress;
      expect(ingress[1].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('observability');
    });
  });

  test('worker recycling adds --max_requests_before_restart', () => {
    expect(argValue(containerOf(proxyObjects({ cpu: '2', acceptPerReplicaLimits: true, maxRequestsBeforeRestart: 1000 })), '--max_requests_before_restart')).toBe('1000');
  });
});

describe('LiteLLMProxy validation', () => {
  const cases: [string, Partial<LiteLLMProxyProps> | any, RegExp][] = [
    ['worker count below 1', { workers: WorkerSizing.fixed(0) }, /workers: received 0; worker count must be an integer >= 1/],
    ['worker count above the CPU', { cpu: '2', workers: WorkerSizing.fixed(3) }, /workers: received 3; at most 2 worker\(s\) for a CPU request of 2/],
    ['zero CPU', { cpu: '0' }, /cpu: received "0"; must be greater than zero/],
    ['malformed CPU', { cpu: 'two' }, /cpu: received "two"; must be a CPU quantity/],
    ['malformed memory', { memory: '1GB' }, /memory: received "1GB"; must be a memory quantity/],
    ['memory limit below request', { memory: '2Gi', memoryLimit: '1Gi' }, /memoryLimit: received "1Gi"; must be at least the memory request \(2Gi\)/],
    ['cpu limit below request', { cpu: '2', cpuLimit: '1' }, /cpuLimit: received "1"; must be at least the CPU request \(2\)/],
    ['HPA min above max', { autoscaling: { minReplicas: 5, maxReplicas: 3 }, acceptPerReplicaLimits: true }, /autoscaling.minReplicas: received 5; must not exceed autoscaling.maxReplicas \(3\)/],
    ['replicas with autoscaling', { replicas: 2, autoscaling: { maxReplicas: 3 } }, /replicas: received 2; leave replicas unset when autoscaling is given/],
    ['replicas zero (paused explained)', { replicas: 0 }, /replicas: received 0; must be at least 1; to stop the gateway without removing it, set `paused: true`/],
    ['replicated without redis', { replicas: 3, acceptPerReplicaLimits: undefined }, /replicas: received 3; 3 replica\(s\) x 1 worker\(s\) = 3 processes need `redis`/],
    ['several workers without redis', { cpu: '2', acceptPerReplicaLimits: undefined }, /workers: received 2; 1 replica\(s\) x 2 worker\(s\) = 2 processes need `redis`/],
    ['master key as a literal', { masterKey: 'sk-1234567890' }, /masterKey: received \(a literal string, hidden\); must be a Secret reference/],
    ['api key as a literal', { models: [{ name: 'a', model: 'openai/a', apiKey: 'sk-abcdefghijkl' }] }, /models\[0\].apiKey: received \(a literal string, hidden\); must be a Secret reference/],
    ['model without a name', { models: [{ model: 'openai/a' }] }, /models\[0\].name: received undefined; must be a non-empty string/],
    ['model without a provider', { models: [{ name: 'a', model: 'gpt-4o' }] }, /models\[0\].model: received "gpt-4o"; must name the provider/],
    ['no models', { models: [] }, /models: received an array of 0; must list at least one model deployment/],
    ['image tag latest', { image: 'ghcr.io/berriai/litellm:latest' }, /image: received "ghcr.io\/berriai\/litellm:latest"; tag "latest" moves between releases/],
    ['image without tag', { image: 'ghcr.io/berriai/litellm' }, /image: received "ghcr.io\/berriai\/litellm"; must be pinned/],
    ['empty image', { image: '' }, /image: received ""; must be an image reference pinned by tag or digest/],
    ['grace period too short', { terminationGracePeriodSeconds: 100 }, /terminationGracePeriodSeconds: received 100; must exceed preStopSeconds \+ drainTimeoutSeconds \+ 10 s of process teardown \(10 \+ 1983 \+ 10 = 2003\)/],
    ['name not DNS-1123', { name: 'LiteLLM_Proxy' }, /name: received "LiteLLM_Proxy"; must be a DNS-1123 label/],
    ['negative rpm', { models: [{ name: 'a', model: 'openai/a', rpm: -1 }] }, /models\[0\].rpm: received -1; must be an integer >= 1/],
    ['fractional tpm', { models: [{ name: 'a', model: 'openai/a', tpm: 1.5 }] }, /models\[0\].tpm: received 1.5; must be an integer >= 1/],
    ['duplicate env names', { env: { FOO: 'a' }, secretEnv: { FOO: { name: 's', key: 'k' } } }, /secretEnv.FOO: received "FOO"; environment variable names must be unique/],
    ['env overriding a construct variable', { env: { LITELLM_LOG: 'DEBUG' } }, /env.LITELLM_LOG: received "LITELLM_LOG"; environment variable names must be unique; this one is already set by the construct itself/],
    ['bad env name', { env: { 'MY-VAR': 'x' } }, /env.MY-VAR: received "MY-VAR"; must be an environment variable name/],
    ['literal secret in the escape hatch', { extraConfig: { generalSettings: { slack_webhook_token: 'abc123' } } }, /extraConfig.generalSettings.slack_webhook_token: received \(a literal value, hidden\); credentials must be `os.environ\/NAME` references/],
    ['escape hatch overriding a typed key', { extraConfig: { litellmSettings: { request_timeout: 30 } } }, /extraConfig.litellmSettings.request_timeout: received 30; this key is set by requestTimeoutSeconds; use that prop instead/],
    ['unknown config section', { extraConfig: { model_list: [] } }, /extraConfig.model_list: received "model_list"; must be one of litellmSettings/],
    ['params overriding a typed param', { models: [{ name: 'a', model: 'openai/a', params: { rpm: 5 } }] }, /models\[0\].params.rpm: received 5; "rpm" has a typed prop/],
    ['api base not a URL', { models: [{ name: 'a', model: 'openai/a', apiBase: 'vllm:8000' }] }, /models\[0\].apiBase: received "vllm:8000"; must (be an absolute http\(s\) URL|use http or https)/],
    ['secret ref with a bad name', { masterKey: { name: 'Bad_Name', key: 'k' } }, /masterKey.name: received "Bad_Name"; must be a DNS-1123 subdomain/],
    ['port out of range', { port: 70000 }, /port: received 70000; must be an integer from 1 to 65535/],
    ['cache without redis', { cache: {} }, /cache: received \{\}; response caching needs `redis`/],
    ['enforcing limits without any', { router: { enforceModelRateLimits: true } }, /router.enforceModelRateLimits: received true; needs at least one model with rpm or tpm/],
    ['unknown routing strategy', { router: { routingStrategy: 'random' } }, /router.routingStrategy: received "random"; must be one of RoutingStrategy\.SIMPLE_SHUFFLE \("simple-shuffle"\)/],
    ['bad metrics interval', { metrics: { interval: '30 seconds' } }, /metrics.interval: received "30 seconds"; must be a Prometheus duration/],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    const attempt = () => proxyObjects(props);
    expect(attempt).toThrow(LiteLLMConfigError);
    expect(attempt).toThrow(message);
  });

  test('the catalogue holds at least 20 distinct bad inputs', () => {
    expect(new Set(cases.map(c => c[0])).size).toBeGreaterThanOrEqual(20);
  });
});

describe('LiteLLMProxy: what must not reach config.yaml or the environment', () => {
  const slack = 'https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX';
  const errorOf = (props: Partial<LiteLLMProxyProps> | any): LiteLLMConfigError => {
    try {
      proxyObjects(props);
    } catch (e) {
      if (e instanceof LiteLLMConfigError) return e;
      throw e;
    }
    throw new Error('the input was accepted');
  };

  test.each<[string, Partial<LiteLLMProxyProps> | any, string, RegExp]>([
    ['a webhook URL in environment_variables', { extraConfig: { environmentVariables: { SLACK_WEBHOOK_URL: slack } } },
      'extraConfig.environmentVariables.SLACK_WEBHOOK_URL', /environment_variables becomes the proxy's process environment.*: set a plain value with the proxy's env prop .* or a credential with secretEnv/],
    ['a plain value in environment_variables', { extraConfig: { environmentVariables: { LANGFUSE_HOST: 'https://langfuse.example.com' } } },
      'extraConfig.environmentVariables.LANGFUSE_HOST', /env: \{ LANGFUSE_HOST: '\.\.\.' \}.*secretEnv: \{ LANGFUSE_HOST: \{ name, key \} \}/],
    ['a webhook URL under a webhook-named key', { extraConfig: { generalSettings: { alerting_webhook: slack } } },
      'extraConfig.generalSettings.alerting_webhook', /this value looks like a Slack webhook URL, whose path is the credential/],
    ['a password in a URL', { extraConfig: { litellmSettings: { proxy_url: 'http://user:pass@egress.example.com:3128' } } },
      'extraConfig.litellmSettings.proxy_url', /this value looks like a URL with a password in it/],
    ['a token in a query in params', { models: [{ name: 'a', model: 'openai/a', params: { extra_body: { callback: 'https://cb.example.com/x?access_token=abc' } } }] },
      'models[0].params.extra_body.callback', /this value looks like a URL with a credential in its query \("access_token="\)/],
    ['a key in the apiBase query', { models: [{ name: 'a', model: 'openai/a', apiBase: 'https://api.example.com/v1?api_key=abc' }] },
      'models[0].apiBase', /received \(a value that looks like a credential, hidden\); credentials belong in apiKey as a Secret reference \(this value looks like/],
    ['a Discord webhook as a plain env value', { env: { ALERT_URL: 'https://discord.com/api/webhooks/123456789/abcDEF' } },
      'env.ALERT_URL', /move this variable to secretEnv .*\(this value looks like a Discord webhook URL/],
    ['a webhook-named env with a literal', { env: { TEAMS_WEBHOOK_URL: 'https://alerts.example.com/notify' } },
      'env.TEAMS_WEBHOOK_URL', /\(TEAMS_WEBHOOK_URL is named like a credential\)/],
  ])('GIVEN %s THEN refused, the value hidden', (_n, props, prop, message) => {
    const e = errorOf(props);
    expect(e.prop).toBe(prop);
    expect(e.message).toMatch(/received \(a (literal value|value that looks like a credential), hidden\)/);
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/XXXX|pass@|abcDEF|access_token=abc|alerts\.example\.com/);
  });

  test('non-secret URLs pass: api-version queries, plain endpoints, os.environ references, an empty environment_variables', () => {
    const objects = proxyObjects({
      models: [{ name: 'gpt-4o', model: 'azure/gpt-4o', apiBase: 'http://model.svc:8080/v1?api-version=2024-10-21', params: { api_version: '2024-10-21' } }],
      env: { LANGFUSE_HOST: 'https://langfuse.example.com', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.monitoring:4318' },
      secretEnv: { SLACK_WEBHOOK_URL: { name: 'alerting', key: 'slack' } },
      extraConfig: { environmentVariables: {}, generalSettings: { alerting: ['slack'], alert_to_webhook_url: { llm_exceptions: 'os.environ/SLACK_WEBHOOK_URL' } } },
    });
    const config = configOf(objects);
    expect(config.model_list[0].litellm_params.api_base).toBe('http://model.svc:8080/v1?api-version=2024-10-21');
    expect(config.general_settings.alert_to_webhook_url).toEqual({ llm_exceptions: 'os.environ/SLACK_WEBHOOK_URL' });
    expect(config.environment_variables).toBeUndefined();
    expect(envMap(containerOf(objects)).SLACK_WEBHOOK_URL).toEqual({ secretKeyRef: { name: 'alerting', key: 'slack' } });
  });
});

describe('LiteLLMProxy: model entries', () => {
  const gpt = { name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' } };

  test('GIVEN two identical deployments THEN the second is refused, naming the first', () => {
    expect(() => proxyObjects({ models: [gpt, { name: 'claude', model: 'anthropic/claude-sonnet-4-5' }, { ...gpt }] }))
      .toThrow(/^\[test\] models\[2\]: received \{"name":"gpt-4o".*\}; is identical to models\[0\] \(same name and litellm_params after rendering\)/);
  });

  test('GIVEN the same params in another key order THEN they are identical too', () => {
    expect(() => proxyObjects({ models: [{ ...gpt, params: { a: 1, b: 2 } }, { ...gpt, params: { b: 2, a: 1 } }] })).toThrow(/models\[1\]: .*identical to models\[0\]/);
  });

  test('GIVEN one name over two endpoints (load balancing) THEN both entries are written', () => {
    const config = configOf(proxyObjects({ models: [gpt, { ...gpt, apiBase: 'https://eu.example.com/v1' }, { ...gpt, rpm: 10 }] }));
    expect(config.model_list.map((m: any) => m.model_name)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
  });

  test('names that become Service names must start with a letter', () => {
    expect(() => proxyObjects({ name: '0proxy' })).toThrow(/^\[test\] name: received "0proxy"; must be a DNS-1123 label that starts with a letter/);
  });

  test('GIVEN labels the API server rejects in allowFrom or extraEgress peers THEN refused naming the peer', () => {
    expect(() => proxyObjects({ allowFrom: [{ namespace: 'apps', podLabels: { app: 'b c' } }] }))
      .toThrow(/^\[test\] allowFrom\[0\]\.podLabels\.app: received "b c"; must be a label value/);
    expect(() => proxyObjects({ extraEgress: [{ peers: [{ podLabels: { 'bad key': 'x' } }], ports: [8000], reason: 'vLLM' }] }))
      .toThrow(/^\[test\] extraEgress\[0\]\.peers\[0\]\.podLabels: received "bad key"; label keys must be qualified names/);
    expect(() => proxyObjects({ imagePullSecrets: ['registry.example.com'] })).not.toThrow();
  });
});
