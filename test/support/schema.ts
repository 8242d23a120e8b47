import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

/**
 * Schema validation of everything we emit, two ways:
 *  1. strict: the upstream Kubernetes OpenAPI definitions (1.28 and 1.35) and
 *     the pinned CRD files from ../shared, with unknown fields rejected the way
 *     `kubectl apply --validate=strict` and CRD structural pruning do;
 *  2. independent: the kubernetes-models packages' validate().
 */

const SHARED = process.env.LITELLM_SHARED_DIR ?? path.resolve(__dirname, '../../../shared');
const K8S_VERSIONS = ['1.28.0', '1.35.0'];
const CRD_FILES = [
  'traefik-v3-crds.yaml', 'gateway-api-v1.6.1-standard.yaml', 'nginx-ingress-v5.5.4-policies.yaml',
  'cert-manager-v1.21.1-certificates.yaml', 'prometheus-operator-v0.93.0-servicemonitors.yaml',
  'cloudnative-pg-v1.30.0-clusters.yaml', 'argo-cd-v3.5.1-application.yaml',
];

type Schema = Record<string, any>;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();
let coreIndex: Map<string, { version: string; name: string }[]> | undefined;
let crdIndex: Map<string, Schema> | undefined;

function requireShared(): void {
  if (!existsSync(SHARED)) {
    throw new Error(`schema files not found at ${SHARED}: clone next to the project's shared/ folder or set LITELLM_SHARED_DIR`);
  }
}

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
  if (crd && out['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

function loadCore(): Map<string, { version: string; name: string }[]> {
  if (coreIndex) return coreIndex;
  requireShared();
  coreIndex = new Map();
  for (const v of K8S_VERSIONS) {
    const defs = JSON.parse(readFileSync(path.join(SHARED, 'k8s-schemas', `k8s-v${v}-definitions.json`), 'utf8')).definitions;
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
  requireShared();
  crdIndex = new Map();
  for (const file of CRD_FILES) {
    for (const doc of parseAllDocuments(readFileSync(path.join(SHARED, 'crds', file), 'utf8'))) {
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
export function strictSchemaErrors(objects: any[]): string[] {
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

/** Validation with the kubernetes-models packages (a child process: they are ESM-only). */
export function kubernetesModelsErrors(objects: any[]): { errors: string[]; covered: string[] } {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'kubernetes-models-validate.mjs')], {
    input: JSON.stringify(objects), cwd: path.resolve(__dirname, '../..'), maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString());
}

/** Both validations; the list of all problems found. */
export function schemaErrors(objects: any[]): string[] {
  return [...strictSchemaErrors(objects), ...kubernetesModelsErrors(objects).errors];
}
