// Networking end to end, inside a private network namespace: the real daemon (runc runtime, image
// from a real registry on the namespace's loopback) runs Containers declaring `network:` and
// `ports:`; they reach each other by name, the published port answers on 127.0.0.1, stats count
// the traffic, and deleting them leaves nothing of their networking behind.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../../fixtures/helpers.ts';
import { apply, containerManifest, phase, until, world, type World } from '../../e2e/helpers.ts';
import { freePort, hostNetworkState, httpGet, insidePrivateNetns, unmountUnder } from './harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('networking through the daemon', { timeout: 300_000 }, () => {
    let w: World;
    before(async () => {
      w = await world();
      await w.start();
    });
    after(async () => {
      await w?.teardown();
      if (w) unmountUnder(w.dir);
    });

    const running = (name: string) => until(`${name} Running`, async () => {
      const o = await w.get(name);
      return phase(o) === 'Running' && o;
    });

    it('runs containers on a named network with a published port, and removes them cleanly', async () => {
      await w.client.json('POST', '/v1/networks', { body: { name: 'apps', subnet: '10.78.0.0/24' } });
      const port = await freePort();
      await apply(
        w,
        containerManifest('web', w.image, `  command: [sh, -c, "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www"]\n  network: apps\n  ports: [{containerPort: 80, hostPort: ${port}}]\n  terminationGracePeriodSeconds: 1\n`),
        containerManifest('client', w.image, `  command: [sleep, "600"]\n  network: apps\n  terminationGracePeriodSeconds: 1\n`),
      );
      await running('web');
      await running('client');
      assert.equal(await until('the published port answers on 127.0.0.1', () => httpGet('127.0.0.1', port)), 'hello from web\n');
      const body = await until('client reaches web by name', async () => {
        const ex = await w.client.json<{ exitCode: number; stdout: string }>('POST', '/v1/containers/client/exec', { body: { args: ['wget', '-q', '-O', '-', 'http://web/'] } });
        return ex.exitCode === 0 && Buffer.from(ex.stdout, 'base64').toString();
      });
      assert.equal(body, 'hello from web\n');
      const stats = await w.client.json<{ network?: { rxBytes: number; txBytes: number } }>('GET', '/v1/containers/client/stats');
      assert.ok(stats.network && stats.network.rxBytes > 0 && stats.network.txBytes > 0, JSON.stringify(stats));
      const net = await w.client.json<{ containers: Array<{ name: string; ipAddress: string; ports: string[] }> }>('GET', '/v1/networks/apps');
      assert.deepEqual(net.containers.map((c) => [c.name, c.ports]).sort(), [['client', []], ['web', [`0.0.0.0:${port}->80/tcp`]]]);
      const ips = net.containers.map((c) => c.ipAddress);
      assert.deepEqual(await berth(['port', 'web'], { socket: w.socket }), { code: 0, stdout: `80/tcp -> 0.0.0.0:${port}\n`, stderr: '' });
      assert.equal((await berth(['port', 'web', '80'], { socket: w.socket })).stdout, `0.0.0.0:${port}\n`);
      assert.match((await berth(['port', 'web', '81/udp'], { socket: w.socket })).stderr, /^error: container "web" publishes no port 81\/udp/);

      for (const name of ['web', 'client']) await w.client.send('DELETE', `/v1/containers/${name}`, { query: { force: true } }).then((r) => r.resume());
      await until('the attachments are released', () => readdirSync(join(w.root, 'networks', 'containers')).length === 0);
      const s = hostNetworkState();
      assert.deepEqual(s.links.filter((l) => l.startsWith('veth')), []);
      for (const ip of ips) assert.ok(!s.iptables.includes(ip), `iptables still mention ${ip}`);
      assert.deepEqual(readdirSync(join(w.root, 'networks', 'netns')), []);
      await w.client.send('DELETE', '/v1/networks/apps').then((r) => r.resume());
      assert.ok(!existsSync(join(w.root, 'networks', 'conf', 'apps.conflist')));
    });
  });
}
