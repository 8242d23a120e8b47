import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { LiteLLMStack, LiteLLMStackProps } from '../../lib';
import { one } from '../support/synth';

/** What every stack needs; tests add the rest. */
export const baseStack: LiteLLMStackProps = {
  namespace: 'llm',
  models: [{ name: 'gpt-4o', model: 'openai/gpt-4o', apiKey: { name: 'provider-keys', key: 'openai' }, rpm: 600 }],
  masterKey: { name: 'litellm-master', key: 'master-key' },
};

export const redisPassword = { name: 'redis-auth', key: 'password' };
export const dbUrl = { name: 'litellm-db', key: 'url' };
export const tls = { secretName: 'llm-tls' };

/** A stack in a fresh app. */
export function buildStack(props: Partial<LiteLLMStackProps> = {}): LiteLLMStack {
  return new LiteLLMStack(Testing.app(), 'stack', { ...baseStack, ...props } as LiteLLMStackProps);
}

/** A stack's synthesized objects. */
export function stackObjects(props: Partial<LiteLLMStackProps> = {}): any[] {
  return Testing.synth(buildStack(props));
}

/** The proxy's parsed config.yaml. */
export function proxyConfig(objects: any[]): any {
  return parse(one(objects, 'ConfigMap', 'litellm-config').data['config.yaml']);
}

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const HOOK = 'argocd.argoproj.io/hook';

/**
 * When Argo CD applies an object, as a comparable [step, wave]:
 *  - a Namespace first of all: Argo CD creates Namespaces (and CRDs) before the
 *    PreSync phase when objects of the sync live in them (gitops-engine#159,
 *    argo-cd#4354), whatever their wave;
 *  - then the PreSync hooks, then the Sync phase (hooks and plain objects), each by wave
 *    (argo-cd docs user-guide/sync-waves.md: "phase, then wave"; no annotation means wave 0).
 */
export function applyStep(obj: any): [number, number] {
  const annotations = obj.metadata?.annotations ?? {};
  const wave = Number(annotations[SYNC_WAVE] ?? 0);
  if (obj.kind === 'Namespace') return [0, wave];
  return [annotations[HOOK] === 'PreSync' ? 1 : 2, wave];
}

/** -1, 0 or 1, comparing two apply steps. */
export function compareSteps(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? Math.sign(a[0] - b[0]) : Math.sign(a[1] - b[1]);
}

/** The latest step of `group` is strictly before the earliest step of `later`. */
export function allBefore(group: any[], later: any[]): boolean {
  expectNonEmpty(group);
  expectNonEmpty(later);
  return group.every(a => later.every(b => compareSteps(applyStep(a), applyStep(b)) < 0));
}

function expectNonEmpty(objects: any[]): void {
  if (objects.length === 0) throw new Error('an ordering group is empty: the stack did not emit what the test expects');
}
