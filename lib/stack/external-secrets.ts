import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  ExternalSecret, ExternalSecretProps, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetCreationPolicy, ExternalSecretSpecTargetDeletionPolicy,
} from '../../imports/external-secrets.io';
import { credentialKind } from '../credentials';
import { LiteLLMConfigError, addStackValidation, hidden } from '../errors';
import { standardLabels } from '../labels';
import { SECRET_TYPE_OPAQUE } from '../secret-references';
import { didYouMean, dns1123Subdomain, enumValue, list, nonEmptyString, plainObject } from '../validate';
import { SecretProvider, SecretRequirement, collectRequirements, registerExternalSecret } from './secret-inventory';

/** Where an External Secrets Operator store is declared. */
export enum SecretStoreKind {
  /** A `SecretStore` in the stack's namespace. */
  SECRET_STORE = 'SecretStore',
  /** A cluster-wide `ClusterSecretStore`. */
  CLUSTER_SECRET_STORE = 'ClusterSecretStore',
}

/** The store the ExternalSecrets read from. */
export interface SecretStoreRef {
  /** The store's name. */
  readonly name: string;
  /** SecretStore (in the stack's namespace) or ClusterSecretStore. @default SecretStoreKind.SECRET_STORE (ESO's default) */
  readonly kind?: SecretStoreKind;
}

/** Where one key of one Secret comes from, when it is not `<remoteKeyPrefix><Secret name>`, property `<key>`. */
export interface ExternalSecretRemoteRef {
  /** The Kubernetes Secret, as the stack references it (e.g. `llm-provider-keys`). */
  readonly secretName: string;
  /** The key in that Secret (e.g. `openai`). */
  readonly key: string;
  /** The secret's key (name or path) in the provider. */
  readonly remoteKey: string;
  /** The property of the provider's value to read (a JSON field, a Vault KV key). @default none: the whole value */
  readonly property?: string;
  /** The provider's version of the value. @default the provider's current one */
  readonly version?: string;
}

/**
 * The stack writes an External Secrets Operator `ExternalSecret` (external-secrets.io/v1,
 * checked against ESO v2.9.0) for every Secret its objects read that you would otherwise
 * create by hand: provider keys, master and salt keys, the Redis password, the database
 * URL or credentials, virtual-key values, image pull and TLS Secrets without an issuer.
 * Each ExternalSecret is named after its Secret and owns it (`creationPolicy: Owner`).
 * Secrets that an operator writes (CloudNativePG's `<cluster>-app`, cert-manager's
 * certificates) are left to it.
 */
export interface ExternalSecretsOptions {
  /** The SecretStore or ClusterSecretStore to read from. */
  readonly storeRef: SecretStoreRef;
  /**
   * How often ESO reads the provider again, as a Go duration (`"1h"`, `"15m"`,
   * `"1h30m"`); `"0s"` reads once and never again (a rotation is then never seen).
   * @default '1h'
   */
  readonly refreshInterval?: string;
  /**
   * Every key is read from remote key `<remoteKeyPrefix><Secret name>`, property
   * `<key>`: one provider secret per Kubernetes Secret, its keys as properties
   * (Vault KV, AWS Secrets Manager or Google Secret Manager JSON, ...). A Secret
   * read whole is extracted from the same remote key.
   * @default '' (the remote key is the Secret's name)
   */
  readonly remoteKeyPrefix?: string;
  /** Keys that live elsewhere in the provider. @default none */
  readonly remoteRefs?: ExternalSecretRemoteRef[];
  /** Secrets you provide some other way: no ExternalSecret is written for them. @default none */
  readonly exclude?: string[];
}

// Go's time.ParseDuration, which ESO applies to refreshInterval: "0", or a sequence of decimal numbers with units.
const GO_DURATION = /^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;
// A remote key or property is a name or a path: printable, no whitespace.
const REMOTE_NAME = /^[^\s\u0000-\u001f\u007f]+$/;

/** The options, checked for shape (what they name is checked at synth, against every Secret the stack reads). */
export function checkExternalSecretsOptions(o: ExternalSecretsOptions): void {
  plainObject('externalSecrets', o);
  plainObject('externalSecrets.storeRef', o.storeRef);
  dns1123Subdomain('externalSecrets.storeRef.name', o.storeRef.name);
  if (o.storeRef.kind !== undefined) enumValue('externalSecrets.storeRef.kind', o.storeRef.kind, SecretStoreKind, 'SecretStoreKind');
  if (o.refreshInterval !== undefined && (typeof o.refreshInterval !== 'string' || !GO_DURATION.test(o.refreshInterval))) {
    throw new LiteLLMConfigError('externalSecrets.refreshInterval', o.refreshInterval,
      'must be a Go duration such as "1h", "15m" or "1h30m" (units ns, us, ms, s, m, h); "0s" reads the provider once');
  }
  if (o.remoteKeyPrefix !== undefined && o.remoteKeyPrefix !== '') remoteName('externalSecrets.remoteKeyPrefix', o.remoteKeyPrefix);
  list('externalSecrets.exclude', o.exclude).forEach((n, i) => dns1123Subdomain(`externalSecrets.exclude[${i}]`, n));
  const seen = new Map<string, number>();
  list('externalSecrets.remoteRefs', o.remoteRefs, true).forEach((r, i) => {
    const p = `externalSecrets.remoteRefs[${i}]`;
    plainObject(p, r);
    dns1123Subdomain(`${p}.secretName`, r.secretName);
    nonEmptyString(`${p}.key`, r.key);
    remoteName(`${p}.remoteKey`, r.remoteKey);
    if (r.property !== undefined) remoteName(`${p}.property`, r.property);
    if (r.version !== undefined) remoteName(`${p}.version`, r.version);
    const id = `${r.secretName}/${r.key}`;
    const first = seen.get(id);
    if (first !== undefined) {
      throw new LiteLLMConfigError(`${p}.key`, r.key, `externalSecrets.remoteRefs[${first}] already maps ${id}: give each Secret key one remote reference`);
    }
    seen.set(id, i);
  });
}

function remoteName(prop: string, value: unknown): string {
  if (typeof value !== 'string' || !REMOTE_NAME.test(value)) {
    throw new LiteLLMConfigError(prop, value, 'must name a key in the provider: a non-empty name or path without whitespace');
  }
  if (credentialKind(value) !== undefined) {
    // A value pasted where its name belongs would end up in dist/ in clear.
    throw new LiteLLMConfigError(prop, hidden('a value that looks like a credential'),
      `must be the name of a secret in the provider, never the secret itself (this looks like ${credentialKind(value)})`);
  }
  return value;
}

/**
 * The ExternalSecrets of one stack, one per Secret its objects read that
 * nobody else writes. The set of Secrets is fixed when the stack is built;
 * each one's keys are read again at synth, so keys declared later (a
 * virtual key added with `stack.access.addKey`) are fetched too. A Secret
 * first referenced after the stack was built is an error at synth, never a
 * Secret silently left out.
 */
export class StackExternalSecrets extends Construct {
  /** The ExternalSecrets, by Secret name. */
  public readonly objects: ExternalSecret[] = [];

  /** @internal */
  public static _create(stack: Chart, options: ExternalSecretsOptions, instance: string, known: SecretRequirement[]): StackExternalSecrets {
    return new StackExternalSecrets(stack, options, instance, known);
  }

  private constructor(private readonly stack: Chart, private readonly options: ExternalSecretsOptions, instance: string, known: SecretRequirement[]) {
    super(stack, 'ExternalSecrets');
    const exclude = new Set(options.exclude ?? []);
    const namespace = stack.namespace ?? 'default';
    const managed = known.filter(r => r.provider === SecretProvider.USER && r.namespace === namespace && !exclude.has(r.name));
    for (const r of managed) {
      const obj = new LazyExternalSecret(this, r.name, {
        metadata: { name: r.name, labels: standardLabels(instance, 'secrets') },
        spec: {
          secretStoreRef: {
            name: options.storeRef.name,
            kind: (options.storeRef.kind ?? SecretStoreKind.SECRET_STORE) as string as ExternalSecretSpecSecretStoreRefKind,
          },
          refreshInterval: options.refreshInterval ?? '1h',
          target: {
            name: r.name,
            // The Secret belongs to its ExternalSecret: deleting one (Argo CD pruning it) deletes the other.
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
            // A value deleted in the provider leaves the last one in place: running pods keep working.
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            ...(r.type !== SECRET_TYPE_OPAQUE ? { template: { type: r.type } } : {}),
          },
        },
      }, () => this.dataOf(r.name));
      registerExternalSecret(obj, r.name);
      this.objects.push(obj);
    }
    addStackValidation(this, () => this.check());
  }

  /** `spec.data` / `spec.dataFrom` of the ExternalSecret for `name`, from the keys read at synth. */
  private dataOf(name: string): { data?: any[]; dataFrom?: any[] } {
    const r = this.requirements().find(x => x.name === name);
    const keys = r?.keys.map(k => k.key) ?? [];
    const prefix = this.options.remoteKeyPrefix ?? '';
    const explicit = new Map((this.options.remoteRefs ?? []).filter(x => x.secretName === name).map(x => [x.key, x]));
    const data = keys.filter(k => k !== '*').map(key => {
      const ref = explicit.get(key);
      return {
        secretKey: key,
        remoteRef: ref !== undefined
          ? { key: ref.remoteKey, ...(ref.property !== undefined ? { property: ref.property } : {}), ...(ref.version !== undefined ? { version: ref.version } : {}) }
          : { key: `${prefix}${name}`, property: key },
      };
    });
    return {
      ...(data.length > 0 ? { data } : {}),
      ...(keys.includes('*') ? { dataFrom: [{ extract: { key: `${prefix}${name}` } }] } : {}),
    };
  }

  /** Every Secret the stack's objects read, as they synthesize. */
  private requirements(): SecretRequirement[] {
    const namespace = this.stack.namespace ?? 'default';
    return collectRequirements(this.stack).filter(r => r.namespace === namespace);
  }

  /** At synth: what the options name exists, and every Secret the stack reads has a writer. */
  private check(): void {
    const all = this.requirements();
    const names = all.map(r => r.name);
    const byName = new Map(all.map(r => [r.name, r]));
    (this.options.exclude ?? []).forEach((n, i) => {
      const r = byName.get(n);
      if (r === undefined) {
        throw new LiteLLMConfigError(`externalSecrets.exclude[${i}]`, n, `is not a Secret this stack reads (it reads ${names.join(', ') || 'none'})${didYouMean(n, names)}`);
      }
      if (r.provider !== SecretProvider.USER) {
        throw new LiteLLMConfigError(`externalSecrets.exclude[${i}]`, n, `is written by ${r.provider}, not by an ExternalSecret of the stack: leave it out of exclude`);
      }
    });
    (this.options.remoteRefs ?? []).forEach((ref, i) => {
      const p = `externalSecrets.remoteRefs[${i}]`;
      const r = byName.get(ref.secretName);
      if (r === undefined) {
        throw new LiteLLMConfigError(`${p}.secretName`, ref.secretName, `is not a Secret this stack reads (it reads ${names.join(', ') || 'none'})${didYouMean(ref.secretName, names)}`);
      }
      if (r.provider !== SecretProvider.EXTERNAL_SECRETS) {
        throw new LiteLLMConfigError(`${p}.secretName`, ref.secretName, (this.options.exclude ?? []).includes(ref.secretName)
          ? 'is also in externalSecrets.exclude: no ExternalSecret is written for it, so a remote reference for it would be ignored; drop one of the two'
          : `is written by ${r.provider}, not by an ExternalSecret of the stack`);
      }
      const keys = r.keys.map(k => k.key).filter(k => k !== '*');
      if (!keys.includes(ref.key)) {
        throw new LiteLLMConfigError(`${p}.key`, ref.key, `is not a key the stack reads from Secret ${ref.secretName} (it reads ${keys.join(', ') || 'the whole Secret'})${didYouMean(ref.key, keys)}`);
      }
    });
    const orphan = all.find(r => r.provider === SecretProvider.USER && !(this.options.exclude ?? []).includes(r.name));
    if (orphan !== undefined) {
      throw new LiteLLMConfigError('externalSecrets', orphan.name,
        `Secret "${orphan.name}" (read by ${orphan.usedBy.join(', ')}) was first referenced after the stack was built, so no ExternalSecret writes it: `
        + 'give it through the stack\'s props, or list it in externalSecrets.exclude and create it yourself');
    }
  }
}

/** An ExternalSecret whose data is read from the stack's references when it synthesizes. */
class LazyExternalSecret extends ExternalSecret {
  constructor(scope: Construct, id: string, props: ExternalSecretProps, private readonly produce: () => { data?: any[]; dataFrom?: any[] }) {
    super(scope, id, props);
  }

  public toJson(): any {
    const json = super.toJson();
    // Keys in cdk8s's order (sorted), as every other object's.
    const spec: Record<string, unknown> = { ...json.spec, ...this.produce() };
    return { ...json, spec: Object.fromEntries(Object.keys(spec).sort().map(k => [k, spec[k]])) };
  }
}

/** The ExternalSecrets for a stack, from the references its objects make now. */
export function stackExternalSecrets(stack: Chart, options: ExternalSecretsOptions, instance: string, skip: (c: IConstruct) => boolean,
  extra: { secret: string; key: string; object: string; env: string }[]): StackExternalSecrets {
  const namespace = stack.namespace ?? 'default';
  const known = collectRequirements(stack, {
    skip,
    extra: extra.map(e => ({ namespace, secret: e.secret, key: e.key, type: SECRET_TYPE_OPAQUE, object: e.object, via: `env ${e.env}`, env: e.env })),
  });
  return StackExternalSecrets._create(stack, options, instance, known);
}

