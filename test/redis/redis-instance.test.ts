import { execFileSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { LiteLLMConfigError } from '../../lib';
import { MIN_SCANNER_UID } from '../../lib/pod-security';
import { DEFAULT_REDIS_IMAGE, RedisInstance, RedisInstanceProps, REDIS_START_SCRIPT } from '../../lib/redis/redis-instance';
import { containerOf, envMap, one, synth, testChart } from '../support/synth';

const PASSWORD = { name: 'redis-auth', key: 'password' };

function redisObjects(props: Partial<RedisInstanceProps> = {}): any[] {
  return synth(chart => new RedisInstance(chart, 'redis', { password: PASSWORD, ...props }));
}

function redisConf(objects: any[]): string {
  return one(objects, 'ConfigMap').data['redis.conf'];
}

function confValue(conf: string, key: string): string | undefined {
  return conf.split('\n').find(l => l.startsWith(`${key} `))?.slice(key.length + 1);
}

/**
 * Runs the container's start script with a stand-in redis-server on PATH that
 * records its argv and stdin, so the test sees exactly what the real one gets.
 */
function runStartScript(password: string): { status: number; argv: string[]; stdin: string; stderr: string; env: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-start-'));
  try {
    writeFileSync(path.join(dir, 'redis-server'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\nenv > "${dir}/env"\n`);
    chmodSync(path.join(dir, 'redis-server'), 0o755);
    let status = 0;
    let stderr = '';
    try {
      execFileSync('/bin/sh', ['-c', REDIS_START_SCRIPT], {
        env: { PATH: `${dir}:/usr/bin:/bin`, REDISCLI_AUTH: password }, stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e: any) {
      status = e.status;
      stderr = e.stderr.toString();
    }
    const read = (f: string) => { try { return readFileSync(path.join(dir, f), 'utf8'); } catch { return ''; } };
    return { status, argv: read('argv').split('\n').filter(Boolean), stdin: read('stdin'), stderr, env: read('env') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('RedisInstance', () => {
  const objects = redisObjects();
  const sts = one(objects, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const container = containerOf(objects, 'StatefulSet');
  const conf = redisConf(objects);

  test('GIVEN defaults THEN one StatefulSet replica, a ClusterIP Service, ConfigMap, ServiceAccount and NetworkPolicy; no PDB', () => {
    expect(objects.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/redis-config', 'NetworkPolicy/redis', 'Service/redis', 'ServiceAccount/redis', 'StatefulSet/redis',
    ]);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('redis');
    expect(one(objects, 'Service').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] });
  });

  test('THEN the image is the pinned official Redis 8 release', () => {
    expect(container.image).toBe(DEFAULT_REDIS_IMAGE);
    expect(DEFAULT_REDIS_IMAGE).toMatch(/^docker\.io\/library\/redis:8\.\d+\.\d+-alpine$/);
  });

  test('THEN the pod is Pod Security restricted with uid/gid >= 10000 and a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThanOrEqual(MIN_SCANNER_UID);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  test('THEN the data dir /data is a writable emptyDir and redis.conf a read-only ConfigMap mount', () => {
    expect(container.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/redis', readOnly: true },
      { name: 'data', mountPath: '/data' },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '64Mi' } });
    expect(confValue(conf, 'dir')).toBe('/data');
  });

  test('THEN requests and limits are set, memory request = limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } });
  });

  test('THEN readiness is an authenticated redis-cli PING through REDISCLI_AUTH and liveness a TCP check: they differ', () => {
    expect(envMap(container)).toEqual({ REDISCLI_AUTH: { secretKeyRef: PASSWORD } });
    expect(container.readinessProbe.exec.command).toEqual(['/bin/sh', '-c', 'test "$(redis-cli -p 6379 ping)" = PONG']);
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 'redis' });
    expect(container.livenessProbe).not.toEqual(container.readinessProbe);
  });

  test.each([
    ['256Mi', 201326592], ['64Mi', 50331648], ['1Gi', 805306368], ['1G', 750000000],
  ])('GIVEN memory %s THEN maxmemory is 75%% of it (%d bytes) with allkeys-lru', (memory, bytes) => {
    const c = redisConf(redisObjects({ memory }));
    expect(confValue(c, 'maxmemory')).toBe(String(bytes));
    expect(confValue(c, 'maxmemory-policy')).toBe('allkeys-lru');
  });

  test('THEN persistence is off by default: save "" and appendonly no', () => {
    expect(confValue(conf, 'save')).toBe('""');
    expect(confValue(conf, 'appendonly')).toBe('no');
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
  });

  test('THEN FLUSHALL and FLUSHDB are denied to the default user by ACL (rename-command is deprecated)', () => {
    const acl = REDIS_START_SCRIPT.split('\n').find(l => l.startsWith('user default '))!;
    expect(acl).toMatch(/^user default on ">\$escaped" ~\* &\* \+@all .*-flushall -flushdb/);
    expect(acl).toMatch(/ -config /);
    expect(conf).not.toMatch(/rename-command/);
  });

  test('THEN the config carries no secret and the pod restarts when it changes', () => {
    expect(conf).not.toMatch(/requirepass|^user /m);
    expect(sts.spec.template.metadata.annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
  });

  test('THEN egress is DNS only and ingress is closed until a client is admitted', () => {
    const policy = one(objects, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toHaveLength(1);
    expect(policy.spec.egress[0].ports.map((p: any) => p.port)).toEqual([53, 53]);
  });

  test('GIVEN admitClient twice with the same peer and once with another THEN two peers are admitted on the Redis port', () => {
    const objs = synth(chart => {
      const r = new RedisInstance(chart, 'redis', { password: PASSWORD, port: 6380 });
      r.admitClient({ podLabels: { app: 'a' } });
      r.admitClient({ podLabels: { app: 'a' } });
      r.admitClient({ namespace: 'other', podLabels: { app: 'b' } });
    });
    expect(one(objs, 'NetworkPolicy').spec.ingress).toEqual([{
      from: [
        { podSelector: { matchLabels: { app: 'a' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } }, podSelector: { matchLabels: { app: 'b' } } },
      ],
      ports: [{ protocol: 'TCP', port: 6380 }],
    }]);
  });

  test('THEN it implements IRedisEndpoint: host = Service name, no TLS, egress to its pod on its port', () => {
    const r = new RedisInstance(testChart(), 'cache', { password: PASSWORD });
    expect([r.host, r.port, r.tls, r.password]).toEqual(['cache', 6379, false, PASSWORD]);
    expect(r.egress).toMatchObject({ peers: [{ podLabels: r.podSelector }], ports: [6379] });
  });

  test('GIVEN persistence THEN AOF is on, on a ReadWriteOnce claim template named data', () => {
    const objs = redisObjects({ persistence: { size: '2Gi', storageClassName: 'fast-ssd' } });
    const s = one(objs, 'StatefulSet');
    expect(confValue(redisConf(objs), 'appendonly')).toBe('yes');
    expect(confValue(redisConf(objs), 'appendfsync')).toBe('everysec');
    expect(confValue(redisConf(objs), 'save')).toBe('""');
    expect(s.spec.volumeClaimTemplates).toEqual([expect.objectContaining({
      metadata: expect.objectContaining({ name: 'data' }),
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '2Gi' } } },
    })]);
    expect(s.spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['config']);
  });
});

describe('the start script (run with a stand-in redis-server)', () => {
  const tricky = 'p@ss "w\\ord" $(id) `x` \\x41 sp ace';

  test('GIVEN a password with quotes, backslashes, $() and spaces THEN argv is only the config file and "-"', () => {
    const run = runStartScript(tricky);
    expect(run.status).toBe(0);
    expect(run.argv).toEqual(['/etc/redis/redis.conf', '-']);
    expect(run.argv.join(' ')).not.toContain('p@ss');
  });

  test('THEN the password reaches redis-server on stdin as an escaped, double-quoted ACL password', () => {
    const run = runStartScript(tricky);
    expect(run.stdin).toBe(`user default on ">p@ss \\"w\\\\ord\\" $(id) \`x\` \\\\x41 sp ace" ~* &* +@all -flushall -flushdb -acl -config -shutdown -debug -module -monitor -replicaof -slaveof -failover -save -bgsave -bgrewriteaof\n`);
  });

  test('THEN redis-server\'s environment no longer holds the password', () => {
    expect(runStartScript(tricky).env).not.toMatch(/REDISCLI_AUTH|p@ss/);
  });

  test.each([
    ['empty', '', /the password in the Secret is empty/],
    ['with a trailing newline', 'secret\n', /contains a line break/],
  ])('GIVEN a password that is %s THEN it refuses to start, without echoing the password', (_n, password, message) => {
    const run = runStartScript(password);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.argv).toEqual([]);
    if (password) expect(run.stderr).not.toContain(password.trim());
  });
});

describe('RedisInstance validation', () => {
  test.each<[string, Partial<RedisInstanceProps>, RegExp]>([
    ['memory below 64Mi', { memory: '32Mi' }, /memory: received "32Mi"; must be at least 64Mi: maxmemory is 75% of it/],
    ['a memory that is not a quantity', { memory: 'lots' }, /memory: received "lots"; must be a memory quantity/],
    ['cpuLimit below cpu', { cpu: '2', cpuLimit: '1' }, /cpuLimit: received "1"; must be at least the CPU request \(2\)/],
    ['a privileged port', { port: 80 }, /port: received 80; must be an integer from 1024 to 65535/],
    ['port 70000', { port: 70000 }, /port: received 70000; must be an integer from 1024 to 65535/],
    ['an invalid name', { name: 'Redis_1' }, /name: received "Redis_1"; must be a DNS-1123 label/],
    ['a name over 52 characters', { name: 'r'.repeat(53) }, /name: received "r{53}"; must be a DNS-1123 label.*at most 52/],
    ['a name that starts with a digit (the Service carries it)', { name: '6379-cache' }, /name: received "6379-cache"; must be a DNS-1123 label that starts with a letter/],
    ['a literal password', { password: 'hunter2hunter2' as any }, /password: received \(a literal string, hidden\); must be a Secret reference/],
    ['the latest tag', { image: 'docker.io/library/redis:latest' }, /image: received "docker.io\/library\/redis:latest"; must be pinned to a Redis release tag/],
    ['a floating minor tag', { image: 'redis:8.10-alpine' }, /image: received "redis:8.10-alpine"; must be pinned to a Redis release tag/],
    ['an untagged image', { image: 'redis' }, /image: received "redis"; must be pinned/],
    ['Redis 6', { image: 'redis:6.2.24-alpine' }, /image: received "redis:6.2.24-alpine"; must be Redis 7.0 or newer/],
    ['a persistence size that is not a quantity', { persistence: { size: '2 gigs' } }, /persistence\.size: received "2 gigs"; must be a memory quantity/],
    ['a persistence size under 3 x maxmemory', { memory: '1Gi', persistence: { size: '2Gi' } }, /persistence\.size: received "2Gi"; must be at least 2304Mi \(3 x maxmemory 768Mi\)/],
    ['an invalid storage class', { persistence: { size: '1Gi', storageClassName: 'Fast SSD' } }, /persistence\.storageClassName: received "Fast SSD"; must be a DNS-1123 subdomain/],
  ])('GIVEN %s THEN LiteLLMConfigError', (_n, props, message) => {
    expect(() => redisObjects(props)).toThrow(LiteLLMConfigError);
    expect(() => redisObjects(props)).toThrow(message);
  });

  test('GIVEN a digest-pinned image THEN it is accepted as is', () => {
    const image = `docker.io/library/redis@sha256:${'a'.repeat(64)}`;
    expect(containerOf(redisObjects({ image }), 'StatefulSet').image).toBe(image);
  });

  test('GIVEN admitClient with a CIDR and pod labels together THEN LiteLLMConfigError', () => {
    const r = new RedisInstance(testChart(), 'redis', { password: PASSWORD });
    expect(() => r.admitClient({ cidr: '10.0.0.0/8', podLabels: { a: 'b' } })).toThrow(/admitClient: .*either a CIDR or pods/);
  });
});
