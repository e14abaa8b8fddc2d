// Real containers (runc) on CNI networks, inside a private network namespace: names, published
// ports over tcp and udp from 127.0.0.1 and the bridge address, and nothing left after removal.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetworkManager } from '../../../engine/network/network-manager.ts';
import { containers, eventually, freePort, hostNetworkState, httpd, httpGet, insidePrivateNetns, removeAll } from './harness.ts';

/** For eventually(): the body, or an error while nothing answers. */
async function answer(host: string, port: number): Promise<string> {
  const body = await httpGet(host, port);
  if (body === undefined) throw new Error(`no answer from ${host}:${port}`);
  return body;
}

function udpAsk(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 500);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString());
    });
    s.on('error', (e) => {
      clearTimeout(t);
      s.close();
      reject(e);
    });
    s.send(text, port, host);
  });
}

if (insidePrivateNetns(import.meta.url)) {
  describe('containers on CNI networks', { timeout: 300_000 }, () => {
    const c = containers();
    const nets = new NetworkManager({ root: join(c.root, 'networks') });
    const ids: string[] = [];
    const id = (n: string) => {
      const v = `n${process.pid}-${n}`;
      ids.push(v);
      return v;
    };
    before(async () => {
      await nets.create('apps', { subnet: '10.77.0.0/24' });
    });
    after(() => removeAll(c, nets, ids));

    it('lets two containers on a network reach each other by name, and keeps /etc/hosts current', async () => {
      const web = id('web');
      const webNet = await nets.attach(web, { network: 'apps', name: 'web' });
      assert.match(webNet.ipAddress!, /^10\.77\.0\.\d+$/);
      assert.equal(webNet.gateway, '10.77.0.1');
      await c.run(web, webNet, httpd('web'), 'web');
      const client = id('client');
      const clientNet = await nets.attach(client, { network: 'apps', name: 'client' });
      await c.run(client, clientNet, ['sleep', '600'], 'client');
      const body = await eventually(async () => {
        const r = await c.rt.exec(client, { args: ['wget', '-q', '-O', '-', 'http://web/'], timeoutMs: 10_000 });
        if (r.exitCode !== 0) throw new Error(`wget: ${r.stderr.toString()}`);
        return r.stdout.toString();
      }, 'wget http://web/ from client');
      assert.equal(body, 'hello from web\n');

      // A third container joins: the client's (bind-mounted) /etc/hosts shows it without a restart.
      const late = id('late');
      const lateNet = await nets.attach(late, { network: 'apps', name: 'late' });
      const hosts = (await c.rt.exec(client, { args: ['cat', '/etc/hosts'] })).stdout.toString();
      assert.match(hosts, new RegExp(`^${lateNet.ipAddress!.replace(/\./g, '\\.')}\\s+late$`, 'm'));
      assert.match(hosts, new RegExp(`^${clientNet.ipAddress!.replace(/\./g, '\\.')}\\s+client$`, 'm'));
      const ping = await c.rt.exec(client, { args: ['ping', '-c', '1', '-W', '2', 'web'] });
      assert.equal(ping.exitCode, 0, ping.stdout.toString() + ping.stderr.toString());
      // ...and it disappears again when it leaves.
      await nets.detach(late);
      const after = (await c.rt.exec(client, { args: ['cat', '/etc/hosts'] })).stdout.toString();
      assert.doesNotMatch(after, /\blate\b/);

      const inspected = await nets.inspect('apps');
      assert.deepEqual(inspected.containers.map((m) => m.name).sort(), ['client', 'web']);
      const stats = await nets.stats(client);
      assert.equal(stats.length, 1);
      assert.equal(stats[0]!.interface, 'eth0');
      assert.ok(stats[0]!.rxBytes > 0 && stats[0]!.txBytes > 0, JSON.stringify(stats));
      await nets.check(client);
    });

    it('publishes tcp and udp ports on 127.0.0.1 and on the bridge address', async () => {
      const tcpPort = await freePort();
      const udpPort = await freePort();
      const pub = id('pub');
      const net = await nets.attach(pub, {
        network: 'bridge',
        name: 'pub',
        ports: [
          { containerPort: 80, hostPort: tcpPort, protocol: 'TCP' },
          { containerPort: 5353, hostPort: udpPort, protocol: 'UDP' },
        ],
      });
      await c.run(pub, net, ['sh', '-c', `udp-echo 5353 & ${httpd('pub')[2]}`], 'pub');
      assert.equal(await eventually(() => answer('127.0.0.1', tcpPort), 'GET 127.0.0.1'), 'hello from pub\n');
      assert.equal(await eventually(() => answer(net.gateway!, tcpPort), 'GET bridge address'), 'hello from pub\n');
      assert.equal(await eventually(() => udpAsk('127.0.0.1', udpPort, 'ping'), 'udp 127.0.0.1'), 'echo:ping');
      assert.equal(await eventually(() => udpAsk(net.gateway!, udpPort, 'pong'), 'udp bridge address'), 'echo:pong');
      // Another container reaches it through the host's published port too (hairpin through the bridge).
      const peer = id('peer');
      const peerNet = await nets.attach(peer, { network: 'bridge', name: 'peer' });
      await c.run(peer, peerNet, ['sleep', '600'], 'peer');
      const viaHost = await eventually(async () => {
        const r = await c.rt.exec(peer, { args: ['wget', '-q', '-O', '-', `http://${net.gateway}:${tcpPort}/`], timeoutMs: 10_000 });
        if (r.exitCode !== 0) throw new Error(`wget: ${r.stderr.toString()}`);
        return r.stdout.toString();
      }, 'wget through the published port from another container');
      assert.equal(viaHost, 'hello from pub\n');
      // The port is held by berth: a program that tries to take it fails instead of being shadowed.
      await assert.rejects(freeListen(tcpPort), /EADDRINUSE/);
      assert.deepEqual((await nets.attachment(pub))?.ports.map((p) => p.hostPort), [tcpPort, udpPort]);
      // What portmap's route_localnet opens is closed again: new connections to 127/8 from the bridge drop.
      assert.match(hostNetworkState().iptables, /-A INPUT -d 127\.0\.0\.0\/8 -i berth0 .*berth: no new connections to 127\.0\.0\.0\/8 from berth0.* -j DROP/);
      // The network's way out, once per network: masquerade for its subnet, FORWARD for its bridge.
      const rules = hostNetworkState().iptables;
      assert.match(rules, /-A POSTROUTING -s 10\.\d+\.0\.0\/16 ! -o berth0 .*berth: masquerade of network berth.* -j MASQUERADE/);
      assert.match(rules, /-A FORWARD -i berth0 .*berth: traffic from the containers of network berth.* -j ACCEPT/);
      assert.match(rules, /-A FORWARD -o berth0 .*RELATED,ESTABLISHED,DNAT .*berth: replies and published ports of network berth.* -j ACCEPT/);
      assert.doesNotMatch(rules, /^:CNI-(FORWARD|[0-9a-f]{16,})/m, 'no masquerade chain per container (ipMasq), no firewall plugin chain');
    });

    it('leaves no veth, address or iptables rule after the containers are removed', async () => {
      const before = ids.length;
      const addrs: string[] = [];
      for (const i of ids.slice(0, before)) {
        const a = await nets.attachment(i);
        if (a?.ipAddress) addrs.push(a.ipAddress);
        await c.remove(i).catch(() => undefined);
        await nets.detach(i);
        await nets.detach(i); // DEL is idempotent
      }
      const s = hostNetworkState();
      assert.deepEqual(s.links.filter((l) => l.startsWith('veth')), []);
      for (const a of addrs) assert.ok(!s.iptables.includes(a), `iptables still mention ${a}:\n${s.iptables}`);
      assert.doesNotMatch(s.iptables, /id: "n\d+-/);
      assert.doesNotMatch(s.iptables, /^:CNI-(DN-)?[0-9a-f]{16,}/m);
      assert.deepEqual(await nets.gc([]), []);
      // The networks' bridges are the only devices left; removing the networks removes them.
      await nets.remove('apps');
      await nets.remove('berth');
      const left = hostNetworkState();
      assert.deepEqual(left.links.filter((l) => l !== 'lo'), []);
      assert.doesNotMatch(left.iptables, /berth:/);
    });
  });
}

function freeListen(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve()));
  });
}
