// The daemon's own port mapping (portmap-native.ts) against the CNI portmap plugin it stands in for,
// inside a private network namespace: the same nat table after an ADD (on a host with no CNI chains
// yet and on one that has them), route_localnet on the bridge, each side removing what the other made, DEL idempotent and working without the port mappings,
// the shared chains made again after a firewall reload, and UDP left to the plugin. (Not the plugin's
// CHECK: Debian's 1.1.1 fails it on its own ADD where ip6tables works, looking for an IPv6 chain.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cni, cniSearchPath, type CniConfList, type CniResult, type CniRuntime } from '../../../engine/network/cni.ts';
import { createNetns, prepareNetnsDir } from '../../../engine/network/netns.ts';
import { NativePortmap, portmapChain } from '../../../engine/network/portmap-native.ts';
import { insidePrivateNetns, unmountUnder } from './harness.ts';

const BRIDGE = 'brpm0';
const portmapConf = { type: 'portmap', capabilities: { portMappings: true }, snat: true };
const list: CniConfList = { cniVersion: '1.0.0', name: 'pmnet', plugins: [{ type: 'bridge', bridge: BRIDGE }, portmapConf] };
const prevResult = (ip: string, netns: string): CniResult => ({
  cniVersion: '1.0.0',
  interfaces: [{ name: BRIDGE, mac: '02:00:00:00:00:01' }, { name: 'vethpm', mac: '02:00:00:00:00:02' }, { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: netns }],
  ips: [{ interface: 2, address: `${ip}/24`, gateway: '10.97.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: {},
});
/** The nat table as rules (`iptables -S`): what must be the same whoever made it. */
const nat = () => execFileSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
const resetNat = () => {
  execFileSync('iptables', ['-w', '-t', 'nat', '-F']);
  execFileSync('iptables', ['-w', '-t', 'nat', '-X']);
};

if (insidePrivateNetns(import.meta.url)) {
  describe('port mapping done by the daemon, beside the CNI portmap plugin', { timeout: 300_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-portmap-'));
    const cni = new Cni(cniSearchPath());
    let netns = '';
    const rt = (id: string, portMappings: unknown[]): CniRuntime => ({ containerId: id, netns, ifName: 'eth0', runtimeConfig: { portMappings } });
    const plugin = {
      add: (r: CniRuntime, prev: CniResult) => cni.exec('ADD', { ...portmapConf, name: list.name, cniVersion: list.cniVersion, prevResult: prev, runtimeConfig: r.runtimeConfig }, r),
      del: (r: CniRuntime, prev: CniResult) => cni.exec('DEL', { ...portmapConf, name: list.name, cniVersion: list.cniVersion, prevResult: prev, runtimeConfig: r.runtimeConfig }, r),
    };
    // Two ports on all addresses, one on 127.0.0.1 only.
    const ports = [
      { hostPort: 18080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 18081, containerPort: 81, protocol: 'tcp' },
      { hostPort: 18443, containerPort: 443, protocol: 'tcp', hostIP: '127.0.0.1' },
    ];
    before(async () => {
      execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      execFileSync('ip', ['addr', 'add', '10.97.0.1/24', 'dev', BRIDGE]);
      execFileSync('ip', ['link', 'set', BRIDGE, 'up']);
      await prepareNetnsDir(join(tmp, 'netns'));
      netns = join(tmp, 'netns', 'pm');
      await createNetns(netns);
    });
    after(() => {
      execFileSync('ip', ['link', 'del', BRIDGE]);
      unmountUnder(tmp);
      rmSync(tmp, { recursive: true, force: true });
    });

    it('makes the nat rules the plugin makes, on a bare host and beside others', async () => {
      const prev = prevResult('10.97.0.5', netns);
      const other = rt('pm-other', [{ hostPort: 19000, containerPort: 80, protocol: 'tcp' }]);
      for (const beside of [false, true]) {
        resetNat();
        if (beside) await plugin.add(other, prevResult('10.97.0.6', netns));
        await plugin.add(rt('pm-a', ports), prev);
        const byPlugin = nat();
        resetNat();
        if (beside) await plugin.add(other, prevResult('10.97.0.6', netns));
        const native = new NativePortmap();
        assert.ok(native.handles(portmapConf, rt('pm-a', ports), list));
        assert.deepEqual(await native.add(list, portmapConf, rt('pm-a', ports), prev), prev, 'the previous result passed on');
        assert.equal(nat(), byPlugin);
      }
      assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${BRIDGE}/route_localnet`, 'utf8').trim(), '1');
      assert.match(nat(), new RegExp(`-A ${portmapChain('DN-', 'pmnet', 'pm-a')} -s 10\\.97\\.0\\.0/24 -d 127\\.0\\.0\\.1/32 -p tcp -m tcp --dport 18443 -j CNI-HOSTPORT-SETMARK`));
    });

    it('removes what the plugin made, and the plugin removes what it made; DEL twice changes nothing', async () => {
      const prev = prevResult('10.97.0.5', netns);
      const native = new NativePortmap();
      resetNat();
      await native.add(list, portmapConf, rt('pm-x', ports), prev);
      const bare = () => nat().split('\n').filter((l) => !l.includes(portmapChain('DN-', 'pmnet', 'pm-x'))).join('\n');
      const shared = bare();
      await plugin.add(rt('pm-a', ports), prev);
      await native.del(list, portmapConf, rt('pm-a', ports));
      assert.equal(bare(), shared);
      assert.doesNotMatch(nat(), /id: "pm-a"/);
      await native.add(list, portmapConf, rt('pm-b', ports), prev);
      await plugin.del(rt('pm-b', ports), prev);
      assert.doesNotMatch(nat(), /id: "pm-b"|18080.*pm-b/);
      await native.del(list, portmapConf, rt('pm-b', ports));
      await native.del(list, portmapConf, rt('pm-x', ports));
      assert.doesNotMatch(nat(), /CNI-DN-/);
      // Without the port mappings (a record that lost them), DEL finds the rules to remove itself.
      await native.add(list, portmapConf, rt('pm-c', ports), prev);
      await native.del(list, portmapConf, rt('pm-c', []));
      assert.doesNotMatch(nat(), /CNI-DN-|pm-c/);
    });

    it('makes the shared chains again when they went away (a firewall reload)', async () => {
      const native = new NativePortmap();
      await native.add(list, portmapConf, rt('pm-d', ports), prevResult('10.97.0.7', netns));
      resetNat();
      await native.add(list, portmapConf, rt('pm-e', ports), prevResult('10.97.0.8', netns));
      assert.match(nat(), /-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT/);
      assert.match(nat(), /-A CNI-HOSTPORT-DNAT .*id: \\"pm-e\\"/);
      await native.del(list, portmapConf, rt('pm-e', ports));
      await native.del(list, portmapConf, rt('pm-d', ports));
      assert.doesNotMatch(nat(), /CNI-DN-/);
    });

    it('leaves published UDP ports and other configurations to the plugin', () => {
      const native = new NativePortmap();
      assert.equal(native.handles(portmapConf, rt('u', [{ hostPort: 5353, containerPort: 53, protocol: 'udp' }]), list), false);
      assert.equal(native.handles({ ...portmapConf, markMasqBit: 12 }, rt('u', ports), list), false);
      assert.equal(native.handles({ ...portmapConf, snat: false }, rt('u', ports), list), false);
      assert.equal(native.handles(portmapConf, rt('u', ports), { ...list, plugins: [portmapConf] }), false);
      assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith(`berth-iptables-${process.pid}-`)), [], 'no batch file left');
    });
  });
}
