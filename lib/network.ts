import { k8s } from 'cdk8s-plus-28';
import { LiteLLMConfigError } from './errors';
import { isCidr } from './k8s-names';
import { dns1123Label, labelMap, port as checkPort } from './validate';

/**
 * Who may talk to whom. A peer with both a namespace and pod labels means
 * "those pods in that namespace" (one `from` item: AND, not OR).
 */
export interface NetworkPeer {
  /** Namespace name, matched through the `kubernetes.io/metadata.name` label every namespace carries. @default the policy's own namespace */
  readonly namespace?: string;
  /** Pod labels to match. @default all pods of the namespace */
  readonly podLabels?: { [key: string]: string };
  /** An IP block (CIDR) instead of pods, e.g. a managed Redis's subnet. */
  readonly cidr?: string;
}

/** An egress allowance: to these peers (none = any destination) on these TCP ports. */
export interface EgressRule {
  /** Destinations; empty means any address. */
  readonly peers: NetworkPeer[];
  /** TCP ports. */
  readonly ports: number[];
  /** Why this egress exists, kept for the README and debugging. */
  readonly reason: string;
}

export function validatePeer(prop: string, peer: NetworkPeer): void {
  if (peer.namespace !== undefined) dns1123Label(`${prop}.namespace`, peer.namespace);
  // The labels become a NetworkPolicy selector: the API server validates them like any label.
  if (peer.podLabels !== undefined) labelMap(`${prop}.podLabels`, peer.podLabels);
  if (peer.cidr !== undefined) {
    if (!isCidr(peer.cidr)) throw new LiteLLMConfigError(`${prop}.cidr`, peer.cidr, 'must be an IPv4 or IPv6 CIDR such as "10.0.0.0/16"');
    if (peer.namespace !== undefined || peer.podLabels !== undefined) {
      throw new LiteLLMConfigError(prop, peer, 'a peer is either a CIDR or pods/namespaces, not both');
    }
  }
}

export function renderPeer(peer: NetworkPeer): k8s.NetworkPolicyPeer {
  if (peer.cidr !== undefined) return { ipBlock: { cidr: peer.cidr } };
  return {
    ...(peer.namespace !== undefined
      ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } }
      : {}),
    podSelector: { matchLabels: { ...(peer.podLabels ?? {}) } },
  };
}

export function renderPorts(prop: string, ports: readonly number[]): k8s.NetworkPolicyPort[] {
  return ports.map((p, i) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(checkPort(`${prop}[${i}]`, p)) }));
}

/** DNS to kube-dns / CoreDNS (UDP and TCP 53), which every pod needs. */
export function dnsEgress(): k8s.NetworkPolicyEgressRule {
  return {
    to: [{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    }],
    ports: [
      { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
    ],
  };
}

export function renderEgress(rule: EgressRule, prop = 'egress'): k8s.NetworkPolicyEgressRule {
  return {
    ...(rule.peers.length > 0 ? { to: rule.peers.map(renderPeer) } : {}),
    ports: renderPorts(`${prop}.ports`, rule.ports),
  };
}
