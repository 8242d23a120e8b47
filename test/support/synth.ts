import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';

/** Builds a chart in a fresh test app, synthesizes it and returns its objects. */
export function synth(build: (chart: Chart) => void, namespace = 'litellm'): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace, disableResourceNameHashes: true });
  build(chart);
  return Testing.synth(chart);
}

/** A fresh chart to build into (for tests that need the constructs themselves). */
export function testChart(namespace = 'litellm'): Chart {
  return new Chart(Testing.app(), 'test', { namespace, disableResourceNameHashes: true });
}

export function byKind(objects: any[], kind: string): any[] {
  return objects.filter(o => o.kind === kind);
}

export function one(objects: any[], kind: string, name?: string): any {
  const found = objects.filter(o => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  }
  return found[0];
}

export function containerOf(objects: any[], kind = 'Deployment', name?: string): any {
  return one(objects, kind, name).spec.template.spec.containers[0];
}

export function envMap(container: any): Record<string, any> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

export type { Construct };
