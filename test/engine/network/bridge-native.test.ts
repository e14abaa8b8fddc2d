// The daemon's own bridge set-up (bridge-native.ts) against the CNI bridge plugin it stands in for,
// inside a private network namespace: the same result record, addresses, routes and host-side
// ports; traffic between members; the plugin's CHECK passes on what berth made; each side removes
// what the other made; a bridge holding another address is refused in the plugin's words.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NativeBridge } from '../../../engine/network/bridge-native.ts';
import { CniError } from '../../../engine/network/cni.ts';
import { NetworkManager } from '../../../engine/network/network-manager.ts';
import type { AttachmentRecord } from '../../../engine/network/attachments.ts';
import { hostNetworkState, insidePrivateNetns, unmountUnder } from './harness.ts';

const record = (root: string, id: string) => JSON.parse(readFileSync(join(root, 'containers', id, 'attachment.json'), 'utf8')) as AttachmentRecord;
const leases = (root: string, net: string) => readdirSync(join(root, 'ipam', net)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();
const inNs = (netns: string, ...cmd: string[]) => execFileSync('nsenter', [`--net=${netns}`, ...cmd], { encoding: 'utf8' });
/** A device as iproute2 shows it (not /sys/class/net: sysfs shows the namespace that mounted it). */
function link(netns: string | undefined, dev: string): { address: string; master?: string; linkinfo?: { info_slave_data?: { hairpin?: boolean } } } {
  const args = ['-j', '-d', 'link', 'show', 'dev', dev];
  const out = netns ? inNs(netns, 'ip', ...args) : execFileSync('ip', args, { encoding: 'utf8' });
  return (JSON.parse(out) as Array<ReturnType<typeof link>>)[0]!;
}

/** What must be the same whoever set the attachment up (names of random devices and MACs aside). */
function shape(r: AttachmentRecord) {
  const ifs = r.result!.interfaces!;
  return {
    interfaces: ifs.map((i, k) => ({ name: k === 1 ? /^veth[0-9a-f]{8}$/.test(i.name) : i.name, mac: /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(i.mac ?? ''), sandbox: !!i.sandbox })),
    ips: r.result!.ips,
    routes: r.result!.routes,
  };
}

if (insidePrivateNetns(import.meta.url)) {
  describe('the bridge set up by the daemon, beside the CNI bridge plugin', { timeout: 300_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bridge-'));
    const root = join(tmp, 'networks');
    const native = new NetworkManager({ root });
    const plugin = new NetworkManager({ root, bridge: 'plugin' });
    after(async () => {
      for (const id of readdirSync(join(root, 'containers'), { withFileTypes: true }).map((d) => d.name)) await native.detach(id).catch(() => undefined);
      native.close();
      plugin.close();
      unmountUnder(tmp);
      rmSync(tmp, { recursive: true, force: true });
    });

    it('gives the plugin\'s result, addresses and routes; members reach each other; the plugin\'s CHECK passes', async () => {
      await native.create('cmp', { subnet: '10.93.0.0/24' });
      const ids = { n1: `bn${process.pid}-n1`, n2: `bn${process.pid}-n2`, p1: `bn${process.pid}-p1` };
      const n1 = await native.attach(ids.n1, { network: 'cmp', name: 'n1' });
      const p1 = await plugin.attach(ids.p1, { network: 'cmp', name: 'p1' });
      const n2 = await native.attach(ids.n2, { network: 'cmp', name: 'n2' });
      assert.deepEqual([n1.ipAddress, p1.ipAddress, n2.ipAddress], ['10.93.0.2', '10.93.0.3', '10.93.0.4'], 'one lease sequence, whoever leases');
      assert.equal(n1.gateway, '10.93.0.1');
      const rn = record(root, ids.n1);
      const rp = record(root, ids.p1);
      assert.deepEqual(shape(rn), { ...shape(rp), ips: [{ interface: 2, address: '10.93.0.2/24', gateway: '10.93.0.1' }] });
      assert.equal(rn.result!.interfaces![2]!.sandbox, n1.netnsPath);
      // Inside: eth0 with the address and MAC of the record, the default route through the gateway.
      const addr = inNs(n1.netnsPath!, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0');
      assert.match(addr, /inet 10\.93\.0\.2\/24/);
      assert.equal(link(n1.netnsPath!, 'eth0').address, rn.result!.interfaces![2]!.mac);
      assert.match(inNs(n1.netnsPath!, 'ip', 'route'), /default via 10\.93\.0\.1 dev eth0/);
      // IPv6 off on eth0 (an IPv4-only network, as Docker does since 26.0.2): no link-local address;
      // the loopback keeps ::1.
      assert.equal(inNs(n1.netnsPath!, 'cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6').trim(), '1');
      assert.equal(inNs(n1.netnsPath!, 'ip', '-o', '-6', 'addr', 'show', 'dev', 'eth0').trim(), '');
      assert.match(inNs(n1.netnsPath!, 'ip', '-o', '-6', 'addr', 'show', 'dev', 'lo'), /inet6 ::1\/128/);
      // Outside: the host end on the bridge, hairpin on, as the plugin leaves it.
      const hostIf = rn.result!.interfaces![1]!.name;
      const bridge = rn.result!.interfaces![0]!.name;
      const host = link(undefined, hostIf);
      assert.equal(host.master, bridge);
      assert.equal(host.linkinfo?.info_slave_data?.hairpin, true);
      assert.equal(host.address, rn.result!.interfaces![1]!.mac);
      // Traffic: berth's member to the plugin's and to its sibling, and to the gateway.
      for (const ip of ['10.93.0.3', '10.93.0.4', '10.93.0.1']) inNs(n1.netnsPath!, '/bin/busybox', 'ping', '-c', '1', '-W', '5', ip);
      // The plugin's own CHECK finds nothing wrong with what berth made.
      await plugin.check(ids.n1);
      await native.check(ids.p1);

      // Each removes what the other made: no veth, no lease left.
      await native.detach(ids.p1);
      await plugin.detach(ids.n1);
      assert.deepEqual(leases(root, 'cmp'), ['10.93.0.4']);
      await native.detach(ids.n2);
      assert.deepEqual(leases(root, 'cmp'), []);
      assert.deepEqual(hostNetworkState().links.filter((l) => l.startsWith('veth')), []);
      // Detaching again changes nothing (CNI DEL is idempotent).
      await native.detach(ids.n2);
      await native.remove('cmp');
    });

    it('makes the bridge again when it went away between two containers, and puts the veth on it', async () => {
      await native.create('gone', { subnet: '10.96.0.0/24' });
      const ids = [`bn${process.pid}-g1`, `bn${process.pid}-g2`];
      await native.attach(ids[0]!, { network: 'gone', name: 'g1' });
      const bridge = record(root, ids[0]!).result!.interfaces![0]!.name;
      await native.detach(ids[0]!);
      execFileSync('ip', ['link', 'del', bridge]);
      const g2 = await native.attach(ids[1]!, { network: 'gone', name: 'g2' });
      const hostIf = record(root, ids[1]!).result!.interfaces![1]!.name;
      assert.equal(link(undefined, hostIf).master, bridge);
      assert.equal(link(undefined, hostIf).linkinfo?.info_slave_data?.hairpin, true);
      inNs(g2.netnsPath!, '/bin/busybox', 'ping', '-c', '1', '-W', '5', '10.96.0.1');
      await native.detach(ids[1]!);
      assert.deepEqual(hostNetworkState().links.filter((l) => l.startsWith('veth')), []);
      await native.remove('gone');
    });

    it('removes the veth from inside the namespace when the record has no host end (a DEL without a cached result)', async () => {
      await native.create('nocache', { subnet: '10.98.0.0/24' });
      const id = `bn${process.pid}-nc`;
      const a = await native.attach(id, { network: 'nocache', name: 'nc' });
      const r = record(root, id);
      const bridge = new NativeBridge();
      const conf = r.confList!.plugins[0]!;
      await bridge.del(r.confList!, conf, { containerId: id, netns: a.netnsPath!, ifName: 'eth0' }, undefined);
      assert.doesNotMatch(inNs(a.netnsPath!, 'ip', '-o', 'link'), /eth0/);
      assert.deepEqual(hostNetworkState().links.filter((l) => l.startsWith('veth')), [], 'its peer went with it');
      assert.deepEqual(leases(root, 'nocache'), [], 'its lease found by owner and released');
      await native.detach(id);
      await native.remove('nocache');
    });

    it('refuses a bridge that holds another address, in the plugin\'s words, before leasing anything', async () => {
      // (The manager deletes such a bridge first when nothing is attached to it: stale-bridge.ts.)
      execFileSync('ip', ['link', 'add', 'br-stale', 'type', 'bridge']);
      execFileSync('ip', ['addr', 'add', '10.95.0.1/24', 'dev', 'br-stale']);
      const dataDir = join(tmp, 'stale-ipam');
      const list = { cniVersion: '1.0.0', name: 'stale', plugins: [] };
      const plugin = { type: 'bridge', bridge: 'br-stale', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.94.0.0/24', gateway: '10.94.0.1' }]], dataDir } };
      const bridge = new NativeBridge();
      assert.ok(bridge.handles(plugin));
      await assert.rejects(bridge.add(list, plugin, { containerId: 'x', netns: '/nonexistent', ifName: 'eth0' }), (e: Error) => e instanceof CniError && /"br-stale" already has an IP address different from 10\.94\.0\.1\/24/.test(e.message));
      assert.equal(existsSync(join(dataDir, 'stale')), false, 'no lease taken');
      assert.deepEqual(hostNetworkState().links.filter((l) => l.startsWith('veth')), []);
      execFileSync('ip', ['link', 'del', 'br-stale']);
    });
  });
}
