// A container on more than one network, driven through Docker's own tools: Debian's docker CLI
// (`network connect --alias`, `network disconnect`, on a running and on a created container, and
// Docker's errors) and docker-compose 1.29 (a service on two networks: compose creates it on one
// and connects the other before starting it). Real containers (runc), inside a private network
// namespace; nothing of them is left on the host afterwards.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostNetworkState, insidePrivateNetns } from '../engine/network/harness.ts';
import { composeCli, dockerCli, type DockerResult } from './docker-clients.ts';
import { until, world, type World } from './helpers.ts';

/** httpd on 8080 serving /etc (its hostname file says who answered). */
const HTTPD = ['sh', '-c', 'exec httpd -f -p 8080 -h /etc'];

const composeFile = (image: string) => `version: "2.4"
services:
  api:
    image: ${image}
    command: ["sh", "-c", "exec httpd -f -p 8080 -h /etc"]
    hostname: api
    networks: [front, back]
  web:
    image: ${image}
    command: ["sh", "-c", "exec httpd -f -p 8080 -h /etc"]
    hostname: web
    networks: [back]
  client:
    image: ${image}
    command: ["sleep", "1000"]
    networks: [front]
networks:
  front: {}
  back: {}
`;

if (insidePrivateNetns(import.meta.url)) {
  describe('a container on several networks through docker and docker-compose', { timeout: 600_000 }, () => {
    let w: World;
    let docker: ReturnType<typeof dockerCli>;
    const must = (what: string) => (r: DockerResult) => {
      assert.equal(r.code, 0, `${what}: ${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const ok = async (args: string[]) => must(`docker ${args.join(' ')}`)(await docker(args));
    /** NAME=IP per network, as the docker CLI's template prints inspect's NetworkSettings.Networks. */
    const networksOf = async (c: string) => (await ok(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}', c])).trim().split(' ').filter(Boolean);
    const interfaces = async (c: string, exec = (a: string[]) => docker(['exec', ...a])) =>
      must(`exec ${c}`)(await exec([c, 'cat', '/proc/net/dev'])).split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter((l) => l && l !== 'lo').sort();
    const fetchVia = (exec: (args: string[]) => Promise<DockerResult>, from: string, host: string) =>
      until(`${from} reaches ${host}:8080`, async () => {
        const r = await exec([from, 'wget', '-q', '-O', '-', `http://${host}:8080/hostname`]);
        if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
        return r.stdout;
      });
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      docker = dockerCli(w);
    });
    after(async () => w?.teardown());

    it('docker network connect --alias / disconnect on a running container, live, with Docker\'s errors', async () => {
      await ok(['network', 'create', 'front']);
      await ok(['network', 'create', 'back']);
      await ok(['run', '-d', '--name', 'web', '--hostname', 'web', '--network', 'back', w.image, ...HTTPD]);
      await ok(['run', '-d', '--name', 'app', '--network', 'front', w.image, 'sleep', '1000']);
      const before = await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'app']);

      assert.equal(await ok(['network', 'connect', '--alias', 'api', 'back', 'app']), '');
      assert.equal(await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'app']), before, 'not recreated, not restarted');
      const nets = await networksOf('app');
      assert.deepEqual(nets.map((n) => n.split('=')[0]), ['back', 'front']);
      assert.ok(nets.every((n) => /=\d+\.\d+\.\d+\.\d+$/.test(n)), nets.join(' '));
      assert.deepEqual(await interfaces('app'), ['eth0', 'eth1']);
      assert.equal(await ok(['inspect', '-f', '{{json (index .NetworkSettings.Networks "back").Aliases}}', 'app']), `["api","app","${before.slice(0, 12)}"]\n`);
      assert.equal(await fetchVia((a) => docker(['exec', ...a]), 'app', 'web'), 'web\n');
      assert.match(await ok(['exec', 'web', 'cat', '/etc/hosts']), /^\d+\.\d+\.\d+\.\d+\tapp api$/m);
      assert.deepEqual((await ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'back'])).trim().split(' ').sort(), ['app', 'web']);

      const twice = await docker(['network', 'connect', 'back', 'app']);
      assert.equal(twice.code, 1);
      assert.equal(twice.stderr, 'Error response from daemon: endpoint with name app already exists in network back\n');
      const nope = await docker(['network', 'connect', 'nope', 'app']);
      assert.equal(nope.code, 1);
      assert.match(nope.stderr, /Error response from daemon: network nope not found/);
      const none = await docker(['network', 'connect', 'back', 'ghost']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /No such container: ghost/);

      assert.equal(await ok(['network', 'disconnect', 'back', 'app']), '');
      assert.deepEqual(await interfaces('app'), ['eth0']);
      assert.deepEqual((await networksOf('app')).map((n) => n.split('=')[0]), ['front']);
      assert.doesNotMatch(await ok(['exec', 'web', 'cat', '/etc/hosts']), /\bapp\b/);
      const notOn = await docker(['network', 'disconnect', 'back', 'app']);
      assert.equal(notOn.code, 1);
      assert.match(notOn.stderr, /Error response from daemon: container [0-9a-f]{64} is not connected to network back/);
      assert.equal(await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'app']), before);
    });

    it('connects a created container before its start, and both networks come up with it', async () => {
      await ok(['create', '--name', 'later', '--network', 'front', w.image, 'sleep', '1000']);
      assert.equal(await ok(['network', 'connect', 'back', 'later']), '');
      await ok(['start', 'later']);
      assert.deepEqual(await interfaces('later'), ['eth0', 'eth1']);
      assert.equal(await fetchVia((a) => docker(['exec', ...a]), 'later', 'web'), 'web\n');
      await ok(['rm', '-f', 'later', 'app', 'web']);
      await ok(['network', 'rm', 'front', 'back']);
    });

    it('docker-compose: a service on two networks reaches a member of each; down leaves nothing', async () => {
      const file = join(w.dir, 'docker-compose.yml');
      await writeFile(file, composeFile(w.image));
      const compose = composeCli(w, 'multi', file);
      const c = async (args: string[]) => must(`docker-compose ${args.join(' ')}`)(await compose(args));
      await c(['up', '-d']);
      const exec = (a: string[]) => compose(['exec', '-T', ...a]);
      // api is on both: it reaches web on back; client (front only) reaches api on front.
      assert.equal(await fetchVia(exec, 'api', 'web'), 'web\n');
      assert.equal(await fetchVia(exec, 'client', 'api'), 'api\n');
      assert.deepEqual((await networksOf('multi_api_1')).map((n) => n.split('=')[0]), ['multi_back', 'multi_front']);
      assert.deepEqual(await interfaces('api', exec), ['eth0', 'eth1']);
      // client is not on back: web is not among its names.
      assert.doesNotMatch((await exec(['client', 'cat', '/etc/hosts'])).stdout, /\bweb\b/);
      // A second up finds every service as it should be.
      const again = await compose(['up', '-d']);
      assert.deepEqual([...again.stderr.matchAll(/^(\S+) is up-to-date$/gm)].map((m) => m[1]).sort(), ['multi_api_1', 'multi_client_1', 'multi_web_1']);

      await c(['down']);
      assert.equal(await ok(['ps', '-aq']), '');
      assert.doesNotMatch(await ok(['network', 'ls', '--format', '{{.Name}}']), /multi_/);
      const state = hostNetworkState();
      assert.deepEqual(state.links.filter((l) => l.startsWith('veth') || l.startsWith('br-')), []);
      const ipam = join(w.root, 'networks', 'ipam');
      const leases = existsSync(ipam) ? readdirSync(ipam, { recursive: true }).map(String).filter((f) => /\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
      assert.deepEqual(leases, []);
    });
  });
}
