import { ServiceType } from 'cdk8s-plus-28';
import { ProxyAutoscaling, SpreadPolicy } from '../proxy/proxy-props';
import { WorkerSizing } from '../proxy/workers';

/** How Prometheus finds the proxy pods. */
export enum MetricsScrape {
  /** A prometheus-operator ServiceMonitor; the alerts are a PrometheusRule. */
  SERVICE_MONITOR = 'serviceMonitor',
  /** `prometheus.io/*` pod annotations, for a Prometheus without the operator (no PrometheusRule by default). */
  POD_ANNOTATIONS = 'podAnnotations',
}

/**
 * A starting point for a {@link LiteLLMStack}: plain data the user can read,
 * copy and override (`{ ...Presets.production(), cpu: '4' }`). Nothing a
 * preset sets is hidden elsewhere.
 */
export interface StackPreset {
  /** What the preset is for. */
  readonly description: string;
  /** Fixed proxy replicas (when there is no autoscaler). @default 1 when there is no autoscaler either */
  readonly replicas?: number;
  /** Proxy autoscaling. @default none */
  readonly autoscaling?: ProxyAutoscaling;
  /** CPU each proxy pod requests; workers follow from it. */
  readonly cpu: string;
  /** Worker processes per pod. */
  readonly workers: WorkerSizing;
  /** Run an in-cluster Redis when the user does not name an external one. */
  readonly inClusterRedis: boolean;
  /** Memory for the in-cluster Redis (request = limit; maxmemory is 75 % of it). */
  readonly redisMemory: string;
  /** Proxy Service type: a LoadBalancer is how a one-box cluster (OrbStack, k3s, Docker Desktop) reaches a Service from the host. */
  readonly serviceType: ServiceType;
  /**
   * Sources admitted to the proxy port besides the edge controller, as CIDRs.
   * A LoadBalancer on a one-box cluster delivers host and LAN clients from
   * node addresses in private ranges.
   */
  readonly allowCidrs: string[];
  /** The edge must terminate TLS (an ingress/route without `tls` is an error; Gateway API terminates TLS on the Gateway, so it is exempt). */
  readonly requireTls: boolean;
  /** Replicas across nodes. */
  readonly spread: SpreadPolicy;
  /** Turn on Prometheus metrics (`/metrics/`), alerts and a dashboard. */
  readonly metrics: boolean;
  /** How Prometheus finds the pods. @default MetricsScrape.SERVICE_MONITOR */
  readonly metricsScrape?: MetricsScrape;
}

/** RFC 1918 private ranges: where node and LAN addresses of a one-box cluster live. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** The presets: each call returns a fresh copy to read or override. */
export class Presets {
  /**
   * One box, e.g. OrbStack's built-in Kubernetes on a Mac mini: one replica,
   * workers from the CPU given, no autoscaler, a LoadBalancer Service the host
   * reaches at localhost, no TLS. A small in-cluster Redis still shares
   * limits between the pod's worker processes. Metrics through pod
   * annotations, and a Grafana dashboard.
   */
  public static edge(): StackPreset {
    return {
      description: 'one box: one replica, workers from CPU, LoadBalancer Service, no TLS, metrics by pod annotations',
      replicas: 1,
      cpu: '2',
      workers: WorkerSizing.perCpu(),
      inClusterRedis: true,
      redisMemory: '128Mi',
      serviceType: ServiceType.LOAD_BALANCER,
      allowCidrs: [...PRIVATE_RANGES],
      requireTls: false,
      spread: SpreadPolicy.PREFERRED,
      // A one-box cluster rarely runs prometheus-operator: pod annotations work with any Prometheus.
      metrics: true,
      metricsScrape: MetricsScrape.POD_ANNOTATIONS,
    };
  }

  /**
   * A cluster: two to six replicas under an autoscaler, a disruption budget,
   * spread across nodes and zones, in-cluster Redis (or name an external one),
   * TLS at the edge, Prometheus metrics, alerts and a dashboard.
   */
  public static production(): StackPreset {
    return {
      description: 'cluster: 2-6 replicas with an autoscaler, PDB, spread, Redis, TLS edge, metrics, alerts, dashboard',
      autoscaling: { minReplicas: 2, maxReplicas: 6 },
      cpu: '2',
      workers: WorkerSizing.perCpu(),
      inClusterRedis: true,
      redisMemory: '512Mi',
      serviceType: ServiceType.CLUSTER_IP,
      allowCidrs: [],
      requireTls: true,
      spread: SpreadPolicy.PREFERRED,
      metrics: true,
    };
  }

  private constructor() {}
}
