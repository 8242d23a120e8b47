import { k8s } from 'cdk8s-plus-28';
import { restrictedPodSecurityContext } from '../pod-security';
import { PROXY_UID } from './image';
import type { LiteLLMProxy } from './litellm-proxy';

/** What differs between the one-shot Jobs that run the proxy's image (migrations, governance reconciliation). */
export interface ProxyImageJobOptions {
  readonly labels: { [key: string]: string };
  readonly podSelector: { [key: string]: string };
  readonly serviceAccountName: string;
  readonly backoffLimit: number;
  readonly activeDeadlineSeconds: number;
  readonly ttlSecondsAfterFinished: number;
  readonly initContainers?: k8s.Container[];
  readonly containers: k8s.Container[];
  readonly volumes: k8s.Volume[];
}

/**
 * The spec of a Job that runs the proxy's image once: never restarted in place,
 * no API token, no service links, the proxy's user and pull secrets, and the
 * restricted pod security context every pod of this library has.
 */
export function proxyImageJobSpec(proxy: LiteLLMProxy, o: ProxyImageJobOptions): k8s.JobSpec {
  return {
    backoffLimit: o.backoffLimit,
    activeDeadlineSeconds: o.activeDeadlineSeconds,
    ttlSecondsAfterFinished: o.ttlSecondsAfterFinished,
    template: {
      metadata: { labels: { ...o.labels, ...o.podSelector } },
      spec: {
        restartPolicy: 'Never',
        serviceAccountName: o.serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: restrictedPodSecurityContext(PROXY_UID, PROXY_UID),
        imagePullSecrets: proxy.imagePullSecrets.length > 0 ? proxy.imagePullSecrets.map(name => ({ name })) : undefined,
        initContainers: o.initContainers,
        containers: o.containers,
        volumes: o.volumes,
      },
    },
  };
}
