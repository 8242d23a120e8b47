import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GovernanceReconciler } from '../access/governance-reconciler';
import { envRef } from '../proxy/config';
import { LiteLLMProxy } from '../proxy/litellm-proxy';
import { SECRET_TYPE_OPAQUE, SecretReference, secretReferences } from '../secret-references';

/** Who makes a Secret that a stack's objects read. */
export enum SecretProvider {
  /** You do (kubectl, Sealed Secrets, SOPS, an ExternalSecret of your own...): it must exist before the pods start. */
  USER = 'user',
  /** An External Secrets Operator `ExternalSecret` that the stack emits (its `externalSecrets` prop). */
  EXTERNAL_SECRETS = 'external-secrets',
  /** The CloudNativePG operator, for a cluster the stack declares (`<cluster>-app`). */
  CLOUDNATIVE_PG = 'cloudnative-pg',
  /** cert-manager, for an edge certificate with an issuer. */
  CERT_MANAGER = 'cert-manager',
}

/** One key of a required Secret. */
export interface SecretKeyRequirement {
  /** The key; `*` when an object reads the whole Secret (`envFrom`, a volume without items). */
  readonly key: string;
  /** What the value is for (from the variable, config.yaml entry or field that reads it). */
  readonly purpose: string;
  /** Who reads it and how, e.g. `Deployment/litellm env LITELLM_MASTER_KEY`, sorted. */
  readonly usedBy: string[];
}

/** One Secret the objects reference: what must exist in the namespace before the pods that read it start. */
export interface SecretRequirement {
  /** The namespace it must be in (its readers'). */
  readonly namespace: string;
  /** The Secret's name. */
  readonly name: string;
  /** The Secret's type: `Opaque`, `kubernetes.io/tls`, `kubernetes.io/dockerconfigjson`, or what its operator writes. */
  readonly type: string;
  /** Who makes it. */
  readonly provider: SecretProvider;
  /** Its keys, sorted. */
  readonly keys: SecretKeyRequirement[];
  /** The objects that read it (`Kind/name`), sorted. */
  readonly usedBy: string[];
}

/** What LiteLLM, Redis and the database clients read from these variables (their documented meaning). */
const ENV_PURPOSES: Record<string, string> = {
  LITELLM_MASTER_KEY: 'the master key (general_settings.master_key): admin access to the proxy; starts with "sk-"',
  LITELLM_SALT_KEY: 'the salt key: encrypts provider credentials stored in the database; never change it once models are stored',
  LITELLM_LICENSE: 'the LiteLLM Enterprise licence key',
  DRAIN_ENDPOINT_TOKEN: 'the token of /health/drain (X-Drain-Token header)',
  REDIS_PASSWORD: 'the password the proxy gives Redis (AUTH) for its shared limits, cooldowns and cache',
  REDIS_USERNAME: 'the Redis ACL user',
  REDIS_SENTINEL_PASSWORD: 'the Redis Sentinel password',
  REDISCLI_AUTH: 'the password the in-cluster Redis requires (AUTH)',
  DATABASE_URL: 'the PostgreSQL connection URL (postgresql://user:password@host:port/database)',
  DATABASE_USERNAME: 'the PostgreSQL user',
  DATABASE_PASSWORD: 'the PostgreSQL password',
};

/** Secrets the CloudNativePG operator writes for a Cluster `<name>` (pkg/specs/secrets.go: type kubernetes.io/basic-auth). */
const CNPG_SECRET_SUFFIXES = ['-app', '-superuser'];
const CNPG_SECRET_TYPE = 'kubernetes.io/basic-auth';
const CERT_MANAGER_ANNOTATIONS = ['cert-manager.io/cluster-issuer', 'cert-manager.io/issuer'];

/** Objects a Secret reference can sit in, by kind (the rest are not read). */
const READ_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'ReplicationController',
  'Ingress', 'IngressRoute', 'Certificate', 'TriggerAuthentication']);

/** Marks an ExternalSecret the library emits: what it writes, without rendering it (its data is computed from this inventory). */
const externalSecretTargets = new WeakMap<ApiObject, string>();

/** Records that `obj` (an ExternalSecret) writes the Secret `name`. */
export function registerExternalSecret(obj: ApiObject, name: string): void {
  externalSecretTargets.set(obj, name);
}

/**
 * The Secrets that the objects below a construct (a stack, a fleet, the App)
 * reference, found in the objects as they synthesize (JSON patches
 * included), each with its keys, what each is for and who reads it.
 * Reading it renders the objects as synth does: build everything first
 * (a GovernanceReconciler takes no declarations afterwards).
 *
 * ```ts
 * console.log(SecretInventory.of(app).toMarkdown());
 * ```
 */
export class SecretInventory {
  /** The inventory of every object below `scope`. */
  public static of(scope: IConstruct): SecretInventory {
    return new SecretInventory(collectRequirements(scope));
  }

  /** The Secrets, sorted by namespace and name; each key sorted. */
  public readonly requirements: SecretRequirement[];

  private constructor(requirements: SecretRequirement[]) {
    this.requirements = requirements;
  }

  /** The Secrets one namespace needs. */
  public inNamespace(namespace: string): SecretRequirement[] {
    return this.requirements.filter(r => r.namespace === namespace);
  }

  /** The Secrets you must create (provider USER), for a checklist. */
  public get userProvided(): SecretRequirement[] {
    return this.requirements.filter(r => r.provider === SecretProvider.USER);
  }

  /** A Markdown table, one row per key. Names and purposes only: the library never sees a value. */
  public toMarkdown(): string {
    const rows = ['| namespace | Secret | type | provided by | key | used for | read by |', '|---|---|---|---|---|---|---|'];
    for (const r of this.requirements) {
      for (const k of r.keys) {
        rows.push(`| ${[r.namespace, r.name, r.type, r.provider, k.key, k.purpose, k.usedBy.join('<br>')].map(cell).join(' | ')} |`);
      }
    }
    return `${rows.join('\n')}\n`;
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Options of {@link collectRequirements}, for a stack that builds its ExternalSecrets before synth. */
export interface CollectOptions {
  /** Constructs not to render (a GovernanceReconciler and its objects: rendering closes it to declarations). */
  readonly skip?: (c: IConstruct) => boolean;
  /** References known without rendering the skipped objects. */
  readonly extra?: SecretReference[];
}

/** The requirements of the objects below `scope`. */
export function collectRequirements(scope: IConstruct, options: CollectOptions = {}): SecretRequirement[] {
  const refs: SecretReference[] = [...(options.extra ?? [])];
  const cnpg = new Set<string>();
  const certManager = new Set<string>();
  const external = new Set<string>();
  const at = (namespace: string, name: string): string => `${namespace}/${name}`;

  for (const obj of scope.node.findAll()) {
    if (!(obj instanceof ApiObject)) continue;
    const target = externalSecretTargets.get(obj);
    const namespace = obj.metadata.namespace ?? Chart.of(obj).namespace ?? 'default';
    if (target !== undefined) {
      external.add(at(namespace, target));
      continue;
    }
    if (obj.kind === 'Cluster' && obj.apiVersion.startsWith('postgresql.cnpg.io/')) {
      for (const suffix of CNPG_SECRET_SUFFIXES) cnpg.add(at(namespace, `${obj.name}${suffix}`));
      continue;
    }
    if (obj.kind === 'ExternalSecret' && obj.apiVersion.startsWith('external-secrets.io/')) {
      const json = obj.toJson();
      external.add(at(namespace, json.spec?.target?.name ?? json.metadata?.name));
      continue;
    }
    if (!READ_KINDS.has(obj.kind) || options.skip?.(obj)) continue;
    const json = obj.toJson();
    const found = secretReferences(json, namespace);
    refs.push(...found);
    const issued = obj.kind === 'Certificate'
      || (obj.kind === 'Ingress' && CERT_MANAGER_ANNOTATIONS.some(a => json.metadata?.annotations?.[a] !== undefined));
    if (issued) for (const r of found) if (r.via === 'tls' || r.via === 'writes') certManager.add(at(r.namespace, r.secret));
  }

  const purposes = purposeTable(scope, options.skip);
  const secrets = new Map<string, { namespace: string; name: string; types: Set<string>; keys: Map<string, { purposes: Set<string>; usedBy: Set<string> }>; usedBy: Set<string> }>();
  for (const r of refs) {
    const id = at(r.namespace, r.secret);
    let s = secrets.get(id);
    if (s === undefined) {
      s = { namespace: r.namespace, name: r.secret, types: new Set(), keys: new Map(), usedBy: new Set() };
      secrets.set(id, s);
    }
    s.types.add(r.type);
    s.usedBy.add(r.object);
    let k = s.keys.get(r.key);
    if (k === undefined) {
      k = { purposes: new Set(), usedBy: new Set() };
      s.keys.set(r.key, k);
    }
    k.purposes.add(purposeOf(r, purposes));
    k.usedBy.add(`${r.object} ${r.via}`);
  }

  return [...secrets.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([id, s]) => {
      const provider = cnpg.has(id) ? SecretProvider.CLOUDNATIVE_PG
        : certManager.has(id) ? SecretProvider.CERT_MANAGER
          : external.has(id) ? SecretProvider.EXTERNAL_SECRETS : SecretProvider.USER;
      const types = [...s.types].filter(t => t !== SECRET_TYPE_OPAQUE);
      return {
        namespace: s.namespace,
        name: s.name,
        type: provider === SecretProvider.CLOUDNATIVE_PG ? CNPG_SECRET_TYPE : types[0] ?? SECRET_TYPE_OPAQUE,
        provider,
        keys: [...s.keys.entries()].sort(([a], [b]) => compare(a, b)).map(([key, k]) => ({
          key, purpose: [...k.purposes].sort(compare).join('; '), usedBy: [...k.usedBy].sort(compare),
        })),
        usedBy: [...s.usedBy].sort(compare),
      };
    });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What each variable is for, per namespace, from the constructs that read it:
 * a proxy's config.yaml entries that name it (`os.environ/NAME`), and a
 * reconciler's declared keys.
 */
function purposeTable(scope: IConstruct, skip?: (c: IConstruct) => boolean): Map<string, string> {
  const table = new Map<string, string>();
  const add = (namespace: string, env: string, purpose: string): void => {
    const id = `${namespace}/${env}`;
    const before = table.get(id);
    table.set(id, before === undefined || before === purpose ? purpose : `${before}; ${purpose}`);
  };
  for (const c of scope.node.findAll()) {
    if (skip?.(c)) continue;
    const namespace = (): string => Chart.of(c).namespace ?? 'default';
    if (c instanceof LiteLLMProxy) {
      const doc = c.config.toObject();
      const byEnv = new Map<string, string[]>();
      for (const m of doc.model_list ?? []) {
        for (const [field, value] of Object.entries<any>(m.litellm_params ?? {})) {
          if (typeof value === 'string' && value.startsWith(envRef(''))) {
            const env = value.slice(envRef('').length);
            const list = byEnv.get(`${env}\u0000${field}`) ?? [];
            if (!list.includes(m.model_name)) list.push(m.model_name);
            byEnv.set(`${env}\u0000${field}`, list);
          }
        }
      }
      for (const [id, names] of byEnv) {
        const [env, field] = id.split('\u0000');
        add(namespace(), env, `${field === 'api_key' ? 'the API key' : `litellm_params.${field}`} of model ${names.join(', ')} (config.yaml model_list)`);
      }
      for (const [section, settings] of Object.entries<any>(doc)) {
        if (section === 'model_list') continue;
        walkConfig(settings, section, (path, env) => add(namespace(), env, `config.yaml ${path}`));
      }
    } else if (c instanceof GovernanceReconciler) {
      for (const k of (c.desiredState.keys ?? []) as any[]) {
        if (typeof k?.value?.env === 'string') add(namespace(), k.value.env, `the value of virtual key "${k.key_alias}" (declared in access.keys)`);
      }
    }
  }
  return table;
}

function walkConfig(value: unknown, path: string, found: (path: string, env: string) => void): void {
  if (typeof value === 'string' && value.startsWith(envRef(''))) found(path, value.slice(envRef('').length));
  else if (Array.isArray(value)) value.forEach((v, i) => walkConfig(v, `${path}[${i}]`, found));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walkConfig(v, `${path}.${k}`, found);
}

function purposeOf(r: SecretReference, table: Map<string, string>): string {
  // A variable's documented meaning first; else what config.yaml or a reconciler does with it.
  if (r.env !== undefined) return ENV_PURPOSES[r.env] ?? table.get(`${r.namespace}/${r.env}`) ?? `the environment variable ${r.env}`;
  if (r.via === 'imagePullSecrets') return 'registry credentials to pull the images';
  if (r.via === 'tls' || r.via === 'writes') return r.key === 'tls.key' ? 'the edge\'s TLS private key' : 'the edge\'s TLS certificate chain';
  if (r.key === '*') return `every key, read whole (${r.via})`;
  return `read through ${r.via}`;
}
