import { createHash } from 'crypto';
import { ConfigSection } from '../proxy/config';
import { Chart, JsonPatch, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ARGO_HOOK, ARGO_HOOK_DELETE_POLICY } from '../argocd';
import { LiteLLMConfigError, addStackValidation, inStack } from '../errors';
import { selectorLabels, standardLabels } from '../labels';
import { dnsEgress, renderPeer, renderPorts } from '../network';
import { restrictedContainerSecurityContext } from '../pod-security';
import { proxyImageJobSpec } from '../proxy/job';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { boolean, integer, list, plainObject } from '../validate';
import {
  BudgetDeclaration, CheckedBudget, CheckedKey, CheckedTeam, CheckedUser, KeyDeclaration, TeamDeclaration, UserDeclaration,
  checkBudget, checkKey, checkTeam, checkUser,
} from './declarations';
import { AccessContext, DesiredState, desiredState, keyValueEnv } from './desired-state';
import { ACCESS_DIR, DESIRED_STATE_FILE, RECONCILE_FILE, RECONCILE_SCRIPT } from './reconcile-script';

/** Teams, users, keys and budgets, and how they are reconciled: a stack's `access` prop. */
export interface GovernanceReconcilerOptions {
  /** Teams. @default none (add more with `addTeam`) */
  readonly teams?: TeamDeclaration[];
  /** Users. @default none (add more with `addUser`) */
  readonly users?: UserDeclaration[];
  /** Virtual keys, their values from Secrets. @default none (add more with `addKey`) */
  readonly keys?: KeyDeclaration[];
  /** Budget tiers keys can share. @default none (add more with `addBudget`) */
  readonly budgets?: BudgetDeclaration[];
  /**
   * Delete teams, users, keys and budget tiers that carry this owner's marker
   * but are no longer declared. Objects created by hand or by another owner are
   * never deleted, nor a team or user that still has keys not managed here
   * (deleting it would delete them too).
   * @default false: undeclared objects are reported and kept
   */
  readonly prune?: boolean;
  /**
   * Print the plan (one line per object: would create, update, rotate, delete)
   * and change nothing: the Job runs with `LITELLM_ACCESS_DRY_RUN=true`. For a
   * first look at what the declarations would do to an existing database
   * before letting the Job apply them.
   * @default false: the Job applies the plan
   */
  readonly dryRun?: boolean;
  /**
   * Who owns the objects, written into their metadata (`cdk8s_litellm_owner`)
   * and budget ids; two reconcilers sharing a database need different owners.
   * @default `<namespace>/<proxy name>`
   */
  readonly owner?: string;
  /** How long the Job waits for the proxy's readiness. @default 300 */
  readonly waitTimeoutSeconds?: number;
  /** Retries of a failed pod (`backoffLimit`); a run is idempotent. @default 1 */
  readonly backoffLimit?: number;
  /** Hard limit on the whole Job, retries included. @default 900 */
  readonly activeDeadlineSeconds?: number;
  /** How long a finished Job (and its log) is kept. @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
  /** CPU request. @default '50m' */
  readonly cpu?: string;
  /** Memory request; the limit is twice this. @default '64Mi' (the interpreter and the standard library only) */
  readonly memory?: string;
}

/** Props of {@link GovernanceReconciler}. */
export interface GovernanceReconcilerProps extends GovernanceReconcilerOptions {
  /** The proxy whose teams, users, keys and budgets are declared; it needs a `database`. */
  readonly proxy: LiteLLMProxy;
}

const CONTAINER = 'reconcile';
const OWNER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,126}[A-Za-z0-9]$/;

/**
 * Governance as code without a controller: teams, users, virtual keys and
 * budget tiers declared here are written into a ConfigMap (the desired state,
 * no secret in it), and a Job in the proxy's image makes LiteLLM match it
 * through the admin API with the master key.
 *
 * - Argo CD runs the Job as a `PostSync` hook (`BeforeHookCreation`): after
 *   every sync, once the proxy is healthy. Its name carries a hash of what it
 *   runs (desired state, program, image, env), so a plain `kubectl apply`
 *   starts a new Job whenever the declarations change.
 * - It creates what is missing, updates what differs (drift included), rotates
 *   a key whose Secret holds a new value, and deletes only with `prune`, only
 *   objects marked as this owner's. A second run reports "no changes".
 * - Key values reach the Job only as `secretKeyRef` env; the Job reaches only
 *   the proxy pods (and DNS), runs under Pod Security `restricted` with no
 *   ServiceAccount token.
 */
export class GovernanceReconciler extends Construct {
  /** The Job (the primary child, id `Resource`); its emitted name is {@link jobName}. */
  public readonly job: k8s.KubeJob;
  /** The desired state (`desired-state.json`) and the program (`reconcile.py`). */
  public readonly configMap: k8s.KubeConfigMap;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The owner written into every managed object. */
  public readonly owner: string;
  /** Whether undeclared objects of this owner are deleted. */
  public readonly prune: boolean;
  /** Whether the Job only prints its plan. */
  public readonly dryRun: boolean;

  private readonly proxy: LiteLLMProxy;
  private readonly teams: CheckedTeam[] = [];
  private readonly users: CheckedUser[] = [];
  private readonly keys: CheckedKey[] = [];
  private readonly budgets: CheckedBudget[] = [];
  private rendered?: { state: DesiredState; env: k8s.EnvVar[]; name: string; data: Record<string, string> };
  private readonly settings: { waitTimeout: number; backoffLimit: number; deadline: number };

  constructor(scope: Construct, id: string, props: GovernanceReconcilerProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null || props.proxy === undefined) {
        throw new LiteLLMConfigError(id, props, 'GovernanceReconciler needs { proxy, teams?, users?, keys?, budgets? }');
      }
      const proxy = props.proxy;
      this.proxy = proxy;
      if (!proxy.environment.some(e => e.name === 'DATABASE_URL' || e.name === 'DATABASE_HOST')) {
        throw new LiteLLMConfigError('proxy', proxy.name, 'needs a database: teams, users, keys and budgets live in Postgres; give the proxy `database`');
      }
      const namespace = Chart.of(this).namespace;
      this.owner = props.owner ?? `${namespace ?? 'default'}/${proxy.name}`;
      if (typeof this.owner !== 'string' || !OWNER.test(this.owner)) {
        throw new LiteLLMConfigError('owner', props.owner, 'must be 2 to 128 letters, digits, \'.\', \'_\', \'-\' and \'/\', starting and ending with a letter or digit');
      }
      this.prune = props.prune === undefined ? false : boolean('prune', props.prune);
      this.dryRun = props.dryRun === undefined ? false : boolean('dryRun', props.dryRun);
      const waitTimeout = integer('waitTimeoutSeconds', props.waitTimeoutSeconds ?? 300, 10, 3600);
      const deadline = integer('activeDeadlineSeconds', props.activeDeadlineSeconds ?? 900, 60);
      if (deadline <= waitTimeout) {
        throw new LiteLLMConfigError('activeDeadlineSeconds', deadline, `must exceed waitTimeoutSeconds (${waitTimeout}) so the reconciliation itself has time to run`);
      }
      const backoffLimit = integer('backoffLimit', props.backoffLimit ?? 1, 0, 10);
      this.settings = { waitTimeout, backoffLimit, deadline };
      const ttl = integer('ttlSecondsAfterFinished', props.ttlSecondsAfterFinished ?? 86400, 0);
      const cpuMillis = parseCpuMillis('cpu', props.cpu ?? '50m');
      const memoryBytes = parseMemoryBytes('memory', props.memory ?? '64Mi');

      list('teams', props.teams, true).forEach(t => this.addTeam(t));
      list('users', props.users, true).forEach(u => this.addUser(u));
      list('budgets', props.budgets, true).forEach(b => this.addBudget(b));
      list('keys', props.keys, true).forEach(k => this.addKey(k));

      const baseName = `${proxy.name}-access`;
      const labels = standardLabels(proxy.name, 'access');
      const podSelector = selectorLabels(proxy.name, 'access');

      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: { name: baseName, labels },
        // The reconciler talks to LiteLLM only, never to the Kubernetes API.
        automountServiceAccountToken: false,
      });

      this.configMap = new k8s.KubeConfigMap(this, 'DesiredState', {
        metadata: { name: baseName, labels },
        data: Lazy.any({ produce: () => this.render().data }),
      });

      // The Job reaches the proxy pods on their port and DNS, nothing else; nothing reaches it.
      proxy.allowFrom({ podLabels: podSelector }, 'access');
      this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: { name: baseName, labels },
        spec: {
          podSelector: { matchLabels: podSelector },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [],
          egress: [dnsEgress(), { to: [renderPeer({ podLabels: proxy.podSelector })], ports: renderPorts('port', [proxy.port]) }],
        },
      });

      this.job = new k8s.KubeJob(this, 'Resource', {
        metadata: {
          // Replaced by `<proxy>-access-<hash>` at synth (below), once every declaration is in; the
          // file in dist/ keeps this stable name, so a change shows as an edit of one file.
          name: baseName,
          labels,
          annotations: {
            // After every sync, once the proxy is healthy; the previous run is kept until then for its log.
            [ARGO_HOOK]: 'PostSync',
            [ARGO_HOOK_DELETE_POLICY]: 'BeforeHookCreation',
          },
        },
        spec: proxyImageJobSpec(proxy, {
          labels, podSelector, serviceAccountName: this.serviceAccount.name,
          backoffLimit, activeDeadlineSeconds: deadline, ttlSecondsAfterFinished: ttl,
          containers: [{
            name: CONTAINER,
            image: proxy.image.reference,
            imagePullPolicy: 'IfNotPresent',
            command: ['python', `${ACCESS_DIR}/${RECONCILE_FILE}`],
            env: Lazy.any({ produce: () => this.render().env }),
            resources: {
              requests: { cpu: k8s.Quantity.fromString(formatCpu(cpuMillis)), memory: k8s.Quantity.fromString(formatMemory(memoryBytes)) },
              limits: { memory: k8s.Quantity.fromString(formatMemory(2 * memoryBytes)) },
            },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: 'desired-state', mountPath: ACCESS_DIR, readOnly: true }],
          }],
          volumes: [{ name: 'desired-state', configMap: { name: this.configMap.name } }],
        }),
      });

      // Declarations may be added after construction: check the whole at synth, before anything renders.
      let named = false;
      addStackValidation(this, () => {
        const { name } = this.render();
        if (!named) this.job.addJsonPatch(JsonPatch.replace('/metadata/name', name));
        named = true;
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** Declares a team. */
  public addTeam(team: TeamDeclaration): void {
    this.named(() => {
      this.assertOpen();
      this.teams.push(checkTeam(`teams[${this.teams.length}]`, team));
    });
  }

  /** Declares a user. */
  public addUser(user: UserDeclaration): void {
    this.named(() => {
      this.assertOpen();
      this.users.push(checkUser(`users[${this.users.length}]`, user));
    });
  }

  /** Declares a virtual key; its value comes from the Secret key in `value`. */
  public addKey(key: KeyDeclaration): void {
    this.named(() => {
      this.assertOpen();
      this.keys.push(checkKey(`keys[${this.keys.length}]`, key));
    });
  }

  /** Declares a budget tier keys can reference by id. */
  public addBudget(budget: BudgetDeclaration): void {
    this.named(() => {
      this.assertOpen();
      this.budgets.push(checkBudget(`budgets[${this.budgets.length}]`, budget));
    });
  }

  /** The Job's name, `<proxy>-access-<hash>` (final once every declaration is added). */
  public get jobName(): string {
    let name = '';
    this.named(() => { name = this.render().name; });
    return name;
  }

  /** The desired state as the reconciler reads it, as JSON (final once every declaration is added). */
  public get desiredState(): { [key: string]: any } {
    let state: { [key: string]: any } = {};
    this.named(() => { state = this.render().state; });
    return state;
  }

  /** Runs `change`, naming this reconciler's stack in any error it raises (declarations may be added after construction). */
  private named(change: () => void): void {
    try {
      change();
    } catch (e) {
      throw inStack(e, this);
    }
  }

  private assertOpen(): void {
    if (this.rendered !== undefined) {
      throw new LiteLLMConfigError('GovernanceReconciler', this.node.path, 'declarations can no longer be added once the desired state was rendered (jobName, desiredState or synth)');
    }
  }

  private render(): NonNullable<GovernanceReconciler['rendered']> {
    if (this.rendered !== undefined) return this.rendered;
    const proxy = this.proxy;
    const state = desiredState({ teams: this.teams, users: this.users, keys: this.keys, budgets: this.budgets }, accessContext(proxy), this.owner, this.prune);
    const data = { [DESIRED_STATE_FILE]: `${JSON.stringify(state, null, 2)}\n`, [RECONCILE_FILE]: RECONCILE_SCRIPT };

    const masterKey = proxy.environment.find(e => e.name === 'LITELLM_MASTER_KEY')?.valueFrom?.secretKeyRef;
    if (masterKey === undefined) throw new LiteLLMConfigError('proxy', proxy.name, 'has no LITELLM_MASTER_KEY from a Secret');
    const namespace = Chart.of(this).namespace;
    const minLength = proxy.environment.find(e => e.name === 'MINIMUM_CUSTOM_KEY_LENGTH')?.value;
    const env: k8s.EnvVar[] = [
      // The Service's in-cluster name: the Job may run in a pod without search domains for it.
      { name: 'LITELLM_PROXY_HOST', value: namespace !== undefined ? `${proxy.serviceName}.${namespace}.svc.cluster.local` : proxy.serviceName },
      { name: 'LITELLM_PROXY_PORT', value: String(proxy.port) },
      { name: 'LITELLM_MASTER_KEY', valueFrom: { secretKeyRef: { name: masterKey.name, key: masterKey.key } } },
      { name: 'DESIRED_STATE_PATH', value: `${ACCESS_DIR}/${DESIRED_STATE_FILE}` },
      { name: 'WAIT_TIMEOUT_SECONDS', value: String(this.settings.waitTimeout) },
      ...(this.dryRun ? [{ name: 'LITELLM_ACCESS_DRY_RUN', value: 'true' }] : []),
      ...(minLength !== undefined ? [{ name: 'MINIMUM_CUSTOM_KEY_LENGTH', value: minLength }] : []),
      // Nothing is written: no bytecode on the read-only root filesystem.
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
      ...this.keys.map((k, i) => ({ name: keyValueEnv(i), valueFrom: { secretKeyRef: { name: k.value.name, key: k.value.key } } })),
    ];
    // The hash covers everything the run depends on but the Secrets' values (see the README on rotation).
    const hash = createHash('sha256')
      .update(JSON.stringify({ data, env, image: proxy.image.reference, backoffLimit: this.settings.backoffLimit, deadline: this.settings.deadline }))
      .digest('hex').slice(0, 8);
    const baseName = `${proxy.name}-access`;
    this.rendered = { state, env, data, name: `${baseName.slice(0, 63 - 9)}-${hash}` };
    return this.rendered;
  }
}

/** What the declarations are checked against, read from the proxy at synth. */
function accessContext(proxy: LiteLLMProxy): AccessContext {
  const doc = proxy.config.toObject();
  const models = new Set<string>();
  const groups = new Map<string, Set<string>>();
  const maxTokens = new Map<string, { tokens: number; prop: string }>();
  (doc.model_list as Record<string, any>[]).forEach((entry, i) => {
    const tokens = entry.litellm_params?.max_tokens;
    if (typeof tokens === 'number' && tokens > (maxTokens.get(entry.model_name)?.tokens ?? 0)) {
      maxTokens.set(entry.model_name, { tokens, prop: `models[${i}].params.max_tokens` });
    }
  });
  for (const entry of (doc.model_list as Record<string, any>[])) {
    models.add(entry.model_name);
    for (const g of entry.model_info?.access_groups ?? []) {
      if (!groups.has(g)) groups.set(g, new Set());
      groups.get(g)!.add(entry.model_name);
    }
  }
  const settings = (key: string): Record<string, unknown> | undefined => {
    const v = proxy.config.get(ConfigSection.LITELLM_SETTINGS, key);
    return v !== undefined ? plainObject(key, v) : undefined;
  };
  const reservation = settings('priority_reservation');
  return {
    models,
    accessGroups: groups,
    keyDefaults: settings('default_key_generate_params'),
    keyLimits: settings('upperbound_key_generate_params'),
    licensed: proxy.environment.some(e => e.name === 'LITELLM_LICENSE'),
    priorities: reservation !== undefined ? new Set(Object.keys(reservation)) : undefined,
    maxTokens,
  };
}
