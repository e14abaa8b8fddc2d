// NetworkManager without containers, inside a private network namespace: networks as objects,
// mode none, a busy host port, a failing plugin, and a daemon killed -9 in the middle of its work.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NetworkManager } from '../../../engine/network/network-manager.ts';
import { createNetns, isMountPoint, netnsStatsOf, prepareNetnsDir } from '../../../engine/network/netns.ts';
import { AlreadyExistsError, ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../../specs/errdefs.ts';
import { freePort, hostNetworkState, insidePrivateNetns, sh, unmountUnder } from './harness.ts';

/** Nothing of the containers `ids` is left: no veth, no iptables rule, no lease, no netns, no files. */
function assertNothingLeft(root: string, ids: string[], ips: string[], liveVeths = 0): void {
  const s = hostNetworkState();
  assert.equal(s.links.filter((l) => l.startsWith('veth')).length, liveVeths, `veths left: ${s.links.join(' ')}`);
  for (const ip of ips) {
    assert.ok(!s.iptables.includes(ip), `iptables still mention ${ip}:\n${s.iptables}`);
    assert.ok(!s.addresses.includes(ip), `address ${ip} still configured`);
  }
  for (const id of ids) {
    assert.ok(!s.iptables.includes(`id: "${id}"`), `iptables still mention container ${id}`);
    assert.ok(!existsSync(join(root, 'netns', id)), `netns of ${id} left`);
    assert.ok(!existsSync(join(root, 'containers', id)), `files of ${id} left`);
  }
  const leases = existsSync(join(root, 'ipam')) ? readdirSync(join(root, 'ipam'), { recursive: true }).map(String).filter((f) => /\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
  assert.equal(leases.length, liveVeths, `host-local leases left: ${leases.join(' ')}`);
}

if (insidePrivateNetns(import.meta.url)) {
  describe('NetworkManager', { timeout: 300_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-netmgr-'));
    const root = join(tmp, 'networks');
    const nets = new NetworkManager({ root });
    const servers: Server[] = [];
    after(async () => {
      nets.close();
      for (const s of servers) s.close();
      for (const id of readdirSync(join(root, 'containers'), { withFileTypes: true }).map((d) => d.name)) await nets.detach(id).catch(() => undefined);
      unmountUnder(tmp);
      rmSync(tmp, { recursive: true, force: true });
    });

    it('creates, lists, inspects and removes networks, with clear errors', async () => {
      const a = await nets.create('front', { subnet: '10.91.0.0/24', labels: { team: 'web' } });
      assert.deepEqual({ subnet: a.subnet, gateway: a.gateway, labels: a.labels }, { subnet: '10.91.0.0/24', gateway: '10.91.0.1', labels: { team: 'web' } });
      assert.match(a.bridge, /^br-[0-9a-f]{12}$/);
      const b = await nets.create('back');
      assert.equal(b.subnet, '10.213.0.0/16');
      assert.deepEqual((await nets.list()).map((n) => n.name), ['back', 'front']);
      await assert.rejects(nets.create('front'), AlreadyExistsError);
      await assert.rejects(nets.create('other', { subnet: '10.91.0.128/25' }), (e: Error) => e instanceof ConflictError && /overlaps network "front"/.test(e.message));
      await assert.rejects(nets.create('bad', { subnet: '10.91.0.1/24' }), (e: Error) => e instanceof InvalidArgumentError && /did you mean 10\.91\.0\.0\/24/.test(e.message));
      await assert.rejects(nets.create('bad', { subnet: 'fe80::/64' }), InvalidArgumentError);
      await assert.rejects(nets.create('host'), (e: Error) => e instanceof InvalidArgumentError && /reserved/.test(e.message));
      await assert.rejects(nets.create('no/slash'), InvalidArgumentError);
      await assert.rejects(nets.inspect('nope'), NotFoundError);
      await assert.rejects(nets.remove('nope'), NotFoundError);
      await assert.rejects(nets.remove('../conf/front'), NotFoundError);
      await assert.rejects(nets.inspect('../../etc'), NotFoundError);
      await assert.rejects(nets.attach('x2', { network: 'bridge', name: 'evil\n10.0.0.1 web' }), (e: Error) => e instanceof InvalidArgumentError && /cannot be a host name/.test(e.message));
      await assert.rejects(nets.attach('x1', { network: 'nope', name: 'x' }), (e: Error) => e instanceof NotFoundError && /network create nope/.test(e.message));

      const id = `m${process.pid}-member`;
      const att = await nets.attach(id, { network: 'front', name: 'member' });
      assert.equal(att.ipAddress, '10.91.0.2');
      // Attaching again is idempotent: the same namespace and address.
      assert.deepEqual(await nets.attach(id, { network: 'front', name: 'member' }), att);
      await assert.rejects(nets.remove('front'), (e: Error) => e instanceof FailedPreconditionError && /member/.test(e.message));
      await nets.detach(id);
      await nets.remove('front');
      await nets.remove('back');
      assert.deepEqual(await nets.list(), []);
      assert.ok(!hostNetworkState().links.includes(a.bridge), 'bridge of a removed network left');
    });

    it('repairs an attachment whose namespace is gone (unpinned while the host kept its rules) when attached again', async () => {
      const id = `m${process.pid}-reboot`;
      const first = await nets.attach(id, { network: 'bridge', name: 'reboot', ports: [{ containerPort: 80, hostPort: await freePort(), protocol: 'TCP' }] });
      sh('umount', [first.netnsPath!]); // the namespace dies with its last reference, and its veth with it
      assert.ok(!(await isMountPoint(first.netnsPath!)));
      const again = await nets.attach(id, { network: 'bridge', name: 'reboot' });
      assert.equal(again.netnsPath, first.netnsPath);
      assert.ok(await isMountPoint(again.netnsPath!));
      assert.match(sh('nsenter', [`--net=${again.netnsPath}`, 'ip', '-o', '-4', 'addr', 'show', 'eth0']), new RegExp(`inet ${again.ipAddress!.replace(/\./g, '\\.')}/`));
      const state = hostNetworkState();
      assert.equal(state.links.filter((l) => l.startsWith('veth')).length, 1);
      if (again.ipAddress !== first.ipAddress) assert.ok(!state.iptables.includes(`${first.ipAddress}/`), `rules of the old address left:\n${state.iptables}`);
      await nets.detach(id);
      assertNothingLeft(root, [id], [first.ipAddress!, again.ipAddress!]);
    });

    it('creates the default network on first use of mode bridge', async () => {
      const id = `m${process.pid}-dflt`;
      const att = await nets.attach(id, { network: 'bridge', name: 'dflt' });
      assert.deepEqual((await nets.list()).map((n) => [n.name, n.bridge]), [['berth', 'berth0']]);
      assert.equal((await nets.inspect('bridge')).containers[0]?.ipAddress, att.ipAddress);
      const resolv = readFileSync(att.resolvConfFile, 'utf8');
      assert.match(resolv, /^nameserver /m);
      assert.doesNotMatch(resolv, /nameserver 127\./);
      await nets.detach(id);
    });

    it('reads an attachment\'s interface counters through a process in it (/proc/<pid>/net/dev) as by entering it; another namespace\'s process is not believed', async () => {
      const id = `m${process.pid}-stats`;
      const att = await nets.attach(id, { network: 'bridge', name: 'counted' });
      const inside = spawn('nsenter', [`--net=${att.netnsPath}`, 'sleep', '60'], { stdio: 'ignore' });
      const outside = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        // Until nsenter has entered the namespace and become sleep.
        for (let i = 0; i < 100 && readFileSync(`/proc/${inside.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 20));
        const entered = await nets.stats(id);
        assert.deepEqual(entered.map((s) => s.interface), ['eth0']);
        const names = (l: Array<{ interface: string }>) => l.map((s) => s.interface);
        assert.deepEqual(names(netnsStatsOf(inside.pid!, att.netnsPath!) ?? []), names(entered), 'read through /proc, no process');
        assert.equal(netnsStatsOf(outside.pid!, att.netnsPath!), undefined);
        assert.deepEqual(names(await nets.stats(id, inside.pid)), names(entered));
        assert.ok((await nets.stats(id, inside.pid))[0]!.rxPackets >= entered[0]!.rxPackets, 'counters of the same interface');
        // The host's process is in another namespace: its /proc is not this container's; the stats are still the container's.
        assert.deepEqual(names(await nets.stats(id, outside.pid)), ['eth0']);
      } finally {
        inside.kill('SIGKILL');
        outside.kill('SIGKILL');
        await nets.detach(id);
      }
    });

    it('gives mode none its own namespace with loopback only', async () => {
      const id = `m${process.pid}-none`;
      const att = await nets.attach(id, { network: 'none', name: 'alone' });
      assert.ok(att.netnsPath && (await isMountPoint(att.netnsPath)));
      assert.equal(att.ipAddress, undefined);
      const links = sh('nsenter', [`--net=${att.netnsPath}`, 'ip', '-o', 'link', 'show']);
      assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
      assert.match(links, /lo:.*\bUP\b/);
      assert.match(readFileSync(att.hostsFile, 'utf8'), /^127\.0\.0\.1\tlocalhost$/m);
      await assert.rejects(nets.attach(`${id}2`, { network: 'none', name: 'p', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] }), InvalidArgumentError);
      await nets.detach(id);
      assert.ok(!existsSync(att.netnsPath));
    });

    it('gives mode host the host\'s files and no namespace', async () => {
      const id = `m${process.pid}-host`;
      const att = await nets.attach(id, { network: 'host', name: 'hosty', ports: [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }] });
      assert.equal(att.netnsPath, undefined);
      assert.deepEqual(att.ports, [], 'the host\'s ports are its own: nothing published');
      assert.deepEqual(await nets.attach(id, { network: 'host', name: 'hosty', ports: [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }] }), att);
      assert.equal(readFileSync(att.hostsFile, 'utf8'), readFileSync('/etc/hosts', 'utf8'));
      assert.equal(readFileSync(att.resolvConfFile, 'utf8'), readFileSync('/etc/resolv.conf', 'utf8'));
      await nets.detach(id);
      assert.ok(!existsSync(att.hostsFile));
    });

    it('attaches many containers at once: distinct addresses, every hosts file lists every peer', async () => {
      await nets.create('crowd', { subnet: '10.92.0.0/24' });
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const atts = await Promise.all(names.map((n) => nets.attach(`m${process.pid}-crowd-${n}`, { network: 'crowd', name: n })));
      assert.equal(new Set(atts.map((a) => a.ipAddress)).size, names.length);
      for (const [i, a] of atts.entries()) {
        const hosts = readFileSync(a.hostsFile, 'utf8');
        for (const [j, b] of atts.entries()) assert.match(hosts, new RegExp(`^${b.ipAddress!.replace(/\./g, '\\.')}\t${names[j]}$`, 'm'), `hosts of ${names[i]}`);
      }
      await Promise.all(names.map((n) => nets.detach(`m${process.pid}-crowd-${n}`)));
      await nets.remove('crowd');
      assertNothingLeft(root, names.map((n) => `m${process.pid}-crowd-${n}`), atts.map((a) => a.ipAddress!));
    });

    it('refuses a host port that is in use, leaving nothing behind', async () => {
      const port = await freePort();
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
      const id = `m${process.pid}-busy`;
      await assert.rejects(
        nets.attach(id, { network: 'bridge', name: 'busy', ports: [{ containerPort: 80, hostPort: port, protocol: 'TCP' }] }),
        (e: Error) => e instanceof ConflictError && e.message.includes(`container "busy": host port 0.0.0.0:${port}/tcp is already in use`),
      );
      assertNothingLeft(root, [id], []);
      // Two containers cannot publish the same port either.
      const free = await freePort();
      const first = `m${process.pid}-p1`;
      await nets.attach(first, { network: 'bridge', name: 'p1', ports: [{ containerPort: 80, hostPort: free, protocol: 'UDP' }] });
      await assert.rejects(
        nets.attach(`m${process.pid}-p2`, { network: 'bridge', name: 'p2', ports: [{ containerPort: 81, hostPort: free, protocol: 'UDP' }] }),
        (e: Error) => e instanceof ConflictError && /already published by container "p1"/.test(e.message),
      );
      // The same number over tcp is another port.
      await nets.attach(`m${process.pid}-p3`, { network: 'bridge', name: 'p3', ports: [{ containerPort: 80, hostPort: free, protocol: 'TCP' }] });
      await nets.detach(first);
      await nets.detach(`m${process.pid}-p3`);
    });

    it('undoes a failed ADD: a missing plugin is an UnavailableError that says where it looked, and leaves nothing', async () => {
      const cniPath = [join(tmp, 'no-plugins'), join(tmp, 'nor-here')];
      const missing = (e: Error) => e instanceof UnavailableError && e.message.includes(`is not installed: looked in ${cniPath.join(', ')}.`);
      // The bridge plugin itself missing.
      const broken = new NetworkManager({ root, cniPath, bridge: 'plugin' });
      const id = `m${process.pid}-broken`;
      await assert.rejects(broken.attach(id, { network: 'bridge', name: 'broken' }), missing);
      assertNothingLeft(root, [id], []);
      // The daemon's own bridge set up, then the portmap plugin missing: the veth and lease undone too.
      const halfway = new NetworkManager({ root, cniPath, portmap: 'plugin' });
      await assert.rejects(halfway.attach(id, { network: 'bridge', name: 'broken', ports: [{ containerPort: 80, hostPort: await freePort(), protocol: 'TCP' }] }), missing);
      assertNothingLeft(root, [id], []);
      halfway.close();
    });

    it('cleans up after a daemon killed -9: gc() runs DEL from the cached results', async () => {
      const live = `m${process.pid}-live`;
      await nets.attach(live, { network: 'bridge', name: 'live' });
      const port = await freePort();
      const ids = [`m${process.pid}-c1`, `m${process.pid}-c2`];
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('crash-child.ts', import.meta.url)), root, `${ids[0]}:c1:${port}`, `${ids[1]}:c2`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`crash child exited early (${code})`)));
      });
      const attached = JSON.parse(line) as Record<string, { ipAddress: string; netnsPath: string }>;
      const ips = Object.values(attached).map((a) => a.ipAddress);
      assert.ok(hostNetworkState().iptables.includes(ips[0]!), 'the child published a port');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // Also an orphan namespace with no record (a crash between unshare and the record).
      await prepareNetnsDir(join(root, 'netns'));
      await createNetns(join(root, 'netns', 'orphan'));

      const restarted = new NetworkManager({ root });
      const cleaned = await restarted.gc([live]);
      assert.deepEqual(cleaned.sort(), [...ids, 'orphan'].sort());
      assertNothingLeft(root, [...ids, 'orphan'], ips, 1);
      // The live one is untouched: still attached, its hosts file no longer lists the dead.
      const kept = await restarted.attachment(live);
      assert.ok(kept?.netnsPath && (await isMountPoint(kept.netnsPath)));
      assert.doesNotMatch(readFileSync(kept.hostsFile, 'utf8'), /\bc1\b|\bc2\b/);
      // The port the dead daemon held is free again for a new container.
      const again = `m${process.pid}-again`;
      await restarted.attach(again, { network: 'bridge', name: 'again', ports: [{ containerPort: 80, hostPort: port, protocol: 'TCP' }] });
      await restarted.detach(again);
      await restarted.detach(live);
      restarted.close();
      assertNothingLeft(root, [live, again], []);
    });
  });
}
