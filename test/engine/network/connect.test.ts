// A container on two networks, inside a private network namespace: connected live while it runs
// (an eth1 of its own, an address, names on both networks), traffic to a member of each, the
// errors Docker gives, a disconnect that takes the interface away, the first network's too, a
// gc after a daemon restart that keeps it all, and nothing left once it is detached.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetworkManager } from '../../../engine/network/network-manager.ts';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '../../../specs/errdefs.ts';
import { containers, eventually, hostNetworkState, httpd, insidePrivateNetns, removeAll, sh } from './harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('a container on several networks', { timeout: 300_000 }, () => {
    const c = containers();
    const root = join(c.root, 'networks');
    let nets = new NetworkManager({ root });
    const ids: string[] = [];
    const id = (n: string) => {
      const v = `k${process.pid}-${n}`;
      ids.push(v);
      return v;
    };
    const [a, b, both] = [id('a'), id('b'), id('both')];
    /** The container's interfaces (lo left out) with their IPv4 addresses. */
    const interfaces = (ns: string) =>
      sh('nsenter', [`--net=${ns}`, 'ip', '-o', '-4', 'addr', 'show']).split('\n').filter((l) => l && !/\blo\b/.test(l)).map((l) => `${l.split(/\s+/)[1]} ${l.split(/\s+/)[3]}`);
    const wget = (from: string, host: string) =>
      eventually(async () => {
        const r = await c.rt.exec(from, { args: ['wget', '-q', '-O', '-', `http://${host}/`], timeoutMs: 10_000 });
        if (r.exitCode !== 0) throw new Error(`wget: ${r.stderr.toString()}`);
        return r.stdout.toString();
      }, `wget http://${host}/ from ${from}`);

    before(async () => {
      await nets.create('front', { subnet: '10.81.0.0/24' });
      await nets.create('back', { subnet: '10.82.0.0/24' });
    });
    after(() => removeAll(c, nets, ids));

    it('connects a running container to a second network: eth1, an address, names and traffic on both', async () => {
      await c.run(a, await nets.attach(a, { network: 'front', name: 'a' }), httpd('a'), 'a');
      await c.run(b, await nets.attach(b, { network: 'back', name: 'b' }), httpd('b'), 'b');
      const first = await nets.attach(both, { network: 'front', name: 'both' });
      await c.run(both, first, ['sleep', '600'], 'both');
      assert.equal(await wget(both, 'a'), 'hello from a\n');

      const e = await nets.connect(both, { network: 'back', aliases: ['api'] });
      assert.equal(e.ifName, 'eth1');
      assert.match(e.ipAddress!, /^10\.82\.0\.\d+$/);
      assert.deepEqual(interfaces(first.netnsPath!).sort(), [`eth0 ${first.ipAddress}/24`, `eth1 ${e.ipAddress}/24`]);
      // One way out, the first network's: no second default route.
      assert.deepEqual(sh('nsenter', [`--net=${first.netnsPath}`, 'ip', 'route', 'show', 'default']).trim().split('\n'), ['default via 10.81.0.1 dev eth0']);
      assert.equal(await wget(both, 'b'), 'hello from b\n');
      assert.equal(await wget(both, 'a'), 'hello from a\n');
      // b finds it by its name and its alias on back, at its address there; a at its address on front.
      const hostsB = (await c.rt.exec(b, { args: ['cat', '/etc/hosts'] })).stdout.toString();
      assert.match(hostsB, new RegExp(`^${e.ipAddress!.replace(/\./g, '\\.')}\\tboth api$`, 'm'));
      assert.doesNotMatch(hostsB, /\ba\b/);
      const hostsA = readFileSync((await nets.attachment(a))!.hostsFile, 'utf8');
      assert.match(hostsA, new RegExp(`^${first.ipAddress!.replace(/\./g, '\\.')}\\tboth$`, 'm'));
      const hostsBoth = (await c.rt.exec(both, { args: ['cat', '/etc/hosts'] })).stdout.toString();
      assert.match(hostsBoth, /# containers on network front, kept current by berth\n10\.81\.0\.\d+\ta\n# containers on network back, kept current by berth\n10\.82\.0\.\d+\tb\n/);
      assert.deepEqual((await nets.inspect('back')).containers.map((m) => [m.name, m.ipAddress]).sort(), [['b', (await nets.attachment(b))!.ipAddress], ['both', e.ipAddress]]);
      assert.deepEqual(await nets.endpoints(both), [{ network: 'back', ifName: 'eth1', ipAddress: e.ipAddress, gateway: '10.82.0.1' }]);
    });

    it('answers as Docker: already connected, not connected, no such network', async () => {
      await assert.rejects(nets.connect(both, { network: 'back' }), (err: Error) => err instanceof PermissionDeniedError && err.message === 'endpoint with name both already exists in network back');
      await assert.rejects(nets.connect(both, { network: 'front' }), (err: Error) => err instanceof PermissionDeniedError && /already exists in network front/.test(err.message));
      await assert.rejects(nets.disconnect(a, 'back'), (err: Error) => err instanceof FailedPreconditionError && err.message === `container ${a} is not connected to network back`);
      await assert.rejects(nets.connect(both, { network: 'nope' }), (err: Error) => err instanceof NotFoundError && err.message === 'network nope not found');
      await assert.rejects(nets.connect(`k${process.pid}-never`, { network: 'back' }), NotFoundError);
      // ensure (what a start does) gives the endpoint back instead.
      assert.equal((await nets.connect(both, { network: 'back', ensure: true })).ifName, 'eth1');
      await assert.rejects(nets.remove('back'), /has containers attached/);
    });

    it('keeps every network of a running container over a daemon restart (gc), and redoes a connect cut short', async () => {
      nets.close();
      nets = new NetworkManager({ root });
      assert.deepEqual(await nets.gc(ids), []);
      const ns = (await nets.attachment(both))!.netnsPath!;
      assert.equal(interfaces(ns).length, 2);
      assert.equal(await wget(both, 'b'), 'hello from b\n');
      // A daemon killed in the middle of a connect left the endpoint 'adding': connecting again redoes it, leaking nothing.
      const file = join(root, 'containers', both, 'attachment.json');
      const rec = JSON.parse(readFileSync(file, 'utf8')) as { endpoints: Array<{ state: string }> };
      rec.endpoints[0]!.state = 'adding';
      writeFileSync(file, JSON.stringify(rec));
      // The daemon that comes back reads the record as the killed one left it (a live manager keeps its own in memory).
      nets.close();
      nets = new NetworkManager({ root });
      const veths = hostNetworkState().links.filter((l) => l.startsWith('veth')).length;
      assert.equal((await nets.connect(both, { network: 'back' })).ifName, 'eth1');
      assert.equal(hostNetworkState().links.filter((l) => l.startsWith('veth')).length, veths);
      assert.equal(interfaces(ns).length, 2);
      assert.equal(await wget(both, 'b'), 'hello from b\n');
    });

    it('disconnects: the interface, its address and its names go; the first network may go too', async () => {
      const ns = (await nets.attachment(both))!.netnsPath!;
      const ip = (await nets.endpoints(both))[0]!.ipAddress!;
      await nets.disconnect(both, 'back');
      assert.deepEqual(interfaces(ns).map((l) => l.split(' ')[0]), ['eth0']);
      assert.doesNotMatch((await c.rt.exec(b, { args: ['cat', '/etc/hosts'] })).stdout.toString(), /\bboth\b/);
      assert.deepEqual(await nets.endpoints(both), []);
      assert.ok(!readdirSync(join(root, 'ipam', 'back')).includes(ip), 'its lease on back is released');
      assert.deepEqual(hostNetworkState().links.filter((l) => l.startsWith('veth')).length, 3);

      // Back on back, then off front, its first network: only eth1 (back) is left, and lo.
      await nets.connect(both, { network: 'back' });
      await nets.disconnect(both, 'front');
      assert.deepEqual(interfaces(ns).map((l) => l.split(' ')[0]), ['eth1']);
      assert.equal(await wget(both, 'b'), 'hello from b\n');
      assert.doesNotMatch(readFileSync((await nets.attachment(a))!.hostsFile, 'utf8'), /\bboth\b/);
      assert.deepEqual((await nets.inspect('front')).containers.map((m) => m.name), ['a']);
      // Connected to front again, it gets the first free interface: eth0.
      assert.equal((await nets.connect(both, { network: 'front' })).ifName, 'eth0');
    });

    it('leaves no veth, lease, address or rule once its containers are detached', async () => {
      for (const i of ids) {
        await c.remove(i).catch(() => undefined);
        await nets.detach(i);
      }
      const s = hostNetworkState();
      assert.deepEqual(s.links.filter((l) => l.startsWith('veth')), []);
      assert.doesNotMatch(s.iptables, /id: "k\d+-/);
      const leases = readdirSync(join(root, 'ipam'), { recursive: true }).map(String).filter((f) => /\d+\.\d+\.\d+\.\d+$/.test(f));
      assert.deepEqual(leases, []);
      for (const i of ids) assert.ok(!existsSync(join(root, 'netns', i)));
      await nets.remove('front');
      await nets.remove('back');
      assert.deepEqual(hostNetworkState().links.filter((l) => l !== 'lo'), []);
    });
  });
}
