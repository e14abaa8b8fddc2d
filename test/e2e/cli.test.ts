// The Docker-style verbs through the compiled CLI against a daemon running real containers (runc),
// inside a private network namespace (a container without --network joins the default bridge).
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { berth } from '../fixtures/helpers.ts';
import { until, world, type World } from './helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('container verbs on real containers', () => {
    let w: World;
    const cli = (args: string[]) => berth(args, { socket: w.socket });
    before(async () => {
      w = await world();
      await w.start();
    });
    after(async () => w?.teardown());

    it('run --rm streams the output and exits with the container\'s code', async () => {
      const r = await cli(['run', '--rm', w.image, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
      assert.equal(r.code, 7, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.match(r.stderr, /err/);
      const ps = await cli(['ps', '-a', '-q']);
      assert.equal(ps.stdout.trim(), '', '--rm removed it');
    });

    it('isolates a container started with no options: namespaces of its own, no interface of the host; host only when asked', async () => {
      const kinds = ['net', 'pid', 'ipc', 'mnt', 'uts'];
      const script = `for n in ${kinds.join(' ')}; do readlink /proc/self/ns/$n; done; tail -n +3 /proc/net/dev | cut -d: -f1`;
      const r = await cli(['run', '--rm', w.image, 'sh', '-c', script]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => l.trim());
      kinds.forEach((k, i) => assert.notEqual(lines[i], readlinkSync(`/proc/self/ns/${k}`), `the container's ${k} namespace is not the host's`));
      assert.deepEqual(lines.slice(kinds.length).sort(), ['eth0', 'lo'], 'only its own loopback and its veth end');
      const host = await cli(['run', '--rm', '--network', 'host', w.image, 'readlink', '/proc/self/ns/net']);
      assert.equal(host.code, 0, host.stderr);
      assert.equal(host.stdout.trim(), readlinkSync('/proc/self/ns/net'), '--network host shares the host network namespace');
    });

    it('run -d, ps, logs, exec, stats, top, pause/unpause, stop/start, kill, rm', async () => {
      const d = await cli(['run', '-d', '--name', 'svc', '-e', 'WHO=berth', '-m', '32Mi', w.image, 'sh', '-c', "trap 'exit 0' TERM; echo hello $WHO; while true; do sleep 0.2; done"]);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout.trim(), /^[0-9a-f]{64}$/);
      const ps = await cli(['ps']);
      assert.match(ps.stdout, /Up .*svc\n/);
      await until('logs', async () => (await cli(['logs', 'svc'])).stdout.includes('hello berth'));
      const ex = await cli(['exec', 'svc', 'sh', '-c', 'echo $((6*7)); exit 3']);
      assert.equal(ex.code, 3);
      assert.equal(ex.stdout, '42\n');
      const st = await cli(['stats', '--no-stream']);
      assert.match(st.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n[0-9a-f]{12}\s+svc\s+\d+\.\d\d%\s+[\d.]+\w?i?B \/ 32MiB\s+[\d.]+%/);
      assert.match((await cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'svc'])).stdout, /^svc \d+\n$/);
      const top = await cli(['top', 'svc']);
      assert.match(top.stdout, /while true/);
      assert.equal((await cli(['pause', 'svc'])).code, 0);
      assert.match((await cli(['ps'])).stdout, /Paused/);
      assert.equal((await cli(['unpause', 'svc'])).code, 0);
      const stop = await cli(['stop', 'svc']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match((await cli(['ps', '-a'])).stdout, /Exited \(0\) .*svc\n/);
      assert.equal((await cli(['start', 'svc'])).code, 0);
      assert.match((await cli(['ps'])).stdout, /Up .*svc\n/);
      const insp = JSON.parse((await cli(['inspect', 'svc'])).stdout);
      assert.deepEqual([insp[0].Name, insp[0].State.Status, insp[0].Config.Env.includes('WHO=berth')], ['/svc', 'running', true]);
      assert.equal((await cli(['inspect', '-f', '{{.State.Pid}}', 'svc'])).stdout, `${insp[0].State.Pid}\n`);
      assert.ok(insp[0].State.Pid > 0);
      assert.equal((await cli(['kill', 'svc'])).code, 0);
      const rm = await cli(['rm', '-f', 'svc']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.doesNotMatch((await cli(['ps', '-a'])).stdout, /svc/);
    });

    it('names what went wrong: an image that does not exist, a command that is not there', async () => {
      const missing = await cli(['run', '--rm', `${w.registry.host}/nope/nothing:1`, 'true']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /not found|nothing/);
      const nocmd = await cli(['run', '--rm', w.image, '/bin/does-not-exist']);
      assert.notEqual(nocmd.code, 0);
      assert.match(nocmd.stderr, /does-not-exist/);
    });
  });
}
