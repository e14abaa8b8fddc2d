// Pure decisions of the network part: -p parsing, subnets, /proc parsing, hosts and resolv.conf.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bridgeName, canonicalNetwork, formatCidr, overlaps, parseCidr, parseRoutes, pickSubnet } from '../../../engine/network/config.ts';
import { containerResolvConf, hostsFile, rewriteInPlace } from '../../../engine/network/hosts.ts';
import { parseNetDev, totalNetworkStats } from '../../../engine/network/netns.ts';
import { formatPort, parsePublish, portsCollide } from '../../../engine/network/ports.ts';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';

describe('parsePublish', () => {
  it('reads every form docker run -p accepts', () => {
    assert.deepEqual(parsePublish('80'), { containerPort: 80, protocol: 'TCP' });
    assert.deepEqual(parsePublish('8080:80'), { containerPort: 80, hostPort: 8080, protocol: 'TCP' });
    assert.deepEqual(parsePublish('8080:80/udp'), { containerPort: 80, hostPort: 8080, protocol: 'UDP' });
    assert.deepEqual(parsePublish('127.0.0.1:8080:80'), { containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1', protocol: 'TCP' });
    assert.deepEqual(parsePublish('127.0.0.1::80/TCP'), { containerPort: 80, hostIP: '127.0.0.1', protocol: 'TCP' });
    assert.deepEqual(parsePublish('[::1]:8080:80'), { containerPort: 80, hostPort: 8080, hostIP: '::1', protocol: 'TCP' });
  });

  it('says what is wrong with a bad value', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /not \[IP:\]HOSTPORT:CONTAINERPORT/],
      ['80/sctp', /protocol "sctp" must be tcp or udp/],
      ['70000:80', /host port "70000" is not a port number/],
      ['8080:0', /container port "0"/],
      ['localhost:8080:80', /"localhost" is not an IPv4 address/],
      ['1.2.3.4:5:6:7', /not \[IP:\]HOSTPORT/],
      ['[zz]:1:2', /not an IPv6 address/],
      ['8080-8090:80', /not a port number/],
      [':80', /not \[IP:\]HOSTPORT/],
    ];
    for (const [v, re] of bad) assert.throws(() => parsePublish(v), (e: Error) => e instanceof InvalidArgumentError && re.test(e.message), v);
  });

  it('formats ports as docker port prints them, and finds collisions', () => {
    assert.equal(formatPort(parsePublish('8080:80')), '0.0.0.0:8080->80/tcp');
    assert.equal(formatPort(parsePublish('[::1]:53:53/udp')), '[::1]:53->53/udp');
    assert.equal(formatPort(parsePublish('80')), '80/tcp');
    assert.ok(portsCollide(parsePublish('8080:80'), parsePublish('127.0.0.1:8080:81')));
    assert.ok(!portsCollide(parsePublish('8080:80'), parsePublish('8080:80/udp')));
    assert.ok(!portsCollide(parsePublish('127.0.0.1:8080:80'), parsePublish('127.0.0.2:8080:80')));
    assert.ok(!portsCollide(parsePublish('80'), parsePublish('80')));
  });
});

describe('subnets', () => {
  it('parses CIDRs and rejects what is not a network', () => {
    assert.equal(formatCidr(parseCidr('10.90.0.0/24')), '10.90.0.0/24');
    assert.throws(() => parseCidr('10.90.0.1/24'), /did you mean 10\.90\.0\.0\/24/);
    assert.throws(() => parseCidr('10.90.0.0/31'), /prefix of 8 to 30/);
    assert.throws(() => parseCidr('300.1.1.0/24'), InvalidArgumentError);
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.213.4.0/24')));
    assert.ok(!overlaps(parseCidr('10.212.0.0/16'), parseCidr('10.213.0.0/16')));
  });

  it('picks the first /16 of the pool that overlaps no network and no route', () => {
    assert.equal(formatCidr(pickSubnet([])!), '10.213.0.0/16');
    assert.equal(formatCidr(pickSubnet([parseCidr('10.213.5.0/24'), parseCidr('10.214.0.0/16')])!), '10.215.0.0/16');
    assert.equal(pickSubnet([parseCidr('10.0.0.0/8')]), undefined);
  });

  it('reads /proc/net/route, skipping the default route', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    assert.deepEqual(parseRoutes(text).map(formatCidr), ['192.168.2.0/24', '172.17.0.0/16']);
  });

  it('names networks and bridges', () => {
    assert.equal(canonicalNetwork('bridge'), 'berth');
    assert.equal(bridgeName('berth'), 'berth0');
    assert.match(bridgeName('a-very-long-network-name'), /^br-[0-9a-f]{12}$/);
    assert.ok(bridgeName('a-very-long-network-name').length <= 15);
  });
});

describe('namespace files', () => {
  it('parses /proc/net/dev without loopback', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:     450       5    1    2    0     0          0         0      292       4    3    4    0     0       0          0
`;
    assert.deepEqual(parseNetDev(text), [
      { interface: 'eth0', rxBytes: 450, rxPackets: 5, rxErrors: 1, rxDropped: 2, txBytes: 292, txPackets: 4, txErrors: 3, txDropped: 4 },
    ]);
    const eth1 = parseNetDev(text.replace('eth0', 'eth1'));
    assert.deepEqual(totalNetworkStats([...parseNetDev(text), ...eth1]), {
      rxBytes: 900,
      txBytes: 584,
      interfaces: [{ interface: 'eth0', rxBytes: 450, txBytes: 292 }, { interface: 'eth1', rxBytes: 450, txBytes: 292 }],
    });
    assert.equal(totalNetworkStats([]), undefined);
  });

  it('writes /etc/hosts with the container first and its peers sorted', () => {
    const text = hostsFile({ ip: '10.0.0.3', names: ['b', 'bee'] }, [{ ip: '10.0.0.4', names: ['c'] }, { ip: '10.0.0.2', names: ['a'] }], 'apps');
    assert.equal(text, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.3\tb bee\n# containers on network apps, kept current by berth\n10.0.0.2\ta\n10.0.0.4\tc\n');
  });

  it('drops loopback name servers from resolv.conf, falling back to public ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-resolv-'));
    try {
      writeFileSync(join(dir, 'a'), 'search example.org\nnameserver 127.0.0.1\nnameserver 192.0.2.53\noptions ndots:2\n');
      assert.equal(await containerResolvConf(join(dir, 'a')), 'search example.org\nnameserver 192.0.2.53\noptions ndots:2\n');
      writeFileSync(join(dir, 'b'), 'nameserver ::1\n');
      assert.equal(await containerResolvConf(join(dir, 'b')), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
      // Rewritten in place: a bind mount of the file keeps seeing it.
      const f = join(dir, 'hosts');
      writeFileSync(f, 'a long first version of the file\n');
      const ino = statSync(f).ino;
      await rewriteInPlace(f, 'short\n');
      assert.equal(statSync(f).ino, ino);
      assert.equal(readFileSync(f, 'utf8'), 'short\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
