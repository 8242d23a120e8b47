/**
 * How the proxy's pods are named, for the queries that select them in Prometheus (the
 * alerts, the dashboards, the KEDA trigger): one rule in one place.
 */

/** The proxy container's name. */
export const PROXY_CONTAINER = 'litellm';

/**
 * Characters of the random parts of a Deployment's pod names (the ReplicaSet's
 * pod-template-hash and the pod suffix): Kubernetes' SafeEncodeString alphabet,
 * no vowels. Matching them keeps `<name>-redis-0` or a Job's `<name>-access-x7k2p`
 * (vowels) out of the proxy's series.
 */
const POD_HASH = '[bcdfghjklmnpqrstvwxz2456789]';

/** A regular expression for the pods of the Deployment `name` (or an alternation `(a|b)`): `<name>-<hash>-<suffix>`. */
export function deploymentPods(name: string): string {
  return `${name}-${POD_HASH}{6,10}-${POD_HASH}{5}`;
}
