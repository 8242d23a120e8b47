import { maskCredentials } from '../../lib/credentials';
import { LiteLLMConfigError } from '../../lib';
import {
  isAnnotationKey, isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelKey, isLabelValue, isPortName, isRouteHost,
} from '../../lib/k8s-names';
import { Poison } from './arbitraries';
import { policyViolations } from './policy';
import { schemaErrors } from './schema';

/** Everything an accepted input must satisfy: no undefined/NaN leaks, policy-clean, schema-valid. */
export function expectClean(objects: any[]): void {
  const text = JSON.stringify(objects);
  expect(text).not.toMatch(/\bundefined\b/);
  expect(text).not.toMatch(/\bNaN\b/);
  expect(policyViolations(objects)).toEqual([]);
  expect(schemaErrors(objects)).toEqual([]);
  expect(nameViolations(objects)).toEqual([]);
}

/**
 * Names the API server checks and the upstream schemas do not: metadata.name
 * by kind, namespaces, every label key and value and annotation key (on
 * objects, pod templates and selectors), container, volume and port names,
 * and the hosts of Ingresses, HTTPRoutes, Traefik rules and Certificates.
 * Returns `<Kind>/<name>: <what>` for each violation.
 */
export function nameViolations(objects: any[]): string[] {
  const out: string[] = [];
  for (const obj of objects) {
    const kind = String(obj?.kind);
    const name = obj?.metadata?.name;
    const report = (what: string) => out.push(`${kind}/${name}: ${what}`);
    const rule = NAME_RULES[kind] ?? NAME_RULES.default;
    if (!rule.test(name)) report(`metadata.name ${JSON.stringify(name)} is not ${rule.what}`);
    if (obj?.metadata?.namespace !== undefined && !isDns1123Label(obj.metadata.namespace)) {
      report(`metadata.namespace ${JSON.stringify(obj.metadata.namespace)} is not a DNS-1123 label`);
    }
    walk(obj, '', report);
    for (const host of hostsOf(obj)) {
      if (!isRouteHost(host)) report(`host ${JSON.stringify(host)} is not a DNS name (DNS-1123 subdomain, not an IP address)`);
    }
  }
  return out;
}

const NAME_RULES: Record<string, { test: (v: unknown) => boolean; what: string }> = {
  default: { test: isDns1123Subdomain, what: 'a DNS-1123 subdomain' },
  // ValidateServiceName: DNS-1035.
  Service: { test: v => isDns1035Label(v), what: 'a DNS-1035 label (Service names start with a letter)' },
  Namespace: { test: v => isDns1123Label(v), what: 'a DNS-1123 label' },
  // The Job controller copies the name into the pods' job-name label.
  Job: { test: v => isDns1123Label(v), what: 'a DNS-1123 label (it becomes the job-name label)' },
  // controller-revision-hash is `<name>-<10 characters>`, a label value of at most 63.
  StatefulSet: { test: v => isDns1123Subdomain(v) && String(v).length <= 52, what: 'a DNS-1123 subdomain of at most 52 characters' },
  // CloudNativePG's webhook: DNS-1035 label, at most 50 characters (its Services carry the name).
  Cluster: { test: v => isDns1035Label(v, 50), what: 'a DNS-1035 label of at most 50 characters' },
};

/** Label maps, annotation maps, containers, volumes and ports anywhere in the object. */
function walk(node: unknown, path: string, report: (what: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${path}[${i}]`, report));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key === 'data' || key === 'stringData') continue;
    if ((key === 'labels' || key === 'matchLabels') && isMap(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (!isLabelKey(k)) report(`${at}: label key ${JSON.stringify(k)} is not a qualified name`);
        if (!isLabelValue(v)) report(`${at}.${k}: label value ${JSON.stringify(v)} is not a valid label value`);
      }
      continue;
    }
    if (key === 'annotations' && isMap(value)) {
      for (const k of Object.keys(value)) if (!isAnnotationKey(k)) report(`${at}: annotation key ${JSON.stringify(k)} is not a qualified name`);
      continue;
    }
    if ((key === 'containers' || key === 'initContainers' || key === 'volumes') && Array.isArray(value)) {
      value.forEach((c: any, i: number) => {
        if (!isDns1123Label(c?.name)) report(`${at}[${i}].name ${JSON.stringify(c?.name)} is not a DNS-1123 label`);
        for (const p of c?.ports ?? []) if (p?.name !== undefined && !isPortName(p.name)) report(`${at}[${i}] port name ${JSON.stringify(p.name)} is not an IANA service name`);
      });
    }
    walk(value, at, report);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Host names routes match on, by kind. */
function hostsOf(obj: any): string[] {
  switch (obj?.kind) {
    case 'Ingress':
      return [...(obj.spec?.rules ?? []).map((r: any) => r.host).filter((h: unknown) => h !== undefined),
        ...(obj.spec?.tls ?? []).flatMap((t: any) => t.hosts ?? [])];
    case 'HTTPRoute':
      return obj.spec?.hostnames ?? [];
    case 'Certificate':
      return obj.spec?.dnsNames ?? [];
    case 'IngressRoute':
      return (obj.spec?.routes ?? []).flatMap((r: any) => [...String(r.match ?? '').matchAll(/Host\(`([^`]*)`\)/g)].map(m => m[1]));
    default:
      return [];
  }
}

/** Everything a rejection must satisfy: our error type, its message format, and (for a poison) the prop it names. */
export function expectOurError<T>(attempt: () => unknown, poison?: Poison<T>): void {
  let error: unknown;
  try {
    attempt();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof LiteLLMConfigError)) {
    throw new Error(`expected LiteLLMConfigError${poison ? ` for ${poison.label}` : ''}, got ${error instanceof Error ? `${error.name}: ${error.message}` : 'no error: the input was accepted'}`);
  }
  // `[<construct path>] ` first when raised in a stack or by an App-wide check.
  expect(error.message.startsWith(`${error.constructPath !== undefined ? `[${error.constructPath}] ` : ''}${error.prop}: received `)).toBe(true);
  if (poison && !error.prop.startsWith(poison.prop)) {
    throw new Error(`poison "${poison.label}" should be named by a prop starting with "${poison.prop}", got: ${error.message}`);
  }
  expectNoCredential(error.message);
}

/** A message a user may paste into a ticket: masking it changes nothing, so it holds no credential. */
export function expectNoCredential(message: string): void {
  if (maskCredentials(message) !== message) {
    throw new Error(`an error message repeats a credential: ${maskCredentials(message)}`);
  }
}

/** What `build` throws, checked to be a LiteLLMConfigError naming `prop`; returned for further checks. */
export function configErrorOf(build: () => unknown, prop: string): LiteLLMConfigError {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LiteLLMConfigError);
  expect((error as LiteLLMConfigError).prop).toBe(prop);
  return error as LiteLLMConfigError;
}

/** A Grafana dashboard's panels never overlap: no grid cell is covered twice. */
export function expectPanelsApart(panels: { gridPos: { x: number; y: number; w: number; h: number } }[]): void {
  const cells = new Set<string>();
  for (const p of panels) {
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  }
}
