// A newcomer's first hour from a Docker tutorial, in order, with `berth` in place of `docker`
// (`run -it` and `exec -it` are the terminals' tests). Each output is checked against what a real
// Docker (Debian's dockerd, private: bench/dockerd.ts) prints for the same command — the headers,
// columns and line shapes, not ids or times. Inside a private network namespace: `run -p` makes
// bridges and DNAT rules there, and dockerd runs with no bridge and no iptables rules at all.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startDockerd, type Dockerd } from '../../bench/dockerd.ts';
import { berth } from '../fixtures/helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { world, type World } from './helpers.ts';

const exec = promisify(execFile);
const BIN = new URL('../../bin/berth', import.meta.url).pathname;
/** A table's header, as its column names. */
const columns = (out: string) => out.split('\n')[0]!.trim().split(/\s{2,}/);
const lastLine = (out: string) => out.trimEnd().split('\n').pop()!;
const HEX64 = /^[0-9a-f]{64}\n$/;

const hasDocker = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].some((p) => existsSync(p));

if (insidePrivateNetns(import.meta.url)) {
  describe('a Docker tutorial, with berth', { timeout: 600_000, skip: !hasDocker && 'dockerd is not installed (Debian package docker.io)' }, () => {
    let w: World;
    let d: Dockerd;
    const ok = async (args: string[]) => {
      const r = await berth(args, { socket: w.socket });
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const docker = (args: string[]) => d.docker(args);
    /** Both, the same arguments: [berth's output, Docker's]. */
    const both = async (args: string[], dockerArgs = args) => [await ok(args), await docker(dockerArgs)] as const;
    const sh = async (script: string) =>
      (await exec('sh', ['-c', script], { env: { ...process.env, B: `${process.execPath} ${BIN}`, BERTH_SOCKET: w.socket, D: `docker -H unix://${d.socket}` }, cwd: w.dir, encoding: 'utf8' })).stdout;

    before(async () => {
      w = await world();
      await w.start();
      d = await startDockerd();
      await docker(['pull', '-q', w.image]);
    });
    after(async () => {
      await d?.stop();
      await w?.teardown();
    });

    it('run -d, run, ps -a, logs, stop, start', async () => {
      const [bid, did] = await both(['run', '-d', '--name', 'web', w.image, 'sleep', '1000']);
      assert.match(bid, HEX64);
      assert.match(did, HEX64);
      assert.deepEqual(await both(['run', '--name', 'hello', w.image, 'echo', 'hello']), ['hello\n', 'hello\n']);
      const [ps, dps] = await both(['ps', '-a']);
      assert.deepEqual(columns(ps), columns(dps));
      assert.deepEqual(columns(ps), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
      assert.match(ps, /"echo hello"\s+.*Exited \(0\) .* ago\s+hello\n/);
      assert.match(dps, /"echo hello"\s+.*Exited \(0\) .* ago\s+hello\n/);
      assert.deepEqual(await both(['logs', 'hello']), ['hello\n', 'hello\n']);
      assert.deepEqual(await both(['stop', '-t', '1', 'web']), ['web\n', 'web\n']);
      assert.deepEqual(await both(['start', 'web']), ['web\n', 'web\n']);
      assert.deepEqual(await both(['restart', '-t', '1', 'web']), ['web\n', 'web\n']);
    });

    it('run -d -p and port', async () => {
      await ok(['run', '-d', '--name', 'site', '-p', '8080', w.image, 'httpd', '-f', '-p', '8080', '-h', '/etc']);
      assert.match(await ok(['port', 'site']), /^8080\/tcp -> 0\.0\.0\.0:\d+\n$/);
      assert.match(await ok(['ps']), /0\.0\.0\.0:\d+->8080\/tcp\s+site\n/);
    });

    it('inspect -f, cp, stats --no-stream, top', async () => {
      const f = '{{.State.Running}} {{.Config.Cmd}} {{json .Config.Entrypoint}} {{.HostConfig.RestartPolicy.Name}}';
      const [bi, di] = await both(['inspect', '-f', f, 'web']);
      assert.equal(bi, di);
      assert.equal(bi, 'true [sleep 1000] null no\n');
      assert.deepEqual(await both(['cp', 'web:/etc/passwd', join(w.dir, 'b-passwd')], ['cp', 'web:/etc/passwd', join(w.dir, 'd-passwd')]), ['', '']);
      assert.equal(await readFile(join(w.dir, 'b-passwd'), 'utf8'), await readFile(join(w.dir, 'd-passwd'), 'utf8'));
      const [st, dst] = await both(['stats', '--no-stream', 'web']);
      assert.deepEqual(columns(st), columns(dst));
      assert.match(st.split('\n')[1]!, /^[0-9a-f]{12}\s+web\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMGT]?i?B\s+\d+\.\d\d%/);
      const [top, dtop] = await both(['top', 'web']);
      assert.deepEqual(columns(top), columns(dtop));
    });

    it('images, tag, push, pull, history', async () => {
      const [im, dim] = await both(['images']);
      assert.deepEqual(columns(im), columns(dim));
      assert.deepEqual(columns(im), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
      const mine = `${w.registry.host}/tutorial/berth:v2`;
      const theirs = `${w.registry.host}/tutorial/docker:v2`;
      assert.deepEqual(await both(['tag', w.image, mine], ['tag', w.image, theirs]), ['', '']);
      const [push, dpush] = await both(['push', mine], ['push', theirs]);
      assert.match(lastLine(push), /^v2: digest: sha256:[0-9a-f]{64} size: \d+$/);
      assert.match(lastLine(dpush), /^v2: digest: sha256:[0-9a-f]{64} size: \d+$/);
      await both(['rmi', mine], ['rmi', theirs]);
      const [pull, dpull] = await both(['pull', mine], ['pull', theirs]);
      assert.deepEqual(pull.trimEnd().split('\n').slice(-3).map((l) => l.replace(/sha256:\w+/, 'D').replace(mine, 'R')), ['Digest: D', 'Status: Downloaded newer image for R', 'R']);
      assert.deepEqual(dpull.trimEnd().split('\n').slice(-3).map((l) => l.replace(/sha256:\w+/, 'D').replace(theirs, 'R')), ['Digest: D', 'Status: Downloaded newer image for R', 'R']);
      const [h, dh] = await both(['history', w.image]);
      assert.deepEqual(columns(h), columns(dh));
    });

    it('commit: the result runs, pushes, and skopeo reads it back', async () => {
      await ok(['exec', 'web', 'sh', '-c', 'echo made-in-web > /made; rm /etc/motd']);
      await docker(['exec', 'web', 'sh', '-c', 'echo made-in-web > /made; rm /etc/motd']);
      const ref = `${w.registry.host}/tutorial/committed:1`;
      const [id, did] = await both(['commit', '-m', 'tutorial', '-a', 'me', '-c', 'CMD ["cat","/made"]', 'web', ref]);
      assert.match(id, /^sha256:[0-9a-f]{64}\n$/);
      assert.match(did, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal(await ok(['run', '--rm', ref]), 'made-in-web\n');
      assert.equal((await berth(['run', '--rm', ref, 'cat', '/etc/motd'], { socket: w.socket })).code, 1, 'the deleted file stays deleted (whiteout)');
      const [h, dh] = await both(['history', ref]);
      assert.match(h.split('\n')[1]!, /^[0-9a-f]{12}\s+.* ago\s+sleep 1000\s+[\d.]+k?B\s+tutorial$/);
      assert.match(dh.split('\n')[1]!, /^[0-9a-f]{12}\s+.* ago\s+sleep 1000\s+[\d.]+k?B\s+tutorial$/);
      await ok(['push', ref]);
      const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${ref}`]);
      const cfg = JSON.parse(stdout) as { author?: string; config: { Cmd: string[] }; rootfs: { diff_ids: string[] }; history: Array<{ comment?: string }> };
      assert.equal(cfg.author, 'me');
      assert.deepEqual(cfg.config.Cmd, ['cat', '/made']);
      assert.equal(cfg.history.at(-1)?.comment, 'tutorial');
      const base = JSON.parse((await exec('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${w.image}`])).stdout) as { rootfs: { diff_ids: string[] } };
      assert.equal(cfg.rootfs.diff_ids.length, base.rootfs.diff_ids.length + 1);
    });

    it('save and load', async () => {
      // An image no container runs: a loaded image may get another manifest digest than the one
      // pulled (a docker-archive has no manifest), and berth recreates the containers of an image
      // whose digest changed.
      const mine = `${w.registry.host}/tutorial/berth:v2`;
      const theirs = `${w.registry.host}/tutorial/docker:v2`;
      await both(['save', '-o', join(w.dir, 'b.tar'), mine], ['save', '-o', join(w.dir, 'd.tar'), theirs]);
      const [load, dload] = await both(['load', '-i', join(w.dir, 'b.tar')], ['load', '-i', join(w.dir, 'd.tar')]);
      assert.equal(load, `Loaded image: ${mine}\n`);
      assert.equal(dload, `Loaded image: ${theirs}\n`);
    });

    it('events --since, then rm $(ps -aq)', async () => {
      assert.match(await ok(['events', '--since', '10m']), /web/);
      assert.match(await docker(['events', '--since', '10m', '--until', '0s']), /name=web/);
      const ids = await ok(['ps', '-aq']);
      assert.match(ids, /^([0-9a-f]{12}\n)+$/);
      const removed = await sh('$B rm -f $($B ps -aq)');
      const dremoved = await sh('$D rm -f $($D ps -aq)');
      for (const out of [removed, dremoved]) assert.match(out, /^([0-9a-f]{12}\n)+$/);
      assert.equal(removed.trim().split('\n').length, 3);
      assert.equal((await ok(['ps', '-aq'])), '');
    });
  });
}
