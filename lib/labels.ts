/** Kubernetes recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */
export function standardLabels(instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'litellm',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'litellm',
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** The immutable subset used in selectors: never add to it, a Deployment's selector cannot change. */
export function selectorLabels(instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'litellm',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
}
