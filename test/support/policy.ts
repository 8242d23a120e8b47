import { parse } from 'yaml';
import { looksLikeSecret } from '../../lib/credentials';

/**
 * The policy gate over everything the library emits: Pod Security Standards
 * `restricted`, the rules common scanners (kube-score, Polaris, kube-linter,
 * Checkov, Trivy) enforce, "nothing secret in the output", and the edge rules
 * for streaming. Generic over synthesized objects: it knows kinds, not
 * constructs, so every chart the library grows is checked unchanged.
 *
 * Pod Security rules follow kubernetes/pod-security-admission (policy/check_*.go)
 * and kubernetes.io/docs/concepts/security/pod-security-standards.
 */

/** Every rule the gate knows, with what it asks. */
export const POLICY_RULES = {
  // --- Pod Security Standards, baseline ---------------------------------------------------------
  'PSS-HOST-PROCESS': 'windowsOptions.hostProcess unset or false (pod and every container)',
  'PSS-HOST-NAMESPACES': 'hostNetwork, hostPID and hostIPC unset or false',
  'PSS-PRIVILEGED': 'securityContext.privileged unset or false on every container',
  'PSS-HOSTPATH': 'no hostPath volumes',
  'PSS-HOST-PORTS': 'no hostPort on any container port',
  'PSS-APPARMOR': 'AppArmor profile (field or annotation) only RuntimeDefault or Localhost',
  'PSS-SELINUX': 'seLinuxOptions.type only container_t, container_init_t, container_kvm_t or container_engine_t; user and role unset',
  'PSS-PROC-MOUNT': 'procMount unset or Default',
  'PSS-SYSCTLS': 'only the safe sysctls',
  // --- Pod Security Standards, restricted -------------------------------------------------------
  'PSS-VOLUME-TYPES': 'volumes only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret',
  'PSS-PRIVILEGE-ESCALATION': 'allowPrivilegeEscalation: false on every container',
  'PSS-RUN-AS-NON-ROOT': 'runAsNonRoot: true at pod level or on every container, never false on a container',
  'PSS-RUN-AS-USER': 'runAsUser never 0',
  'PSS-SECCOMP': 'seccompProfile RuntimeDefault or Localhost at pod level or on every container, never Unconfined',
  'PSS-CAPABILITIES': 'capabilities.drop includes ALL; add only NET_BIND_SERVICE',
  // --- scanner rules ----------------------------------------------------------------------------
  'SCAN-REQUESTS': 'CPU and memory requests on every container',
  'SCAN-MEMORY-LIMIT': 'a memory limit on every container',
  'SCAN-READINESS': 'a readiness probe on every long-running main container',
  'SCAN-LIVENESS': 'a liveness probe on every long-running main container',
  'SCAN-PROBES-DIFFER': 'readiness and liveness probes differ',
  'SCAN-IMAGE-TAG': 'images pinned by a tag other than latest, or by digest',
  'SCAN-SA-TOKEN': 'automountServiceAccountToken: false on the pod or its ServiceAccount',
  'SCAN-UID': 'effective runAsUser >= 10000',
  'SCAN-GID': 'effective runAsGroup >= 10000',
  'SCAN-READONLY-ROOTFS': 'readOnlyRootFilesystem: true on every container',
  'SCAN-NETWORKPOLICY': 'every workload selected by an Ingress NetworkPolicy in the output',
  'SCAN-PDB': 'a PodDisruptionBudget selecting every replicated workload (replicas > 1 or an HPA)',
  'SCAN-SPREAD': 'topologySpreadConstraints or podAntiAffinity on every replicated workload',
  // --- nothing secret ---------------------------------------------------------------------------
  'SECRET-DATA': 'no Secret carrying data or stringData',
  'SECRET-ENV-VALUE': 'no env value that looks like a credential',
  'SECRET-ENV-NAME': 'no literal value for an env variable named like a credential (KEY, PASSWORD, TOKEN, SECRET, WEBHOOK)',
  'SECRET-CONFIG': 'credential-named keys in ConfigMap YAML/JSON are os.environ/ references',
  'SECRET-PATTERN': 'no string anywhere that looks like an API key or private key',
  // --- edge -------------------------------------------------------------------------------------
  'EDGE-SNIPPET': 'no snippet annotations or fields (CVE-2021-25742)',
  'EDGE-TRAEFIK-BUFFERING': 'no Traefik buffering middleware on a route (it buffers whole streamed responses)',
  // --- the exception list itself ------------------------------------------------------------------
  'POLICY-EXCEPTION': 'every exception names a known rule, gives a reason and matches a finding',
} as const;

export type PolicyRuleId = keyof typeof POLICY_RULES;

/** A deliberate, explained departure from one rule for one object. */
export interface PolicyException {
  /** Object kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Object name (metadata.name). */
  readonly name: string;
  /** The rule id that is not met. */
  readonly rule: PolicyRuleId;
  /** Why, in a sentence a reviewer (and the README's security section) can use. */
  readonly reason: string;
}

/** One finding, before formatting. */
export interface PolicyFinding {
  readonly kind: string;
  readonly name: string;
  readonly rule: PolicyRuleId;
  readonly detail: string;
}

/**
 * Checks every object; returns readable violations
 * `<Kind>/<name>: <rule id>: <detail>` (empty when all rules hold). Findings an
 * exception covers are dropped; an exception that covers nothing, names an
 * unknown rule or has no reason is itself reported (rule POLICY-EXCEPTION).
 */
export function policyViolations(objects: any[], exceptions: readonly PolicyException[] = []): string[] {
  const findings = policyFindings(objects);
  const out: string[] = [];
  const used = new Set<PolicyException>();
  for (const f of findings) {
    const ex = exceptions.find(e => e.kind === f.kind && e.name === f.name && e.rule === f.rule);
    if (ex) used.add(ex);
    else out.push(format(f));
  }
  for (const e of exceptions) {
    const id = `${e.kind}/${e.name}: POLICY-EXCEPTION`;
    if (!(e.rule in POLICY_RULES)) out.push(`${id}: unknown rule "${e.rule}"`);
    else if (typeof e.reason !== 'string' || e.reason.trim() === '') out.push(`${id}: the exception for ${e.rule} gives no reason`);
    else if (!used.has(e)) out.push(`${id}: stale exception for ${e.rule} matches no finding; remove it`);
  }
  return out;
}

export function format(f: PolicyFinding): string {
  return `${f.kind}/${f.name}: ${f.rule}: ${f.detail}`;
}

/** All findings, unfiltered. */
export function policyFindings(objects: any[]): PolicyFinding[] {
  const list = (objects ?? []).filter(o => typeof o === 'object' && o !== null);
  const findings: PolicyFinding[] = [];
  const ctx = new Context(list);
  for (const obj of list) {
    const report = (rule: PolicyRuleId, detail: string) =>
      findings.push({ kind: String(obj.kind), name: String(obj.metadata?.name), rule, detail });
    const pod = podTemplateOf(obj);
    if (pod) {
      checkPodSecurity(pod, report);
      checkScannerRules(obj, pod, ctx, report);
      checkEnv(pod, report);
    }
    checkSecretObjects(obj, report);
    checkSnippets(obj, report);
    checkTraefikBuffering(obj, ctx, report);
  }
  return findings;
}

type Report = (rule: PolicyRuleId, detail: string) => void;

// ---------------------------------------------------------------------------------------------
// Pod templates
// ---------------------------------------------------------------------------------------------

interface PodTemplate {
  /** The PodSpec. */
  readonly spec: any;
  /** The pod's labels. */
  readonly labels: Record<string, string>;
  /** The pod's annotations (AppArmor annotations live here). */
  readonly annotations: Record<string, string>;
  /** A server (Deployment, StatefulSet, ...) rather than a run-to-completion Job. */
  readonly longRunning: boolean;
}

interface ContainerRef {
  readonly c: any;
  /** e.g. `container litellm`, `initContainer wait-for-db`. */
  readonly where: string;
  readonly main: boolean;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController']);

/** The pod template of a workload kind (init containers and all), or undefined for other kinds. */
export function podTemplateOf(obj: any): PodTemplate | undefined {
  let meta: any;
  let spec: any;
  let longRunning = true;
  if (obj.kind === 'Pod') {
    meta = obj.metadata;
    spec = obj.spec;
    longRunning = (obj.spec?.restartPolicy ?? 'Always') === 'Always';
  } else if (WORKLOADS.has(obj.kind)) {
    meta = obj.spec?.template?.metadata;
    spec = obj.spec?.template?.spec;
  } else if (obj.kind === 'Job') {
    meta = obj.spec?.template?.metadata;
    spec = obj.spec?.template?.spec;
    longRunning = false;
  } else if (obj.kind === 'CronJob') {
    meta = obj.spec?.jobTemplate?.spec?.template?.metadata;
    spec = obj.spec?.jobTemplate?.spec?.template?.spec;
    longRunning = false;
  } else {
    return undefined;
  }
  return { spec: spec ?? {}, labels: meta?.labels ?? {}, annotations: meta?.annotations ?? {}, longRunning };
}

function containersOf(spec: any): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const c of arr(spec.initContainers)) refs.push({ c, where: `initContainer ${c?.name}`, main: false });
  for (const c of arr(spec.containers)) refs.push({ c, where: `container ${c?.name}`, main: true });
  for (const c of arr(spec.ephemeralContainers)) refs.push({ c, where: `ephemeralContainer ${c?.name}`, main: false });
  return refs;
}

// ---------------------------------------------------------------------------------------------
// Pod Security Standards (kubernetes/pod-security-admission policy/check_*.go)
// ---------------------------------------------------------------------------------------------

// check_capabilities_restricted.go: only NET_BIND_SERVICE may be added.
const RESTRICTED_ADD_CAPS = new Set(['NET_BIND_SERVICE']);
// check_restrictedVolumes.go.
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
// check_sysctls.go: the safe set (v1.0; ip_local_reserved_ports v1.27; tcp_keepalive_*/tcp_fin_timeout v1.29; tcp_rmem/wmem v1.32).
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
]);
// check_seLinuxOptions.go (container_engine_t from v1.31).
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_OK = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

function checkPodSecurity(pod: PodTemplate, report: Report): void {
  const spec = pod.spec;
  const psc = spec.securityContext ?? {};
  const containers = containersOf(spec);

  if (psc.windowsOptions?.hostProcess === true) report('PSS-HOST-PROCESS', 'pod securityContext.windowsOptions.hostProcess is true');
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[ns] === true) report('PSS-HOST-NAMESPACES', `${ns} is true`);
  }
  for (const v of arr(spec.volumes)) {
    const type = Object.keys(v ?? {}).find(k => k !== 'name');
    if (type === 'hostPath') report('PSS-HOSTPATH', `volume ${v.name} is a hostPath`);
    else if (type !== undefined && !RESTRICTED_VOLUME_TYPES.has(type)) report('PSS-VOLUME-TYPES', `volume ${v.name} has type ${type}`);
  }
  for (const s of arr(psc.sysctls)) {
    if (!SAFE_SYSCTLS.has(s?.name)) report('PSS-SYSCTLS', `sysctl ${s?.name} is not in the safe set`);
  }
  checkSeLinux(psc.seLinuxOptions, 'pod', report);
  checkAppArmor(psc.appArmorProfile, 'pod', report);
  for (const [key, value] of Object.entries(pod.annotations)) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
      report('PSS-APPARMOR', `annotation ${key} is "${value}"`);
    }
  }
  if (psc.runAsUser === 0) report('PSS-RUN-AS-USER', 'pod runAsUser is 0');

  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && !SECCOMP_OK.has(podSeccomp)) report('PSS-SECCOMP', `pod seccompProfile.type is ${podSeccomp}`);

  for (const { c, where } of containers) {
    const sc = c?.securityContext ?? {};
    if (sc.windowsOptions?.hostProcess === true) report('PSS-HOST-PROCESS', `${where}: windowsOptions.hostProcess is true`);
    if (sc.privileged === true) report('PSS-PRIVILEGED', `${where}: privileged is true`);
    for (const p of arr(c?.ports)) {
      if (p?.hostPort) report('PSS-HOST-PORTS', `${where}: port ${p.containerPort} has hostPort ${p.hostPort}`);
    }
    checkSeLinux(sc.seLinuxOptions, where, report);
    checkAppArmor(sc.appArmorProfile, where, report);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') report('PSS-PROC-MOUNT', `${where}: procMount is ${sc.procMount}`);
    if (sc.allowPrivilegeEscalation !== false) {
      report('PSS-PRIVILEGE-ESCALATION', `${where}: allowPrivilegeEscalation is ${sc.allowPrivilegeEscalation ?? 'unset'}, must be false`);
    }
    if (sc.runAsNonRoot === false) report('PSS-RUN-AS-NON-ROOT', `${where}: runAsNonRoot is false`);
    else if (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true) {
      report('PSS-RUN-AS-NON-ROOT', `${where}: runAsNonRoot is set neither on the container nor on the pod`);
    }
    if (sc.runAsUser === 0) report('PSS-RUN-AS-USER', `${where}: runAsUser is 0`);
    const seccomp = sc.seccompProfile?.type;
    if (seccomp !== undefined && !SECCOMP_OK.has(seccomp)) report('PSS-SECCOMP', `${where}: seccompProfile.type is ${seccomp}`);
    else if (seccomp === undefined && !SECCOMP_OK.has(podSeccomp)) {
      report('PSS-SECCOMP', `${where}: no seccompProfile (RuntimeDefault or Localhost) on the container or the pod`);
    }
    const caps = sc.capabilities ?? {};
    if (!arr(caps.drop).includes('ALL')) report('PSS-CAPABILITIES', `${where}: capabilities.drop must include ALL`);
    for (const cap of arr(caps.add)) {
      if (!RESTRICTED_ADD_CAPS.has(cap)) report('PSS-CAPABILITIES', `${where}: adds capability ${cap} (only NET_BIND_SERVICE is allowed)`);
    }
  }
}

function checkSeLinux(opts: any, where: string, report: Report): void {
  if (!opts) return;
  if (opts.type !== undefined && !SELINUX_TYPES.has(opts.type)) report('PSS-SELINUX', `${where}: seLinuxOptions.type is ${opts.type}`);
  if (opts.user) report('PSS-SELINUX', `${where}: seLinuxOptions.user is set`);
  if (opts.role) report('PSS-SELINUX', `${where}: seLinuxOptions.role is set`);
}

function checkAppArmor(profile: any, where: string, report: Report): void {
  if (profile?.type !== undefined && !APPARMOR_OK.has(profile.type)) report('PSS-APPARMOR', `${where}: appArmorProfile.type is ${profile.type}`);
}

// ---------------------------------------------------------------------------------------------
// Scanner rules (kube-score, Polaris, kube-linter, Checkov, Trivy)
// ---------------------------------------------------------------------------------------------

/** Scanners (kube-score, Checkov CKV_K8S_40, Trivy KSV-0020/0021) want ids at or above this. */
const MIN_ID = 10000;

function checkScannerRules(obj: any, pod: PodTemplate, ctx: Context, report: Report): void {
  const spec = pod.spec;
  const psc = spec.securityContext ?? {};
  for (const { c, where, main } of containersOf(spec)) {
    if (where.startsWith('ephemeralContainer')) continue; // debug containers carry no resources or probes by design
    const requests = c?.resources?.requests ?? {};
    const missing = ['cpu', 'memory'].filter(r => requests[r] === undefined);
    if (missing.length > 0) report('SCAN-REQUESTS', `${where}: no ${missing.join(' or ')} request`);
    if (c?.resources?.limits?.memory === undefined) report('SCAN-MEMORY-LIMIT', `${where}: no memory limit`);

    if (main && pod.longRunning) {
      if (!c?.readinessProbe) report('SCAN-READINESS', `${where}: no readiness probe`);
      if (!c?.livenessProbe) report('SCAN-LIVENESS', `${where}: no liveness probe`);
      if (c?.readinessProbe && c?.livenessProbe && stableJson(c.readinessProbe) === stableJson(c.livenessProbe)) {
        report('SCAN-PROBES-DIFFER', `${where}: readiness and liveness probes are identical (a slow dependency would restart the pod)`);
      }
    }

    const tagProblem = imageTagProblem(c?.image);
    if (tagProblem) report('SCAN-IMAGE-TAG', `${where}: image ${JSON.stringify(c?.image)} ${tagProblem}`);

    const sc = c?.securityContext ?? {};
    const uid = sc.runAsUser ?? psc.runAsUser;
    const gid = sc.runAsGroup ?? psc.runAsGroup;
    if (typeof uid !== 'number' || uid < MIN_ID) report('SCAN-UID', `${where}: runAsUser is ${uid ?? 'unset (the image decides)'}, must be >= ${MIN_ID}`);
    if (typeof gid !== 'number' || gid < MIN_ID) report('SCAN-GID', `${where}: runAsGroup is ${gid ?? 'unset (the image decides)'}, must be >= ${MIN_ID}`);
    if (sc.readOnlyRootFilesystem !== true) report('SCAN-READONLY-ROOTFS', `${where}: readOnlyRootFilesystem is ${sc.readOnlyRootFilesystem ?? 'unset'}`);
  }

  // The token: the pod's own setting wins; unset falls back to its ServiceAccount.
  if (spec.automountServiceAccountToken !== false) {
    const saName = spec.serviceAccountName ?? 'default';
    const sa = ctx.find('ServiceAccount', saName, namespaceOf(obj));
    if (spec.automountServiceAccountToken === true) {
      report('SCAN-SA-TOKEN', 'automountServiceAccountToken is true');
    } else if (sa?.automountServiceAccountToken !== false) {
      report('SCAN-SA-TOKEN', `automountServiceAccountToken is unset and ServiceAccount ${saName} ${sa ? 'does not disable it' : 'is not in the output'}`);
    }
  }

  const ns = namespaceOf(obj);
  const isolated = ctx.byKind('NetworkPolicy').some(np => namespaceOf(np) === ns
    && coversIngress(np) && selectorMatches(np.spec?.podSelector, pod.labels));
  if (!isolated) report('SCAN-NETWORKPOLICY', 'no NetworkPolicy with Ingress in the output selects these pods');

  if (isReplicated(obj, ctx)) {
    const pdb = ctx.byKind('PodDisruptionBudget').some(p => namespaceOf(p) === ns && selectorMatches(p.spec?.selector, pod.labels));
    if (!pdb) report('SCAN-PDB', 'replicated, but no PodDisruptionBudget selects these pods');
    const spread = arr(spec.topologySpreadConstraints).some(t => selectorMatches(t?.labelSelector, pod.labels));
    const anti = spec.affinity?.podAntiAffinity;
    const antiTerms = [...arr(anti?.requiredDuringSchedulingIgnoredDuringExecution), ...arr(anti?.preferredDuringSchedulingIgnoredDuringExecution)];
    if (!spread && antiTerms.length === 0) report('SCAN-SPREAD', 'replicated, but no topologySpreadConstraints (selecting these pods) or podAntiAffinity');
  }
}

/** Why an image reference is not pinned, or undefined when it is. */
export function imageTagProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'is missing';
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'has no tag (pulls latest)';
  if (lastSegment.slice(colon + 1) === 'latest') return 'uses the latest tag';
  return undefined;
}

/** Declared policyTypes, or the API's default: Ingress always, Egress when egress rules are given. */
function coversIngress(np: any): boolean {
  const types = np.spec?.policyTypes;
  return Array.isArray(types) ? types.includes('Ingress') : true;
}

function isReplicated(obj: any, ctx: Context): boolean {
  if (!['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'].includes(obj.kind)) return false;
  if ((obj.spec?.replicas ?? 1) > 1) return true;
  return ctx.byKind('HorizontalPodAutoscaler').some(h => namespaceOf(h) === namespaceOf(obj)
    && h.spec?.scaleTargetRef?.kind === obj.kind && h.spec?.scaleTargetRef?.name === obj.metadata?.name);
}

/**
 * metav1.LabelSelector semantics: matchLabels all equal and every
 * matchExpression holds; `{}` selects everything, an absent selector nothing.
 */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null || typeof selector !== 'object') return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of arr(selector.matchExpressions)) {
    const has = Object.prototype.hasOwnProperty.call(labels, e?.key);
    const values: string[] = arr(e?.values);
    switch (e?.operator) {
      case 'In': if (!has || !values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Nothing secret
// ---------------------------------------------------------------------------------------------

// A credential-named env variable: KEY, PASSWORD, TOKEN, SECRET or WEBHOOK as a whole `_`-separated word
// (OPENAI_API_KEY, REDIS_PASSWORD, HF_TOKEN, SLACK_WEBHOOK_URL; not MAX_TOKENS or KEYCLOAK_URL).
const SECRET_ENV_NAME = /(^|_)(KEY|APIKEY|PASSWORD|PASSWD|TOKEN|SECRET|WEBHOOK)(_|$)/i;
// Config keys whose values are credentials (mirrors SECRET_KEY_NAMES in lib/secret.ts).
const SECRET_CONFIG_KEY = new RegExp('(^|_)(api_key|apikey|password|passwd|secret|token|master_key|salt_key|private_key|access_key|secret_key|'
  + 'credentials?|routing_key|integration_key|webhook|webhook_url|webhook_urls)$', 'i');
// A literal that only references another variable: `$(OTHER)` is expanded by the kubelet from env the pod already has.
const ENV_REFERENCE = /^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$/;

function checkEnv(pod: PodTemplate, report: Report): void {
  for (const { c, where } of containersOf(pod.spec)) {
    for (const e of arr(c?.env)) {
      if (typeof e?.value !== 'string' || e.value === '') continue;
      if (looksLikeSecret(e.value)) report('SECRET-ENV-VALUE', `${where}: env ${e.name} holds a value that looks like a credential`);
      if (SECRET_ENV_NAME.test(String(e.name)) && !ENV_REFERENCE.test(e.value)) {
        report('SECRET-ENV-NAME', `${where}: env ${e.name} is named like a credential but has a literal value; use valueFrom.secretKeyRef`);
      }
    }
  }
}

function checkSecretObjects(obj: any, report: Report): void {
  if (obj.kind === 'Secret' && (Object.keys(obj.data ?? {}).length > 0 || Object.keys(obj.stringData ?? {}).length > 0)) {
    report('SECRET-DATA', `carries ${[...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})].join(', ')}: reference existing Secrets instead`);
  }
  if (obj.kind === 'ConfigMap') {
    for (const [key, text] of Object.entries<any>(obj.data ?? {})) {
      if (typeof text !== 'string') continue;
      const doc = parseStructured(key, text);
      if (doc !== undefined) walkConfig(doc, `data[${key}]`, undefined, report);
    }
  }
  walkStrings(obj, '', (path, value) => {
    if (looksLikeSecret(value)) report('SECRET-PATTERN', `${path || '(root)'} holds a string that looks like an API key or private key`);
  });
}

function parseStructured(key: string, text: string): unknown {
  if (!/\.(ya?ml|json)$/i.test(key)) return undefined;
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

function walkConfig(v: unknown, path: string, keyName: string | undefined, report: Report): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => walkConfig(item, `${path}[${i}]`, keyName, report));
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v)) walkConfig(child, `${path}.${k}`, k, report);
  } else if ((typeof v === 'string' || typeof v === 'number') && keyName !== undefined && SECRET_CONFIG_KEY.test(keyName)) {
    if (typeof v === 'number' || (v !== '' && !v.startsWith('os.environ/'))) {
      report('SECRET-CONFIG', `${path} is a literal; credentials must be os.environ/NAME references`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Edge
// ---------------------------------------------------------------------------------------------

// ingress-nginx `*-snippet` annotations, F5 NGINX `nginx.org/*-snippets` annotations and
// VirtualServer `server-snippets`/`location-snippets` fields: raw NGINX config (CVE-2021-25742).
const SNIPPET_KEY = /(^|[-_.])snippets?$/i;

function checkSnippets(obj: any, report: Report): void {
  walkKeys(obj, '', (path, key) => {
    const local = key.slice(key.lastIndexOf('/') + 1);
    if (SNIPPET_KEY.test(local)) report('EDGE-SNIPPET', `${path} is a snippet: raw NGINX configuration is disabled by default since ingress-nginx v1.9 (CVE-2021-25742)`);
  });
}

const TRAEFIK_GROUPS = ['traefik.io/', 'traefik.containo.us/'];

function isTraefik(obj: any, kind: string): boolean {
  return obj.kind === kind && TRAEFIK_GROUPS.some(g => String(obj.apiVersion).startsWith(g));
}

function checkTraefikBuffering(obj: any, ctx: Context, report: Report): void {
  const ns = namespaceOf(obj);
  const refs: { name: string; namespace: string; where: string }[] = [];
  if (isTraefik(obj, 'IngressRoute')) {
    arr(obj.spec?.routes).forEach((r, i) => arr(r?.middlewares).forEach(m => refs.push({
      name: stripProvider(m?.name), namespace: m?.namespace ?? ns, where: `spec.routes[${i}]`,
    })));
  }
  if (obj.kind === 'Ingress') {
    // "<namespace>-<name>@kubernetescrd", comma-separated (Traefik's Kubernetes Ingress provider).
    const value = obj.metadata?.annotations?.['traefik.ingress.kubernetes.io/router.middlewares'];
    for (const ref of String(value ?? '').split(',').map(s => s.trim()).filter(Boolean)) {
      const m = ctx.byKind('Middleware').find(mw => `${namespaceOf(mw)}-${mw.metadata?.name}` === stripProvider(ref));
      if (m) refs.push({ name: m.metadata.name, namespace: namespaceOf(m), where: 'router.middlewares annotation' });
    }
  }
  if (obj.kind === 'HTTPRoute') {
    arr(obj.spec?.rules).forEach((r, i) => arr(r?.filters).forEach(f => {
      const e = f?.type === 'ExtensionRef' ? f.extensionRef : undefined;
      if (e?.kind === 'Middleware' && String(e.group).startsWith('traefik.')) refs.push({ name: e.name, namespace: ns, where: `spec.rules[${i}]` });
    }));
  }
  for (const ref of refs) {
    const chain = bufferingChain(ctx, ref.name, ref.namespace, new Set());
    if (chain) report('EDGE-TRAEFIK-BUFFERING', `${ref.where} uses Middleware ${chain.join(' -> ')} with spec.buffering, which holds whole streamed responses`);
  }
}

/** The middleware path to a buffering middleware (through chains), or undefined. */
function bufferingChain(ctx: Context, name: string, namespace: string, seen: Set<string>): string[] | undefined {
  const key = `${namespace}/${name}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  const mw = ctx.byKind('Middleware').find(m => isTraefik(m, 'Middleware') && m.metadata?.name === name && namespaceOf(m) === namespace);
  if (!mw) return undefined;
  if (mw.spec?.buffering !== undefined) return [name];
  for (const next of arr(mw.spec?.chain?.middlewares)) {
    const rest = bufferingChain(ctx, stripProvider(next?.name), next?.namespace ?? namespace, seen);
    if (rest) return [name, ...rest];
  }
  return undefined;
}

function stripProvider(name: unknown): string {
  return String(name).replace(/@kubernetescrd$/, '');
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

class Context {
  private readonly kinds = new Map<string, any[]>();
  constructor(objects: any[]) {
    for (const o of objects) this.kinds.set(o.kind, [...(this.kinds.get(o.kind) ?? []), o]);
  }
  public byKind(kind: string): any[] {
    return this.kinds.get(kind) ?? [];
  }
  public find(kind: string, name: string, namespace: string): any {
    return this.byKind(kind).find(o => o.metadata?.name === name && namespaceOf(o) === namespace);
  }
}

function namespaceOf(obj: any): string {
  return obj?.metadata?.namespace ?? '';
}

function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

function walkStrings(v: unknown, path: string, visit: (path: string, value: string) => void): void {
  if (typeof v === 'string') visit(path, v);
  else if (Array.isArray(v)) v.forEach((item, i) => walkStrings(item, `${path}[${i}]`, visit));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v)) walkStrings(child, path ? `${path}.${k}` : k, visit);
  }
}

function walkKeys(v: unknown, path: string, visit: (path: string, key: string) => void): void {
  if (Array.isArray(v)) v.forEach((item, i) => walkKeys(item, `${path}[${i}]`, visit));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      visit(p, k);
      walkKeys(child, p, visit);
    }
  }
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${stableJson((v as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
