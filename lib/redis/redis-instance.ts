import { createHash } from 'crypto';
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { LiteLLMConfigError, inStack } from '../errors';
import { selectorLabels, standardLabels } from '../labels';
import { EgressRule, NetworkPeer, dnsEgress, renderPeer, renderPorts, validatePeer } from '../network';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../pod-security';
import { ImageReference, parseImage } from '../image';
import { MiB, formatCpu, formatMemory, parseCpuMillis, parseMemoryBytes } from '../quantity';
import { SecretKeyRef, secretKeyRef } from '../secret';
import { dns1035Label, dns1123Subdomain, integer } from '../validate';
import { RedisBindOptions } from '../proxy/bindings';
import type { LiteLLMProxy } from '../proxy/litellm-proxy';
import { IRedisEndpoint } from './redis-endpoint';
import { clientTimeoutSeconds } from './redis-validate';
import { bindRedis } from './redis-wiring';

/**
 * The official image, pinned. `8.10.1-alpine` is listed in
 * docker-library/official-images `library/redis` (2026-08, GitFetch
 * refs/tags/v8.10.1, redis/docker-library-redis). LiteLLM needs Redis >= 7.0
 * (LPOP with a count). Redis 8 is AGPLv3 / RSALv2 / SSPLv1: running it
 * unmodified as a cache is fine under AGPLv3.
 */
export const DEFAULT_REDIS_IMAGE = 'docker.io/library/redis:8.10.1-alpine';
/** uid/gid Redis runs as: >= 10000 for scanners; the image's own `redis` user is 999, and it runs as any uid. */
export const REDIS_UID = 10001;
/** maxmemory as a share of the memory limit (docs: leave room for client buffers, fragmentation and the AOF-rewrite fork). */
export const REDIS_MAXMEMORY_PERCENT = 75;
/**
 * Smallest memory limit accepted. redis-server's own footprint (allocator
 * arenas, client and replication buffers, Lua) is ~10 MiB and must fit in the
 * 25 % outside maxmemory; 64 MiB leaves 16 MiB for it and a 48 MiB dataset —
 * hundreds of thousands of LiteLLM counters, thousands of cached responses.
 */
export const MIN_REDIS_MEMORY_BYTES = 64 * MiB;
/**
 * Commands no client of this Redis may run. FLUSHALL/FLUSHDB would wipe every
 * limit and cooldown at once; the rest would let a client undo these rules
 * (ACL, CONFIG), stop or re-point the server, or fill the data dir. LiteLLM
 * 1.89.4 calls none of them (grep of litellm/caching, litellm/_redis.py).
 */
export const REDIS_DENIED_COMMANDS = [
  'flushall', 'flushdb', 'acl', 'config', 'shutdown', 'debug', 'module', 'monitor',
  'replicaof', 'slaveof', 'failover', 'save', 'bgsave', 'bgrewriteaof',
] as const;

const CONFIG_DIR = '/etc/redis';
const DATA_DIR = '/data';
const CONTAINER_NAME = 'redis';
/** Longest base name: the StatefulSet's controller-revision-hash label is `<name>-<10 characters>`, a label value of at most 63. */
export const REDIS_NAME_MAX = 52;

const DEFAULTS = { port: 6379, memory: '256Mi', cpu: '100m', cpuLimit: '1', terminationGracePeriodSeconds: 30 } as const;

/** Append-only-file persistence on a PersistentVolumeClaim. */
export interface RedisPersistence {
  /**
   * Size of the volume. At least three times maxmemory: the AOF grows to twice
   * its base before a rewrite (auto-aof-rewrite-percentage 100), and the
   * rewrite writes a new base beside the old files.
   */
  readonly size: string;
  /** StorageClass of the claim. @default the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** An in-cluster Redis's settings, but its name and password (what a stack's `redis.inCluster` takes). */
export interface RedisInstanceOptions {
  /** Image, pinned to a Redis release tag (`X.Y.Z[-variant]`, 7.0 or newer) or a digest. It must ship `sh` and `sed`. @default DEFAULT_REDIS_IMAGE */
  readonly image?: string;
  /** Registry credentials (names of existing `kubernetes.io/dockerconfigjson` Secrets). @default none */
  readonly imagePullSecrets?: string[];
  /** Port of redis-server and the Service (1024-65535: a non-root process cannot bind lower). @default 6379 */
  readonly port?: number;
  /**
   * Memory request and limit (equal, so the kubelet never evicts Redis for
   * exceeding its request). maxmemory is 75 % of it. At least 64Mi.
   * @default '256Mi'
   */
  readonly memory?: string;
  /** CPU request. @default '100m' */
  readonly cpu?: string;
  /** CPU limit. Redis executes commands on one thread, so more than one core buys little. @default '1' */
  readonly cpuLimit?: string;
  /**
   * Keep the data across restarts in an append-only file on a volume. LiteLLM's
   * counters and cooldowns expire within minutes, so this mostly preserves the
   * response cache. @default off: `save ""`, `appendonly no`, data dir on an emptyDir
   */
  readonly persistence?: RedisPersistence;
  /**
   * How long one call to this Redis may block a proxy request, in seconds (the
   * proxy's Redis socket and connect timeouts). While Redis hangs, the first
   * request on each worker waits one of these, then the worker's circuit breaker
   * is open and requests skip Redis; every 10 s one request tries it again.
   * @default 0.2 (measured on 1.108.14: a hung Redis then adds at most 0.2 s to a request)
   */
  readonly clientTimeoutSeconds?: number;
}

/** Props of {@link RedisInstance}. */
export interface RedisInstanceProps extends RedisInstanceOptions {
  /** Base name of every object; also the Service (host) name. At most 52 characters (StatefulSet revision labels). @default the construct id, lower-cased */
  readonly name?: string;
  /** The password, from an existing Secret key. Never written into a manifest, a file or redis-server's argv. */
  readonly password: SecretKeyRef;
}

/**
 * A single in-cluster Redis for the proxy's shared limits, cooldowns and
 * cache: a one-replica StatefulSet, its config, Service and NetworkPolicy.
 *
 * Single replica, no replication: if it restarts, LiteLLM falls back to
 * per-pod memory until it is back (litellm parallel_request_limiter_v3) and
 * counters start again. A PodDisruptionBudget is deliberately not emitted:
 * with one replica any budget either allows the eviction anyway or blocks
 * every node drain. For failover use a managed or Sentinel Redis through
 * {@link ExternalRedis}.
 *
 * Why a StatefulSet, also without persistence: it never runs two pods at
 * once. A Deployment's surge (or a pod on an unreachable node) would put two
 * empty Redis servers behind one Service for a while, splitting the counters
 * between them; with a volume, two writers on one append-only file.
 *
 * How the password reaches redis-server: the container gets it as
 * `REDISCLI_AUTH` (a secretKeyRef; redis-cli reads that variable, so the
 * probes authenticate without argv). The start script escapes it (through
 * sed's stdin), builds the `user default ... >password` ACL line in a shell
 * variable, unsets the environment variable and `exec`s
 * `redis-server /etc/redis/redis.conf -`: the trailing `-` makes Redis read
 * further configuration from stdin (src/server.c: "Either first or last
 * argument - Should we read config from stdin?"), fed by a here-document.
 * argv is therefore `redis-server /etc/redis/redis.conf -`, nothing is
 * written to disk, and the ConfigMap holds no secret. `--requirepass
 * "$PASSWORD"` would have put it in /proc/<pid>/cmdline, which `ps` shows to
 * every process in the pod.
 */
export class RedisInstance extends Construct implements IRedisEndpoint {
  /** Base name of the objects. */
  public readonly name: string;
  /** The StatefulSet (the primary child, id `Resource`). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  public readonly service: k8s.KubeService;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The image reference. */
  public readonly image: ImageReference;

  /** The Service name: clients in the same namespace connect to it. */
  public readonly host: string;
  public readonly port: number;
  public readonly password?: SecretKeyRef;
  /** In-cluster traffic is not encrypted; the NetworkPolicy admits only registered clients. */
  public readonly tls = false;
  public readonly clientTimeoutSeconds?: number;
  /** Labels that select the Redis pod. */
  public readonly podSelector: { [key: string]: string };
  /** The memory limit, bytes. */
  public readonly memoryLimitBytes: number;
  /** `maxmemory`, bytes: {@link REDIS_MAXMEMORY_PERCENT} % of the memory limit. */
  public readonly maxmemoryBytes: number;
  /** Whether the append-only file is kept on a volume. */
  public readonly persistent: boolean;

  private readonly clients: NetworkPeer[] = [];

  constructor(scope: Construct, id: string, props: RedisInstanceProps) {
    super(scope, id);
    try {
      if (typeof props !== 'object' || props === null) {
        throw new LiteLLMConfigError(id, props, 'RedisInstance needs props with at least password');
      }
      // A DNS-1035 label because the Service carries this name.
      this.name = dns1035Label('name', props.name ?? id.toLowerCase(), REDIS_NAME_MAX);
      this.image = parseRedisImage('image', props.image ?? DEFAULT_REDIS_IMAGE);
      this.password = secretKeyRef('password', props.password);
      if (props.clientTimeoutSeconds !== undefined) this.clientTimeoutSeconds = clientTimeoutSeconds('clientTimeoutSeconds', props.clientTimeoutSeconds);
      this.port = integer('port', props.port ?? DEFAULTS.port, 1024, 65535);
      this.host = this.name;
      this.podSelector = selectorLabels(this.name, 'redis');
      const labels = standardLabels(this.name, 'redis');

      // --- sizing -----------------------------------------------------------
      this.memoryLimitBytes = parseMemoryBytes('memory', props.memory ?? DEFAULTS.memory);
      if (this.memoryLimitBytes < MIN_REDIS_MEMORY_BYTES) {
        throw new LiteLLMConfigError('memory', props.memory,
          `must be at least ${formatMemory(MIN_REDIS_MEMORY_BYTES)}: maxmemory is ${REDIS_MAXMEMORY_PERCENT}% of it and redis-server needs ~10 MiB of the rest for itself`);
      }
      this.maxmemoryBytes = Math.floor(this.memoryLimitBytes * REDIS_MAXMEMORY_PERCENT / 100);
      const cpuMillis = parseCpuMillis('cpu', props.cpu ?? DEFAULTS.cpu);
      const cpuLimitMillis = parseCpuMillis('cpuLimit', props.cpuLimit ?? DEFAULTS.cpuLimit);
      if (cpuLimitMillis < cpuMillis) {
        throw new LiteLLMConfigError('cpuLimit', props.cpuLimit ?? DEFAULTS.cpuLimit, `must be at least the CPU request (${formatCpu(cpuMillis)})`);
      }

      // --- persistence --------------------------------------------------------
      this.persistent = props.persistence !== undefined;
      let claim: k8s.KubePersistentVolumeClaimProps | undefined;
      if (props.persistence !== undefined) {
        const p = props.persistence;
        if (typeof p !== 'object' || p === null) {
          throw new LiteLLMConfigError('persistence', p, 'must be { size, storageClassName? }');
        }
        const sizeBytes = parseMemoryBytes('persistence.size', p.size);
        const minSize = 3 * this.maxmemoryBytes;
        if (sizeBytes < minSize) {
          throw new LiteLLMConfigError('persistence.size', p.size,
            `must be at least ${formatMemory(minSize)} (3 x maxmemory ${formatMemory(this.maxmemoryBytes)}): the AOF grows to twice its base before a rewrite writes a new base beside it`);
        }
        claim = {
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(p.storageClassName !== undefined ? { storageClassName: dns1123Subdomain('persistence.storageClassName', p.storageClassName) } : {}),
            resources: { requests: { storage: k8s.Quantity.fromString(p.size) } },
          },
        };
      }

      // --- objects ------------------------------------------------------------
      const redisConf = renderRedisConf(this.port, this.maxmemoryBytes, this.persistent);
      this.configMap = new k8s.KubeConfigMap(this, 'Config', {
        metadata: { name: `${this.name}-config`, labels },
        data: { 'redis.conf': redisConf },
      });

      this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
        metadata: { name: this.name, labels },
        // Redis never calls the Kubernetes API.
        automountServiceAccountToken: false,
      });

      this.service = new k8s.KubeService(this, 'Service', {
        metadata: { name: this.host, labels },
        spec: {
          type: 'ClusterIP',
          selector: this.podSelector,
          ports: [{ name: 'redis', port: this.port, targetPort: k8s.IntOrString.fromString('redis'), protocol: 'TCP' }],
        },
      });

      const memory = k8s.Quantity.fromString(formatMemory(this.memoryLimitBytes));
      this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
        metadata: { name: this.name, labels },
        spec: {
          replicas: 1,
          // The governing Service: clients use its ClusterIP; one pod needs no per-pod DNS.
          serviceName: this.service.name,
          revisionHistoryLimit: 5,
          selector: { matchLabels: this.podSelector },
          template: {
            metadata: {
              labels,
              // Redis reads redis.conf only at start-up: a change rolls the pod.
              annotations: { 'checksum/config': createHash('sha256').update(redisConf).digest('hex') },
            },
            spec: {
              serviceAccountName: this.serviceAccount.name,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: DEFAULTS.terminationGracePeriodSeconds,
              securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_UID),
              ...(props.imagePullSecrets?.length
                ? { imagePullSecrets: props.imagePullSecrets.map((n, i) => ({ name: dns1123Subdomain(`imagePullSecrets[${i}]`, n) })) }
                : {}),
              containers: [{
                name: CONTAINER_NAME,
                image: this.image.reference,
                imagePullPolicy: 'IfNotPresent',
                // Bypasses the image's docker-entrypoint.sh: it would append a
                // --loadmodule for every bundled module (search, JSON, ...), which
                // LiteLLM does not use; fewer modules, less memory and attack surface.
                command: ['/bin/sh', '-c', REDIS_START_SCRIPT],
                ports: [{ name: 'redis', containerPort: this.port, protocol: 'TCP' }],
                env: [{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: this.password.name, key: this.password.key } } }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(formatCpu(cpuMillis)), memory },
                  limits: { cpu: k8s.Quantity.fromString(formatCpu(cpuLimitMillis)), memory },
                },
                securityContext: restrictedContainerSecurityContext(),
                // Ready = answers an authenticated PING with PONG: proves the password
                // matches and the dataset is loaded (PING answers -LOADING until then).
                readinessProbe: {
                  exec: { command: ['/bin/sh', '-c', `test "$(redis-cli -p ${this.port} ping)" = PONG`] },
                  periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1,
                },
                // Alive = accepts connections. Redis listens while it loads a large AOF,
                // so a slow load never restarts it; a hung process stops accepting.
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('redis') },
                  periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4,
                },
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'data', mountPath: DATA_DIR },
                ],
              }],
              volumes: [
                { name: 'config', configMap: { name: this.configMap.name } },
                // Without persistence Redis writes nothing here (save "", appendonly no,
                // SAVE/BGSAVE denied); the dir must still exist and be writable.
                ...(claim === undefined ? [{ name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }] : []),
              ],
            },
          },
          ...(claim !== undefined ? { volumeClaimTemplates: [claim] } : {}),
        },
      });

      this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
        metadata: { name: this.name, labels },
        spec: {
          podSelector: { matchLabels: this.podSelector },
          policyTypes: ['Ingress', 'Egress'],
          // Only the clients wired to it (connectRedis calls admitClient); none = no one.
          ingress: Lazy.any({
            produce: () => (this.clients.length > 0 ? [{ from: this.clients.map(renderPeer), ports: renderPorts('port', [this.port]) }] : []),
          }),
          // Redis calls nothing; DNS only.
          egress: [dnsEgress()],
        },
      });
    } catch (e) {
      throw inStack(e, this);
    }
  }

  /** What a client's NetworkPolicy must allow: this pod, on the Redis port. */
  public get egress(): EgressRule {
    return { peers: [{ podLabels: this.podSelector }], ports: [this.port], reason: `in-cluster Redis ${this.name}` };
  }

  /** Wires this Redis into a proxy (the proxy calls this with its `redis` prop). */
  public bind(proxy: LiteLLMProxy, options: RedisBindOptions): void {
    bindRedis(proxy, this, options);
  }

  /** Admits a client (the proxy calls this when wired) to the Redis port. */
  public admitClient(peer: NetworkPeer): void {
    validatePeer('admitClient', peer);
    const key = JSON.stringify(peer);
    if (!this.clients.some(c => JSON.stringify(c) === key)) this.clients.push(peer);
  }
}

/** redis.conf: everything but the password (which arrives on stdin). */
export function renderRedisConf(port: number, maxmemoryBytes: number, persistent: boolean): string {
  return [
    '# Generated by cdk8s. No secrets: the default user and its password are appended on stdin at start-up.',
    'bind * -::*',
    `port ${port}`,
    '# Belt and braces: protected mode refuses remote clients should the default user ever lack a password.',
    'protected-mode yes',
    `dir ${DATA_DIR}`,
    'logfile ""',
    '# LiteLLM\'s counters all expire: evict least-recently-used keys rather than fail writes when full.',
    `maxmemory ${maxmemoryBytes}`,
    'maxmemory-policy allkeys-lru',
    'save ""',
    ...(persistent
      ? ['appendonly yes', 'appendfsync everysec']
      : ['appendonly no']),
    'enable-debug-command no',
    'enable-module-command no',
    'enable-protected-configs no',
    '',
  ].join('\n');
}

/** The `user default` ACL line, with the password left as a shell variable for the start script. */
export function defaultUserAcl(passwordVar: string): string {
  return `user default on ">$${passwordVar}" ~* &* +@all ${REDIS_DENIED_COMMANDS.map(c => `-${c}`).join(' ')}`;
}

/**
 * The container's start script (sh -c). It sees the password only as
 * $REDISCLI_AUTH and passes it on through here-documents, never as an argument.
 */
export const REDIS_START_SCRIPT = [
  'set -eu',
  "nl='",
  "'",
  'case "$REDISCLI_AUTH" in',
  "  '') echo 'redis: the password in the Secret is empty' >&2; exit 1 ;;",
  "  *\"$nl\"*) echo 'redis: the password contains a line break (often a trailing newline from echo); store it with printf %s' >&2; exit 1 ;;",
  'esac',
  '# Escape \\ and " for a double-quoted redis.conf argument; sed reads the value on stdin.',
  "escaped=$(sed -e 's/\\\\/\\\\\\\\/g' -e 's/\"/\\\\\"/g' <<EOF",
  '$REDISCLI_AUTH',
  'EOF',
  ')',
  'unset REDISCLI_AUTH',
  // A trailing "-" makes redis-server read more configuration from stdin (src/server.c).
  `exec redis-server ${CONFIG_DIR}/redis.conf - <<EOF`,
  defaultUserAcl('escaped'),
  'EOF',
  '',
].join('\n');

// A Redis release tag: X.Y.Z with an optional variant (-alpine, -alpine3.23, -trixie).
const REDIS_TAG = /^(\d+)\.(\d+)\.(\d+)(-[a-z0-9][a-z0-9.]*)?$/;

/** An image pinned to a Redis release (>= 7.0) or a digest. */
export function parseRedisImage(prop: string, value: unknown): ImageReference {
  const image = parseImage(prop, value, {
    example: DEFAULT_REDIS_IMAGE,
    releaseTag: { pattern: REDIS_TAG, description: `a Redis release tag "X.Y.Z" or "X.Y.Z-variant" (e.g. "${DEFAULT_REDIS_IMAGE}")` },
  });
  const major = REDIS_TAG.exec(image.tag ?? '')?.[1];
  if (major !== undefined && Number(major) < 7) {
    throw new LiteLLMConfigError(prop, value, 'must be Redis 7.0 or newer (LiteLLM uses LPOP with a count and Redis 7 ACL rules)');
  }
  return image;
}
