import { LiteLLMConfigError, hidden } from '../errors';
import { boolean, nonEmptyString, positiveNumber } from '../validate';
import { deploymentPods } from './pod-names';

/** Which signal the proxy's autoscaler follows. */
export enum ScalingSignalKind {
  /** A HorizontalPodAutoscaler on CPU utilisation of the request. */
  CPU = 'cpu',
  /** A KEDA ScaledObject on in-flight requests per worker, read from Prometheus. */
  IN_FLIGHT_REQUESTS = 'inFlightRequests',
}

/** Options of {@link ScalingSignal.inFlightRequests}. */
export interface InFlightScalingOptions {
  /**
   * The Prometheus that scrapes the proxy, as the KEDA operator reaches it,
   * e.g. `http://prometheus-operated.monitoring.svc:9090` (the trigger's
   * `serverAddress`).
   */
  readonly prometheusUrl: string;
  /**
   * In-flight requests per worker process the autoscaler keeps on average
   * (the trigger's `threshold`, with `metricType: AverageValue`).
   *
   * Measured on LiteLLM 1.108.14 (`npm run loadtest`, docs/capacity/results.md,
   * one CPU per worker): a worker carries ~15 concurrent streams (50 chunks,
   * 20 ms apart) within 150 ms p99 added latency, and ~20 non-streaming
   * requests of a 300 ms provider in flight (~60 req/s) within 100 ms. 10 is
   * two thirds of the streams: headroom for the minute a new pod takes. In
   * flight = rate × duration, so for long, cheap requests raise it: about
   * 0.6 × (mean request seconds ÷ 0.016 s of CPU a request costs).
   * @default 10
   */
  readonly targetPerWorker?: number;
  /**
   * Also scale on CPU utilisation (`autoscaling.cpuUtilization`), as a
   * backstop for cheap, fast requests (cache hits, errors) whose in-flight
   * count stays low while their CPU does not.
   * @default true
   */
  readonly cpuBackstop?: boolean;
}

/**
 * What the proxy's autoscaler scales on.
 *
 * A gateway mostly waits on providers: its CPU rises late, when requests
 * already queue. The in-flight requests per worker rise the moment offered
 * load does, and fall the moment it stops. Memory is no signal at all:
 * LiteLLM's memory grows per process with requests served (litellm#27954,
 * #25219) and never falls by adding pods, so a memory target scales up and
 * never back down (set `autoscaling.memoryUtilization` only knowingly).
 */
export class ScalingSignal {
  /** A HorizontalPodAutoscaler on CPU utilisation (`autoscaling.cpuUtilization`). Needs only metrics-server. */
  public static cpu(): ScalingSignal {
    return new ScalingSignal(ScalingSignalKind.CPU);
  }

  /**
   * A KEDA `ScaledObject` with a Prometheus trigger on LiteLLM's
   * `litellm_in_flight_requests` gauge per worker (needs KEDA, metrics on,
   * and a Prometheus scraping the pods). KEDA owns the HPA it creates (named
   * like the proxy); CPU stays as a backstop unless `cpuBackstop: false`.
   */
  public static inFlightRequests(options: InFlightScalingOptions): ScalingSignal {
    return new ScalingSignal(ScalingSignalKind.IN_FLIGHT_REQUESTS, options);
  }

  /** Which signal. */
  public readonly kind: ScalingSignalKind;
  /** The in-flight options (for `inFlightRequests`). */
  public readonly inFlight?: InFlightScalingOptions;

  private constructor(kind: ScalingSignalKind, inFlight?: InFlightScalingOptions) {
    this.kind = kind;
    this.inFlight = inFlight;
  }
}

/** The default in-flight requests per worker (see InFlightScalingOptions.targetPerWorker). */
export const DEFAULT_IN_FLIGHT_TARGET = 10;

/** A validated in-flight signal. */
export interface ResolvedInFlightSignal {
  readonly prometheusUrl: string;
  readonly targetPerWorker: number;
  readonly cpuBackstop: boolean;
}

/** Validates the in-flight options (`prop` is where the user wrote them, e.g. `autoscaling.signal`). */
export function resolveInFlight(prop: string, o: InFlightScalingOptions | undefined): ResolvedInFlightSignal {
  if (typeof o !== 'object' || o === null) {
    throw new LiteLLMConfigError(prop, o, 'ScalingSignal.inFlightRequests needs options: { prometheusUrl }');
  }
  const raw = nonEmptyString(`${prop}.prometheusUrl`, o.prometheusUrl);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LiteLLMConfigError(`${prop}.prometheusUrl`, raw, 'must be an absolute http(s) URL such as "http://prometheus-operated.monitoring.svc:9090"');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LiteLLMConfigError(`${prop}.prometheusUrl`, raw, 'must use http or https, e.g. "http://prometheus-operated.monitoring.svc:9090"');
  }
  if (url.username || url.password) {
    throw new LiteLLMConfigError(`${prop}.prometheusUrl`, hidden('a URL with credentials'),
      'must not embed credentials: the ScaledObject is stored in plain text (use a KEDA TriggerAuthentication, or a Prometheus that needs none in-cluster)');
  }
  if (url.search || url.hash) {
    throw new LiteLLMConfigError(`${prop}.prometheusUrl`, raw, `must be the server's base URL without query or fragment, e.g. "${url.origin}${url.pathname.replace(/\/$/, '')}"`);
  }
  const target = o.targetPerWorker === undefined ? DEFAULT_IN_FLIGHT_TARGET : positiveNumber(`${prop}.targetPerWorker`, o.targetPerWorker);
  if (target < 1) {
    throw new LiteLLMConfigError(`${prop}.targetPerWorker`, target,
      'must be at least 1: the gauge counts whole requests, and below one per worker every idle scrape would hold the maximum (a worker carries ~15 concurrent streams measured; the default is 10)');
  }
  if (target > 1000) {
    throw new LiteLLMConfigError(`${prop}.targetPerWorker`, target, 'must be at most 1000 in flight per worker (a worker carries ~15 concurrent streams measured; the default is 10)');
  }
  const cpuBackstop = o.cpuBackstop === undefined ? true : boolean(`${prop}.cpuBackstop`, o.cpuBackstop);
  return { prometheusUrl: raw.replace(/\/$/, ''), targetPerWorker: target, cpuBackstop };
}

/**
 * The PromQL KEDA runs: in-flight requests of every proxy pod, in worker units
 * (KEDA's AverageValue then divides by the pods). `litellm_in_flight_requests`
 * is one series per pod (with several workers, LiteLLM sums them:
 * multiprocess_mode livesum, litellm/proxy/middleware/in_flight_requests_middleware.py)
 * and it counts every HTTP request, the scrape reading it too: one per pod is taken out.
 */
export function inFlightQuery(namespace: string, deployment: string, workersPerPod: number): string {
  const selector = `namespace="${namespace}", pod=~"${deploymentPods(deployment)}"`;
  const workers = workersPerPod === 1 ? '' : ` / ${workersPerPod}`;
  return `clamp_min(sum(litellm_in_flight_requests{${selector}}) - count(litellm_in_flight_requests{${selector}}), 0)${workers}`;
}
