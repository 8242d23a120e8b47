import { ProxyAutoscaling } from '../proxy/litellm-proxy';

/**
 * A starting point for a {@link LiteLLMStack}: plain data the user can read,
 * copy and override (`{ ...Presets.production, cpu: '4' }`). Nothing a
 * preset sets is hidden elsewhere.
 */
export interface StackPreset {
  /** What the preset is for. */
  readonly description: string;
  /** Fixed proxy replicas (when there is no autoscaler). */
  readonly replicas?: number;
  /** Proxy autoscaling. */
  readonly autoscaling?: ProxyAutoscaling;
  /** CPU each proxy pod requests; workers follow from it. */
  readonly cpu: string;
  /** 'perCpu': one Uvicorn worker per whole CPU requested; 'onePerPod': scale with pods only. */
  readonly workers: 'perCpu' | 'onePerPod';
  /** Run an in-cluster Redis when the user does not name an external one. */
  readonly inClusterRedis: boolean;
  /** Memory for the in-cluster Redis (request = limit; maxmemory is 75 % of it). */
  readonly redisMemory: string;
  /** Proxy Service type: 'LoadBalancer' is how a one-box cluster (OrbStack, k3s, Docker Desktop) reaches a Service from the host. */
  readonly serviceType: 'ClusterIP' | 'LoadBalancer';
  /**
   * Sources admitted to the proxy port besides the edge controller, as CIDRs.
   * A LoadBalancer on a one-box cluster delivers host and LAN clients from
   * node addresses in private ranges.
   */
  readonly allowCidrs: readonly string[];
  /** The edge must terminate TLS (an ingress/route without `tls` is an error; Gateway API terminates TLS on the Gateway, so it is exempt). */
  readonly requireTls: boolean;
  /** Replicas across nodes: 'preferred' still schedules on one node; 'required' leaves extra replicas pending. */
  readonly spread: 'preferred' | 'required';
  /** Turn on Prometheus metrics (`/metrics/`), alerts and a dashboard. */
  readonly metrics: boolean;
  /**
   * How Prometheus finds the pods: a prometheus-operator ServiceMonitor (then the alerts are
   * a PrometheusRule), or `prometheus.io/*` pod annotations for a plain Prometheus (no
   * operator assumed, so no PrometheusRule by default).
   * @default 'serviceMonitor'
   */
  readonly metricsScrape?: 'serviceMonitor' | 'podAnnotations';
}

/** RFC 1918 private ranges: where node and LAN addresses of a one-box cluster live. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

export const Presets = {
  /**
   * One box, e.g. OrbStack's built-in Kubernetes on a Mac mini: one replica,
   * workers from the CPU given, no autoscaler, a LoadBalancer Service the host
   * reaches at localhost, no TLS. A small in-cluster Redis still shares
   * limits between the pod's worker processes. Metrics through pod
   * annotations, and a Grafana dashboard.
   */
  edge: {
    description: 'one box: one replica, workers from CPU, LoadBalancer Service, no TLS, metrics by pod annotations',
    replicas: 1,
    cpu: '2',
    workers: 'perCpu',
    inClusterRedis: true,
    redisMemory: '128Mi',
    serviceType: 'LoadBalancer',
    allowCidrs: PRIVATE_RANGES,
    requireTls: false,
    spread: 'preferred',
    // A one-box cluster rarely runs prometheus-operator: pod annotations work with any Prometheus.
    metrics: true,
    metricsScrape: 'podAnnotations',
  } satisfies StackPreset as StackPreset,

  /**
   * A cluster: two to six replicas under an autoscaler, a disruption budget,
   * spread across nodes and zones, in-cluster Redis (or name an external one),
   * TLS at the edge, Prometheus metrics.
   */
  production: {
    description: 'cluster: 2-6 replicas with an autoscaler, PDB, spread, Redis, TLS edge, metrics, alerts, dashboard',
    autoscaling: { minReplicas: 2, maxReplicas: 6 },
    cpu: '2',
    workers: 'perCpu',
    inClusterRedis: true,
    redisMemory: '512Mi',
    serviceType: 'ClusterIP',
    allowCidrs: [],
    requireTls: true,
    spread: 'preferred',
    metrics: true,
  } satisfies StackPreset as StackPreset,
} as const;
