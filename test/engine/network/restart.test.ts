// The daemon killed with SIGKILL while it creates containers with published ports: the next
// daemon on the same root converges with exactly one attachment per container, every port
// answering, and once the containers are deleted no veth, rule, lease or namespace is left.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BERTH } from '../../fixtures/helpers.ts';
import { apply, containerManifest, until, world, type World } from '../../e2e/helpers.ts';
import { freePort, hostNetworkState, httpGet, insidePrivateNetns, unmountUnder } from './harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('daemon killed while attaching containers', { timeout: 300_000 }, () => {
    let w: World;
    let proc: ChildProcess | undefined;
    const startDaemon = () =>
      spawn(process.execPath, [BERTH, 'daemon', '--root', w.root, '--socket', w.socket, '--runtime', 'runc', '--cgroup-parent', w.cgroupParent], { stdio: ['ignore', 'ignore', 'inherit'] });
    const serving = () => until('the daemon serves', async () => (await w.client.json<{ ok: boolean }>('GET', '/v1/ping').catch(() => ({ ok: false }))).ok);
    before(async () => {
      w = await world();
    });
    after(async () => {
      if (proc && proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc!.once('exit', r));
      }
      await w?.teardown();
      if (w) unmountUnder(w.dir);
    });

    it('converges after a restart and leaves nothing once the containers are deleted', async () => {
      proc = startDaemon();
      await serving();
      await w.client.json('POST', '/v1/networks', { body: { name: 'apps', subnet: '10.79.0.0/24' } });
      const names = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
      const ports = new Map<string, number>();
      for (const n of names) ports.set(n, await freePort());
      const serve = (n: string) =>
        `  command: [sh, -c, "mkdir -p /www && echo ${n} > /www/index.html && exec httpd -f -p 80 -h /www"]\n  network: ${n < 'w3' ? 'apps' : 'bridge'}\n  ports: [{containerPort: 80, hostPort: ${ports.get(n)}}]\n  terminationGracePeriodSeconds: 1\n`;
      await apply(w, ...names.map((n) => containerManifest(n, w.image, serve(n))));
      await until('some containers attached', () => existsSync(join(w.root, 'networks', 'containers')) && readdirSync(join(w.root, 'networks', 'containers')).length >= 2, 60_000);
      proc.kill('SIGKILL');
      await new Promise((r) => proc!.once('exit', r));

      proc = startDaemon();
      await serving();
      for (const n of names) await until(`${n} answers on its published port`, async () => (await httpGet('127.0.0.1', ports.get(n)!)) === `${n}\n`, 120_000);
      const attached = readdirSync(join(w.root, 'networks', 'containers'));
      assert.equal(attached.length, names.length, `one attachment per container: ${attached.join(' ')}`);
      assert.deepEqual(readdirSync(join(w.root, 'networks', 'netns')).sort(), [...attached].sort());
      assert.equal(hostNetworkState().links.filter((l) => l.startsWith('veth')).length, names.length);

      for (const n of names) await w.client.send('DELETE', `/v1/containers/${n}`, { query: { force: true } }).then((r) => r.resume());
      await until('every attachment released', () => readdirSync(join(w.root, 'networks', 'containers')).length === 0);
      const s = hostNetworkState();
      assert.deepEqual(s.links.filter((l) => l.startsWith('veth')), []);
      assert.doesNotMatch(s.iptables, /-s 10\.(79|213)\.\d+\.\d+\/32/, 'per-container rules left');
      assert.doesNotMatch(s.iptables, /--dport/, 'port mappings left');
      assert.deepEqual(readdirSync(join(w.root, 'networks', 'netns')), []);
      const leases = readdirSync(join(w.root, 'networks', 'ipam'), { recursive: true }).map(String).filter((f) => /\d+\.\d+\.\d+\.\d+$/.test(f));
      assert.deepEqual(leases, []);
    });
  });
}
