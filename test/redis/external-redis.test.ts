import { LiteLLMConfigError } from '../../lib';
import { ExternalRedis, ExternalRedisProps } from '../../lib/redis/external-redis';
import { testChart } from '../support/synth';

const PASSWORD = { name: 'redis-auth', key: 'password' };
const make = (props: ExternalRedisProps) => new ExternalRedis(testChart(), 'redis', props);

describe('ExternalRedis', () => {
  test('GIVEN only a host THEN port 6379, TLS on, egress to any address on 6379', () => {
    const r = make({ host: 'redis.example.com', password: PASSWORD });
    expect([r.host, r.port, r.tls, r.password]).toEqual(['redis.example.com', 6379, true, PASSWORD]);
    expect(r.egress).toMatchObject({ peers: [], ports: [6379] });
    expect(r.clusterNodes).toBeUndefined();
    expect(r.sentinel).toBeUndefined();
  });

  test('GIVEN a CIDR THEN egress goes only to that block', () => {
    expect(make({ host: '10.1.2.3', cidr: '10.1.0.0/16', allowNoAuth: true }).egress.peers).toEqual([{ cidr: '10.1.0.0/16' }]);
  });

  test('GIVEN cluster seeds THEN the first seed is host/port and every node port is opened', () => {
    const r = make({ port: 6380, allowNoAuth: true, cluster: { nodes: [{ host: 'a.example.com' }, { host: 'b.example.com', port: 7001 }] } });
    expect(r.clusterNodes).toEqual([{ host: 'a.example.com', port: 6380 }, { host: 'b.example.com', port: 7001 }]);
    expect([r.host, r.port]).toEqual(['a.example.com', 6380]);
    expect(r.egress.ports).toEqual([6380, 7001]);
  });

  test('GIVEN sentinels THEN sentinel ports default to 26379 and the data port stays open for the master', () => {
    const r = make({ password: PASSWORD, sentinel: { nodes: [{ host: 's1' }, { host: 's2', port: 26380 }], masterName: 'mymaster' } });
    expect(r.sentinel).toEqual({ nodes: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], masterName: 'mymaster' });
    expect([r.host, r.port]).toEqual(['s1', 26379]);
    expect(r.egress.ports).toEqual([6379, 26379, 26380]);
  });

  test('GIVEN allowNoAuth THEN no password is wired; IPv6 and upper-case names are hosts too', () => {
    expect(make({ host: '10.0.0.5', allowNoAuth: true }).password).toBeUndefined();
    expect(make({ host: '2001:db8::5', allowNoAuth: true }).host).toBe('2001:db8::5');
    expect(make({ host: 'Redis.Example.COM', password: PASSWORD }).host).toBe('Redis.Example.COM');
  });

  test('admitClient is a no-op: the external service has its own firewall', () => {
    expect(() => make({ host: 'r', allowNoAuth: true }).admitClient({ podLabels: { a: 'b' } })).not.toThrow();
  });

  test.each<[string, ExternalRedisProps, RegExp]>([
    ['no host', {}, /host: received undefined; must be the Redis host name/],
    ['an empty host', { host: '' }, /host: received ""; must be a non-empty string/],
    ['a host with a port', { host: 'redis:6379' }, /host: received "redis:6379"; must be a host name or IP address/],
    ['a URL', { host: 'rediss://redis.example.com' }, /host: received "rediss:\/\/redis.example.com"; must be a host name or IP address/],
    ['port 0', { host: 'r', port: 0 }, /port: received 0; must be an integer from 1 to 65535/],
    ['a fractional port', { host: 'r', port: 63.5 }, /port: received 63.5; must be an integer from 1 to 65535/],
    ['tls not a boolean', { host: 'r', tls: 'yes' as any }, /tls: received "yes"; must be true or false/],
    ['a bad CIDR', { host: 'r', cidr: '10.0.0.0' }, /cidr\.cidr: received "10.0.0.0"; must be an IPv4 or IPv6 CIDR/],
    ['a literal password', { host: 'r', password: 'supersecretvalue' as any }, /password: received \(a literal string, hidden\); must be a Secret reference/],
    ['a username without a password', { host: 'r', username: 'litellm' }, /username: received "litellm"; an ACL user needs a password/],
    ['a username with a space', { host: 'r', password: PASSWORD, username: 'lite llm' }, /username: received "lite llm"; ACL user names cannot contain spaces/],
    ['host with cluster', { host: 'r', cluster: { nodes: [{ host: 'a' }] } }, /host: received "r"; leave host unset with cluster/],
    ['an empty cluster', { cluster: { nodes: [] } }, /cluster\.nodes: received an array of 0; must list at least one node/],
    ['a repeated cluster node', { cluster: { nodes: [{ host: 'a' }, { host: 'A', port: 6379 }] } }, /cluster\.nodes\[1\]: received "a:6379"; nodes must be unique/],
    ['a cluster node with a bad port', { cluster: { nodes: [{ host: 'a', port: 0 }] } }, /cluster\.nodes\[0\]\.port: received 0; must be an integer from 1 to 65535/],
    ['cluster and sentinel', { cluster: { nodes: [{ host: 'a' }] }, sentinel: { nodes: [{ host: 's' }], masterName: 'm' } }, /sentinel: .*either a cluster or behind sentinels/],
    ['host with sentinel', { host: 'r', sentinel: { nodes: [{ host: 's' }], masterName: 'm' } }, /host: received "r"; leave host unset with sentinel/],
    ['a sentinel without master name', { sentinel: { nodes: [{ host: 's' }], masterName: '' } }, /sentinel\.masterName: received ""; must be a non-empty string/],
    ['a sentinel node with an empty host', { sentinel: { nodes: [{ host: '' }], masterName: 'm' } }, /sentinel\.nodes\[0\]\.host: received ""; must be a non-empty string/],
    ['no password and no consent', { host: 'redis.example.com' },
      /^\[test\] password: received undefined; an external Redis needs AUTH: give password as a Secret reference \{ name, key \}, or set allowNoAuth: true/],
    ['a cluster without password or consent', { cluster: { nodes: [{ host: 'a.example.com' }] } }, /^\[test\] password: received undefined; an external Redis needs AUTH/],
    ['allowNoAuth beside a password', { host: 'r', password: PASSWORD, allowNoAuth: true }, /^\[test\] allowNoAuth: received true; contradicts password/],
    ['allowNoAuth not a boolean', { host: 'r', allowNoAuth: 'yes' as any }, /^\[test\] allowNoAuth: received "yes"; must be true or false/],
    ['an address that is no address', { host: '999.1.1.1', password: PASSWORD }, /^\[test\] host: received "999\.1\.1\.1"; must be a host name or IP address/],
    ['a hex word mistaken for IPv6', { host: 'cafe:6379', password: PASSWORD }, /^\[test\] host: received "cafe:6379"; must be a host name or IP address/],
  ])('GIVEN %s THEN LiteLLMConfigError', (_n, props, message) => {
    expect(() => make(props)).toThrow(LiteLLMConfigError);
    expect(() => make(props)).toThrow(message);
  });
});
