// `berth network connect|disconnect` through the compiled CLI on real containers (runc), inside a
// private network namespace: a running container gets a second network live — an interface, an
// address, its names there — without being recreated (same id, same process), keeps it over a
// daemon restart and a stop/start, loses it on disconnect; Docker's errors; a manifest naming two
// networks; and nothing left on the host once the containers are gone.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostNetworkState, insidePrivateNetns } from '../engine/network/harness.ts';
import { apply, containerManifest, suiteWorld, until } from './helpers.ts';

const HTTPD = (name: string) => ['sh', '-c', `mkdir -p /tmp/www && echo "hello from ${name}" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`];

if (insidePrivateNetns(import.meta.url)) {
  describe('network connect and disconnect', { timeout: 300_000 }, () => {
    const s = suiteWorld();
    const ok = s.ok;
    const networks = async (c: string) => JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', c])) as Record<string, { IPAddress: string; Aliases: string[] | null }>;
    /** The container's interfaces but lo, as the kernel lists them inside it. */
    const links = async (c: string) => (await ok(['exec', c, 'cat', '/proc/net/dev'])).split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter((l) => l && l !== 'lo').sort();
    const wget = (from: string, host: string) =>
      until(`wget http://${host}:8080/ from ${from}`, async () => {
        const r = await s.cli(['exec', from, 'wget', '-q', '-O', '-', `http://${host}:8080/`]);
        if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
        return r.stdout;
      });

    it('connects a running container to a second network live, without recreating it', async () => {
      await ok(['network', 'create', 'front', '--subnet', '10.88.1.0/24']);
      await ok(['network', 'create', 'back', '--subnet', '10.88.2.0/24']);
      await ok(['run', '-d', '--name', 'a', '--network', 'front', s.w.image, ...HTTPD('a')]);
      await ok(['run', '-d', '--name', 'b', '--network', 'back', s.w.image, ...HTTPD('b')]);
      await ok(['run', '-d', '--name', 'c', '--network', 'front', s.w.image, 'sleep', '1000']);
      const before = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'c'])).trim();
      assert.equal(await wget('c', 'a'), 'hello from a\n');

      assert.equal(await ok(['network', 'connect', '--alias', 'api', 'back', 'c']), '');
      assert.equal((await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'c'])).trim(), before, 'the same container, the same process');
      assert.deepEqual(await links('c'), ['eth0', 'eth1']);
      const nets = await networks('c');
      assert.deepEqual(Object.keys(nets), ['back', 'front'], 'as Go prints a map: sorted');
      assert.match(nets.front!.IPAddress, /^10\.88\.1\.\d+$/);
      assert.match(nets.back!.IPAddress, /^10\.88\.2\.\d+$/);
      assert.deepEqual(nets.back!.Aliases, ['api', 'c', before.slice(0, 12)]);
      assert.equal(await wget('c', 'b'), 'hello from b\n');
      assert.equal(await wget('c', 'a'), 'hello from a\n');
      // b finds it on back by its name and its alias.
      assert.match(await ok(['exec', 'b', 'cat', '/etc/hosts']), new RegExp(`^${nets.back!.IPAddress.replace(/\./g, '\\.')}\\tc api$`, 'm'));
      const back = JSON.parse(await ok(['network', 'inspect', 'back'])) as Array<{ containers: Array<{ name: string; ipAddress: string }> }>;
      assert.deepEqual(back[0]!.containers.map((m) => [m.name, m.ipAddress]).sort(), [['b', (await networks('b')).back!.IPAddress], ['c', nets.back!.IPAddress]]);
      // The object keeps the list, so the reconcile loop keeps it too.
      const spec = (await s.w.get('c')).spec as { networks?: unknown };
      assert.deepEqual(spec.networks, [{ name: 'front' }, { name: 'back', aliases: ['api'] }]);
    });

    it('says what Docker says', async () => {
      const again = await s.cli(['network', 'connect', 'back', 'c']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /endpoint with name c already exists in network back/);
      const notOn = await s.cli(['network', 'disconnect', 'back', 'a']);
      assert.equal(notOn.code, 1);
      assert.match(notOn.stderr, /container [0-9a-f]{64} is not connected to network back/);
      const noNet = await s.cli(['network', 'connect', 'nope', 'c']);
      assert.equal(noNet.code, 1);
      assert.match(noNet.stderr, /network nope not found/);
      const noCtr = await s.cli(['network', 'connect', 'back', 'nothere']);
      assert.equal(noCtr.code, 1);
      assert.match(noCtr.stderr, /No such container: nothere/);
      await ok(['run', '-d', '--name', 'h', '--network', 'host', s.w.image, 'sleep', '1000']);
      const host = await s.cli(['network', 'connect', 'back', 'h']);
      assert.equal(host.code, 1);
      assert.match(host.stderr, /cannot be connected to any other network/);
      await ok(['rm', '-f', 'h']);
    });

    it('keeps both networks over a daemon restart and a stop/start', async () => {
      const id = (await ok(['inspect', '-f', '{{.Id}}', 'c'])).trim();
      await s.w.daemon!.stop();
      await s.w.start();
      assert.equal(await wget('c', 'b'), 'hello from b\n');
      assert.equal(await ok(['stop', '-t', '0', 'c']), 'c\n');
      assert.equal(await ok(['start', 'c']), 'c\n');
      assert.equal((await ok(['inspect', '-f', '{{.Id}}', 'c'])).trim(), id);
      assert.deepEqual(await links('c'), ['eth0', 'eth1']);
      assert.equal(await wget('c', 'b'), 'hello from b\n');
      assert.equal(await wget('c', 'a'), 'hello from a\n');
    });

    it('disconnects live: the interface and the names go, the container stays', async () => {
      const before = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'c'])).trim();
      assert.equal(await ok(['network', 'disconnect', 'back', 'c']), '');
      assert.deepEqual(await links('c'), ['eth0']);
      assert.deepEqual(Object.keys(await networks('c')), ['front']);
      assert.doesNotMatch(await ok(['exec', 'b', 'cat', '/etc/hosts']), /\bc\b/);
      assert.equal((await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'c'])).trim(), before);
    });

    it('takes a container off its first network: the next one is its way out from its next start', async () => {
      await ok(['run', '-d', '--name', 'd', '--network', 'front', s.w.image, 'sleep', '1000']);
      await ok(['network', 'connect', 'back', 'd']);
      const id = (await ok(['inspect', '-f', '{{.Id}}', 'd'])).trim();
      assert.equal(await ok(['network', 'disconnect', 'front', 'd']), '');
      assert.deepEqual(await links('d'), ['eth1']);
      assert.equal(await wget('d', 'b'), 'hello from b\n');
      assert.doesNotMatch(await ok(['exec', 'a', 'cat', '/etc/hosts']), /\bd\b/);
      await ok(['restart', '-t', '0', 'd']);
      assert.equal((await ok(['inspect', '-f', '{{.Id}}', 'd'])).trim(), id);
      assert.deepEqual(await links('d'), ['eth0']);
      assert.match(await ok(['exec', 'd', 'ip', 'route']), /^default via 10\.88\.2\.1 dev eth0/m);
      assert.deepEqual(Object.keys(await networks('d')), ['back']);
      assert.equal(await wget('d', 'b'), 'hello from b\n');
      // Off its last network too: loopback only; connected again, it is back on one.
      await ok(['network', 'disconnect', 'back', 'd']);
      assert.deepEqual(await links('d'), []);
      await ok(['network', 'connect', 'front', 'd']);
      assert.equal(await wget('d', 'a'), 'hello from a\n');
      await ok(['rm', '-f', 'd']);
    });

    it('runs a manifest naming two networks, each with its aliases', async () => {
      await apply(s.w, containerManifest('m', s.w.image, '  command: [sleep, "1000"]\n  networks:\n  - name: front\n  - name: back\n    aliases: [db]\n'));
      await until('m running', async () => (await s.cli(['inspect', '-f', '{{.State.Status}}', 'm'])).stdout.trim() === 'running');
      assert.deepEqual(await links('m'), ['eth0', 'eth1']);
      const nets = await networks('m');
      assert.deepEqual(Object.keys(nets), ['back', 'front'], 'as Go prints a map: sorted');
      assert.match(await ok(['exec', 'b', 'cat', '/etc/hosts']), new RegExp(`^${nets.back!.IPAddress.replace(/\./g, '\\.')}\\tm db$`, 'm'));
      assert.equal(await wget('m', 'b'), 'hello from b\n');
      await assert.rejects(apply(s.w, containerManifest('bad', s.w.image, '  network: front\n  networks: [{name: back}]\n')), /networks.*either as networks \(a list, each with its aliases\) or as network with networkAliases, not both/);
      await assert.rejects(apply(s.w, containerManifest('bad', s.w.image, '  networks: [{name: host}, {name: back}]\n')), /network "host" is a mode of its own/);
    });

    it('leaves no veth, lease or rule once the containers are removed', async () => {
      await ok(['rm', '-f', 'a', 'b', 'c', 'm']);
      await ok(['network', 'rm', 'front', 'back']);
      const state = hostNetworkState();
      assert.deepEqual(state.links.filter((l) => l.startsWith('veth')), []);
      assert.doesNotMatch(state.iptables, /10\.88\.[12]\./);
      const ipam = join(s.w.root, 'networks', 'ipam');
      const leases = existsSync(ipam) ? readdirSync(ipam, { recursive: true }).map(String).filter((f) => /\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
      assert.deepEqual(leases, []);
    });
  });
}
