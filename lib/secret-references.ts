/**
 * Every place a manifest names a Secret, found in the objects as they are
 * synthesized (JSON patches included), not in the props that led to them: pod
 * templates of every workload kind (env `secretKeyRef`, `envFrom`, secret and
 * projected volumes, image pull Secrets), TLS Secrets of Ingresses, Traefik
 * IngressRoutes and cert-manager Certificates, KEDA TriggerAuthentications.
 * ExternalSecrets are not references: they write the Secret they name.
 */

/** Well-known Secret types (core/v1 types.go). */
export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
export const SECRET_TYPE_DOCKER_CONFIG = 'kubernetes.io/dockerconfigjson';

/** One reference to one key of a Secret, by one object. */
export interface SecretReference {
  /** Namespace of the referencing object (a Secret is always in its user's namespace). */
  readonly namespace: string;
  /** The Secret's name. */
  readonly secret: string;
  /** The key read, or every key (`*`) for `envFrom` and whole-Secret volumes. */
  readonly key: string;
  /** The Secret's type as the reference implies it. */
  readonly type: string;
  /** The referencing object, `Kind/name`. */
  readonly object: string;
  /** How it is read: `env NAME`, `volume NAME`, `imagePullSecrets`, `tls`, ... */
  readonly via: string;
  /** The environment variable, when read through one. */
  readonly env?: string;
}

/** Kinds whose pods are at `spec.template.spec`. */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);

/** The references one synthesized object makes. */
export function secretReferences(obj: any, defaultNamespace = 'default'): SecretReference[] {
  if (typeof obj !== 'object' || obj === null || typeof obj.kind !== 'string') return [];
  const namespace: string = obj.metadata?.namespace ?? defaultNamespace;
  const object = `${obj.kind}/${obj.metadata?.name}`;
  const out: SecretReference[] = [];
  const add = (secret: unknown, key: string, type: string, via: string, env?: string): void => {
    if (typeof secret !== 'string' || secret === '') return;
    out.push({ namespace, secret, key, type, object, via, ...(env !== undefined ? { env } : {}) });
  };
  const group = typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';

  const pod = podSpecOf(obj);
  if (pod !== undefined) podReferences(pod, add);

  if (obj.kind === 'Ingress' && group === 'networking.k8s.io') {
    for (const tls of obj.spec?.tls ?? []) addTls(add, tls?.secretName);
  }
  if (obj.kind === 'IngressRoute' && group === 'traefik.io') addTls(add, obj.spec?.tls?.secretName);
  if (obj.kind === 'Certificate' && group === 'cert-manager.io') addTls(add, obj.spec?.secretName, 'writes');
  if (obj.kind === 'TriggerAuthentication' && group === 'keda.sh') {
    for (const t of obj.spec?.secretTargetRef ?? []) add(t?.name, t?.key, SECRET_TYPE_OPAQUE, `secretTargetRef ${t?.parameter}`);
  }
  return out;
}

function addTls(add: (secret: unknown, key: string, type: string, via: string) => void, secret: unknown, via = 'tls'): void {
  for (const key of ['tls.crt', 'tls.key']) add(secret, key, SECRET_TYPE_TLS, via);
}

function podSpecOf(obj: any): any {
  if (obj.kind === 'Pod' && obj.apiVersion === 'v1') return obj.spec;
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.spec;
  if (POD_TEMPLATE_KINDS.has(obj.kind)) return obj.spec?.template?.spec;
  return undefined;
}

function podReferences(pod: any, add: (secret: unknown, key: string, type: string, via: string, env?: string) => void): void {
  for (const s of pod.imagePullSecrets ?? []) add(s?.name, '.dockerconfigjson', SECRET_TYPE_DOCKER_CONFIG, 'imagePullSecrets');
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      const ref = e?.valueFrom?.secretKeyRef;
      if (ref !== undefined) add(ref.name, ref.key, SECRET_TYPE_OPAQUE, `env ${e.name}`, e.name);
    }
    for (const e of c?.envFrom ?? []) {
      if (e?.secretRef !== undefined) add(e.secretRef.name, '*', SECRET_TYPE_OPAQUE, 'envFrom');
    }
  }
  for (const v of pod.volumes ?? []) {
    if (v?.secret !== undefined) volumeItems(add, v.secret.secretName, v.secret.items, `volume ${v.name}`);
    for (const source of v?.projected?.sources ?? []) {
      if (source?.secret !== undefined) volumeItems(add, source.secret.name, source.secret.items, `volume ${v.name}`);
    }
  }
}

function volumeItems(add: (secret: unknown, key: string, type: string, via: string) => void, secret: unknown, items: any[] | undefined, via: string): void {
  if (items === undefined || items.length === 0) add(secret, '*', SECRET_TYPE_OPAQUE, via);
  else for (const item of items) add(secret, item?.key, SECRET_TYPE_OPAQUE, via);
}
