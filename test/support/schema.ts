import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

/**
 * Strict schema validation of everything we emit: the upstream Kubernetes
 * OpenAPI definitions (1.28 and 1.35) and the pinned CRDs, committed
 * unchanged in schemas/ (see schemas/README.md), with unknown fields rejected
 * the way `kubectl apply --validate=strict` and CRD structural pruning do.
 */

/** The committed upstream schemas (schemas/README.md). */
export const SCHEMA_DIR = path.resolve(__dirname, '../../schemas');
export const K8S_VERSIONS = ['1.28.0', '1.35.0'];

type Schema = Record<string, any>;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
let coreIndex: Map<string, { version: string; name: string }[]> | undefined;
let crdIndex: Map<string, Schema> | undefined;

/** Closes every object schema that lists properties: unknown fields become errors. */
function strictify(schema: any, crd: boolean): any {
  if (Array.isArray(schema)) return schema.map(s => strictify(s, crd));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === 'properties' || k === 'definitions' || k === 'patternProperties'
      ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, strictify(pv, crd)]))
      : strictify(v, crd);
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  if (crd && typeof out.pattern === 'string' && out.pattern.includes('(?i)')) out.pattern = caseInsensitive(out.pattern);
  if (crd && out['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

/**
 * A Go (RE2) pattern with the `(?i)` flag, which JavaScript's RegExp does not parse (the
 * PrometheusRule CRD has `^(?i)(abort|warn)?$`): the flag dropped and every letter outside a
 * character class or escape matched in both cases.
 */
function caseInsensitive(pattern: string): string {
  let out = '';
  let inClass = false;
  const p = pattern.replace(/\(\?i\)/g, '');
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') { out += c + (p[++i] ?? ''); continue; }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    out += !inClass && /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

function loadCore(): Map<string, { version: string; name: string }[]> {
  if (coreIndex) return coreIndex;
  coreIndex = new Map();
  for (const v of K8S_VERSIONS) {
    const defs = JSON.parse(readFileSync(path.join(SCHEMA_DIR, 'kubernetes', `k8s-v${v}-definitions.json`), 'utf8')).definitions;
    const strict = strictify({ definitions: defs }, false);
    ajv.addSchema(strict, `k8s-${v}`);
    for (const [name, def] of Object.entries<any>(defs)) {
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        const key = `${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`;
        coreIndex.set(key, [...(coreIndex.get(key) ?? []), { version: v, name }]);
      }
    }
  }
  return coreIndex;
}

function loadCrds(): Map<string, Schema> {
  if (crdIndex) return crdIndex;
  crdIndex = new Map();
  const dir = path.join(SCHEMA_DIR, 'crds');
  for (const file of readdirSync(dir).filter(f => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      const crd = doc.toJSON();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const ver of crd.spec.versions) {
        crdIndex.set(`${crd.spec.group}/${ver.name}/${crd.spec.names.kind}`, strictify(ver.schema.openAPIV3Schema, true));
      }
    }
  }
  return crdIndex;
}

function validatorFor(key: string): { id: string; fn: ValidateFunction }[] {
  const core = loadCore().get(key);
  if (core) {
    return core.map(({ version, name }) => {
      const id = `k8s ${version} ${name}`;
      let fn = validators.get(id);
      if (!fn) {
        fn = ajv.getSchema(`k8s-${version}#/definitions/${name}`)!;
        validators.set(id, fn);
      }
      return { id, fn };
    });
  }
  const crd = loadCrds().get(key);
  if (crd) {
    let fn = validators.get(key);
    if (!fn) {
      fn = ajv.compile(crd);
      validators.set(key, fn);
    }
    return [{ id: `CRD ${key}`, fn }];
  }
  return [];
}

/** Strict validation against upstream schemas; returns readable errors (empty when valid). */
export function schemaErrors(objects: any[]): string[] {
  const errors: string[] = [];
  for (const obj of objects) {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const id = `${obj.kind}/${obj.metadata?.name}`;
    const vs = validatorFor(key);
    if (vs.length === 0) {
      errors.push(`${id}: no upstream schema for ${key}`);
      continue;
    }
    for (const v of vs) {
      if (!v.fn(obj)) {
        for (const e of v.fn.errors ?? []) {
          errors.push(`${id} (${v.id}): ${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${(e.params as any).additionalProperty}"` : ''}`);
        }
      }
    }
  }
  return errors;
}

