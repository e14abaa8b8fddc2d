// Docker's own CLI (Debian's docker 20.10, /usr/bin/docker: /usr/local/bin/docker is another
// client) driving berth through the Docker Engine API socket: run -d / -it (on a pseudo-terminal)
// / --rm, ps, logs -f, exec -it, cp, inspect -f, stop, rm — real containers (runc), inside a
// private network namespace. Containers made this way are berth's Container objects.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { berth } from '../fixtures/helpers.ts';
import { skopeoDigest } from '../fixtures/images.ts';
import { startRegistry } from '../fixtures/registry.ts';
import { closeTerminals, onTerminal } from './terminal-harness.ts';
import { until, until as until_, world, type World } from './helpers.ts';
import { DOCKER, dockerCli } from './docker-clients.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('the docker CLI drives berth through the Docker Engine API', { timeout: 600_000 }, () => {
    let w: World;
    let docker: ReturnType<typeof dockerCli>;
    const ok = async (args: string[], o?: { input?: string }) => {
      const r = await docker(args, o);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      w = await world();
      await w.start({ dockerSocket: join(w.dir, 'docker.sock') });
      docker = dockerCli(w);
    });
    after(async () => {
      closeTerminals();
      await w?.teardown();
    });

    it('negotiates the API version: docker version names berth and 1.41 (down to 1.24)', async () => {
      const out = await ok(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}']);
      assert.equal(out, 'berth 1.41 1.24\n');
      const old = await docker(['version'], {});
      assert.equal(old.code, 0);
      // A client older than 1.24 is refused in dockerd's words.
      const r = await new Promise<string>((resolve) => execFile('curl', ['-s', '--unix-socket', join(w.dir, 'docker.sock'), 'http://docker/v1.12/version'], (_e, stdout) => resolve(stdout)));
      assert.match(r, /"message":"client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
    });

    it('run -d, ps, logs -f, inspect -f, exec, update, stop, rm; the container is a berth Container object', async () => {
      const id = (await ok(['run', '-d', '--name', 'web', '-p', '8080', '-e', 'GREETING=hello there', '-l', 'tier=front', w.image, 'sh', '-c', 'echo "$GREETING"; echo oops >&2; exec httpd -f -p 8080 -h /etc'])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const ps = await ok(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Ports}} {{.Label "tier"}}']);
      assert.match(ps, new RegExp(`^${id.slice(0, 12)} web Up .* 0\\.0\\.0\\.0:\\d+->8080/tcp front\\n$`));
      assert.equal(await ok(['ps', '-q', '--filter', 'label=tier=front', '--no-trunc']), `${id}\n`);
      assert.equal(await ok(['ps', '-q', '--filter', 'label=tier=back']), '');
      const logs = await until('the output in docker logs', async () => {
        const r = await docker(['logs', 'web']);
        return r.stdout.includes('hello there') && r.stderr.includes('oops') && r;
      });
      assert.equal(logs.stdout, 'hello there\n');
      assert.equal(logs.stderr, 'oops\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Labels.tier}} {{index .Config.Env 0}}', 'web']), 'running /web front GREETING=hello there\n');
      assert.equal(await ok(['exec', 'web', 'sh', '-c', 'echo in $PWD; exit 0']), 'in /data\n');
      assert.equal((await docker(['exec', 'web', 'sh', '-c', 'exit 4'])).code, 4);
      // berth sees it as its own, labelled with where it came from.
      const obj = JSON.parse((await berth(['get', 'container', 'web', '-o', 'json'], { socket: w.socket })).stdout);
      assert.equal(obj.metadata.labels['berth.dev/origin'], 'docker-api');
      // update: live, on the same process (the container service's verb).
      const pid = await ok(['inspect', '-f', '{{.State.Pid}}', 'web']);
      assert.equal(await ok(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '50', '--restart', 'on-failure:2', 'web']), 'web\n');
      assert.equal(await ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.State.Pid}}', 'web']), `67108864 on-failure:2 ${pid.trim()}\n`);
      const refused = await docker(['update', '--kernel-memory', '8m', 'web']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /KernelMemory is not supported by berth/);
      assert.equal(await ok(['stop', '-t', '1', 'web']), 'web\n');
      assert.match(await ok(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']), /^Exited \(\d+\) /);
      assert.equal(await ok(['rm', 'web']), 'web\n');
      const gone = await docker(['inspect', 'web']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No such (container|object): web/);
    });

    it('run in the foreground: output, exit code, --rm; logs -f follows until the end', async () => {
      const r = await docker(['run', '--rm', '--name', 'once', w.image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
      assert.equal(await ok(['ps', '-aq', '--filter', 'name=once']), '');
      await ok(['run', '-d', '--name', 'counter', w.image, 'sh', '-c', 'for i in 1 2 3; do echo n$i; sleep 1; done']);
      assert.equal(await ok(['logs', '-f', 'counter']), 'n1\nn2\nn3\n');
      assert.equal(await ok(['wait', 'counter']), '0\n');
      assert.equal(await ok(['logs', '--tail', '1', 'counter']), 'n3\n');
      await ok(['rm', 'counter']);
    });

    it('cp into and out of a container', async () => {
      await ok(['run', '-d', '--name', 'files', w.image, 'sleep', '1000']);
      const src = join(w.dir, 'cp-src');
      await mkdir(src, { recursive: true });
      await writeFile(join(src, 'note.txt'), 'from the host\n');
      await ok(['cp', join(src, 'note.txt'), 'files:/tmp/note.txt']);
      assert.equal(await ok(['exec', 'files', 'cat', '/tmp/note.txt']), 'from the host\n');
      await ok(['cp', 'files:/etc/hostname', join(w.dir, 'hostname.out')]);
      assert.equal((await readFile(join(w.dir, 'hostname.out'), 'utf8')).trim(), 'files');
      await ok(['rm', '-f', 'files']);
    });

    it("rename to Docker's names (capitals, _): the same process, the Docker name answered to, the berth name valid", async () => {
      await ok(['run', '-d', '--name', 'plain', w.image, 'sleep', '1000']);
      await ok(['run', '-d', '--name', 'other', w.image, 'sleep', '1000']);
      const pid = await ok(['inspect', '-f', '{{.State.Pid}}', 'plain']);
      await ok(['rename', 'plain', 'My_Box']);
      assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.State.Pid}}', 'My_Box']), `/My_Box ${pid}`);
      assert.equal(await ok(['ps', '--filter', 'name=My_Box', '--format', '{{.Names}}']), 'My_Box\n');
      assert.match((await berth(['ps', '--format', '{{.Names}}'], { socket: w.socket })).stdout, /^my-box-[0-9a-f]{8}$/m);
      const taken = await docker(['rename', 'other', 'My_Box']);
      assert.match(taken.stderr, /Conflict\. The container name "\/My_Box" is already in use by container "[0-9a-f]{64}"/);
      // Back to a berth name: the Docker name kept before goes with it.
      await ok(['rename', 'My_Box', 'plain2']);
      const obj = JSON.parse((await berth(['get', 'container', 'plain2', '-o', 'json'], { socket: w.socket })).stdout);
      assert.equal(obj.metadata.labels['berth.dev/docker-name'], undefined);
      assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.State.Pid}}', 'plain2']), `/plain2 ${pid}`);
      assert.match((await docker(['inspect', 'My_Box'])).stderr, /No such object: My_Box/);
      await ok(['rm', '-f', 'plain2', 'other']);
    });

    it("diff: the container's changes against its image (C, A, D), parents included, mount points left out", async () => {
      // The image deleted /data/old.txt in a layer of its own: writing it again is an addition.
      await ok(['run', '-d', '--name', 'differ', w.image, 'sh', '-c', 'echo more >> /etc/motd; rm /data/new.txt; mkdir -p /made/deep; echo n > /made/deep/f; echo again > /data/old.txt; touch /ready; exec sleep 1000']);
      await until('the changes made', async () => (await docker(['exec', 'differ', 'test', '-f', '/ready'])).code === 0);
      assert.equal(await ok(['diff', 'differ']), ['C /data', 'D /data/new.txt', 'A /data/old.txt', 'C /etc', 'C /etc/motd', 'A /made', 'A /made/deep', 'A /made/deep/f', 'A /ready', ''].join('\n'));
      await ok(['stop', '-t', '0', 'differ']);
      assert.match(await ok(['diff', 'differ']), /^C \/etc\/motd$/m);
      await ok(['rm', 'differ']);
      assert.match((await docker(['diff', 'differ'])).stderr, /No such container: differ/);
    });

    it('run -it and exec -it on a terminal: typed input, the terminal size, the exit code', async () => {
      const env = { DOCKER_HOST: `unix://${join(w.dir, 'docker.sock')}`, DOCKER_CONFIG: join(w.dir, 'docker-config') };
      const t = onTerminal(['run', '-it', '--rm', '--name', 'tty', w.image, 'sh'], { socket: w.socket, dir: w.dir, program: [DOCKER], env });
      await t.see('# ');
      t.type('echo typed-$((40+2))\r');
      await t.see('typed-42');
      await ok(['ps', '--filter', 'name=tty', '-q']);
      const e = onTerminal(['exec', '-it', 'tty', 'sh'], { socket: w.socket, dir: w.dir, program: [DOCKER], env });
      await e.see('# ');
      await e.resizeSeen(31, 91);
      e.type('exit 5\r');
      assert.equal(await e.exited, 5);
      t.type('exit 7\r');
      assert.equal(await t.exited, 7);
      assert.equal(await ok(['ps', '-aq', '--filter', 'name=tty']), '');
    });

    it('images: build (build args, aux id), images, history, tag, push and pull on the loopback registry, save and load, rmi, commit', async () => {
      const ctxDir = join(w.dir, 'build-ctx');
      await mkdir(ctxDir, { recursive: true });
      await writeFile(join(ctxDir, 'Dockerfile'), `FROM ${w.image}\nARG V=none\nRUN echo built-$V > /v\nCMD ["cat", "/v"]\n`);
      const app = `${w.registry.host}/app/x:1`;
      const built = await ok(['build', '--build-arg', 'V=7', '--label', 'org.example.built=by docker', '-t', app, ctxDir]);
      assert.match(built, /Step 3\/4 : RUN echo built-\$V > \/v\n/);
      assert.match(built, new RegExp(`Successfully tagged ${app.replace(/[.]/g, '\\.')}\n`));
      assert.equal(await ok(['run', '--rm', app]), 'built-7\n');
      // --label: over the base image's labels, a LABEL step last in the history.
      assert.equal(await ok(['inspect', '-f', '{{json .Config.Labels}}', app]), '{"org.example.built":"by docker","org.example.test":"yes"}\n');
      assert.match(await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', app]), /^\/bin\/sh -c #\(nop\)  LABEL "org\.example\.built"='by docker'\n/);
      assert.match(await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), new RegExp(`^${w.registry.host}/app/x:1$`, 'm'));
      assert.match(await ok(['history', app]), /V=7 \/bin\/sh -c echo built-\$V > \/v/);
      const pushed = await ok(['push', app]);
      assert.match(pushed, /digest: sha256:[0-9a-f]{64}/);
      const tar = join(w.dir, 'saved.tar');
      await ok(['save', '-o', tar, app]);
      assert.match(await ok(['rmi', app]), new RegExp(`Untagged: ${w.registry.host}/app/x:1`));
      assert.equal(await ok(['images', '-q', app]), '');
      assert.match(await ok(['load', '-i', tar]), new RegExp(`Loaded image: ${w.registry.host}/app/x:1`));
      await ok(['rmi', app]);
      await ok(['pull', app]);
      assert.equal(await ok(['run', '--rm', app]), 'built-7\n');
      await ok(['run', '-d', '--name', 'tocommit', w.image, 'sh', '-c', 'echo changed > /c; sleep 1000']);
      await until('the change', async () => (await docker(['exec', 'tocommit', 'cat', '/c'])).stdout === 'changed\n');
      await ok(['commit', 'tocommit', `${w.registry.host}/app/committed:1`]);
      assert.equal(await ok(['run', '--rm', `${w.registry.host}/app/committed:1`, 'cat', '/c']), 'changed\n');
      await ok(['rm', '-f', 'tocommit']);
      assert.match((await docker(['search', 'busybox'])).stderr, /not supported by berth/);
    });

    it("X-Registry-Auth: pull, run and push of a private image with the client's credentials, for those requests only", async () => {
      const reg = await startRegistry({ htpasswd: { username: 'ann', password: 'se:cret' } });
      const config = join(w.dir, 'docker-config', 'config.json');
      try {
        const priv = `${reg.host}/private/bb:1`;
        execFileSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'ann:se:cret', `docker://${w.image}`, `docker://${priv}`]);
        const anonymous = await docker(['pull', priv]);
        assert.equal(anonymous.code, 1);
        assert.match(anonymous.stderr, new RegExp(`registry ${reg.host} needs credentials for private/bb`));
        // The docker CLI sends the credentials of its config.json (never given to the daemon by a login) as X-Registry-Auth.
        await mkdir(dirname(config), { recursive: true });
        await writeFile(config, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ann:se:cret').toString('base64') } } }));
        assert.match(await ok(['pull', priv]), /Digest: sha256:[0-9a-f]{64}/);
        await ok(['rmi', priv]);
        assert.equal(await ok(['run', '--rm', priv, 'echo', 'private']), 'private\n');
        const pushed = `${reg.host}/private/pushed:2`;
        await ok(['tag', priv, pushed]);
        assert.match(await ok(['push', pushed]), /digest: sha256:[0-9a-f]{64}/);
        assert.equal(skopeoDigest(pushed, { username: 'ann', password: 'se:cret' }), skopeoDigest(priv, { username: 'ann', password: 'se:cret' }));
        // The daemon kept nothing: without the header, the registry refuses again.
        await rm(config);
        await ok(['rmi', priv, pushed]);
        assert.match((await docker(['pull', priv])).stderr, /needs credentials/);
        // Wrong ones are the registry's refusal.
        await writeFile(config, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ann:wrong').toString('base64') } } }));
        assert.match((await docker(['pull', priv])).stderr, new RegExp(`registry ${reg.host} refused GET on private/bb \\(401\\)`));
      } finally {
        await rm(config, { force: true });
        await reg.stop();
      }
    });

    it('networks and volumes: create, ls, inspect, a container on them, rm', async () => {
      assert.match(await ok(['network', 'create', 'appnet']), /^[0-9a-f]{64}\n$/);
      assert.match(await ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^appnet bridge$/m);
      assert.equal(await ok(['volume', 'create', 'data']), 'data\n');
      assert.equal(await ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'data']), 'data local\n');
      await ok(['run', '--rm', '--network', 'appnet', '-v', 'data:/d', w.image, 'sh', '-c', 'echo kept > /d/f']);
      await ok(['run', '-d', '--name', 'member', '--network', 'appnet', '-v', 'data:/d', w.image, 'sleep', '1000']);
      assert.equal(await ok(['exec', 'member', 'cat', '/d/f']), 'kept\n');
      assert.equal(await ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}}{{end}}', 'appnet']), 'member\n');
      // Connected already (docker-network.test.ts connects and disconnects): Docker's 403 words.
      assert.match((await docker(['network', 'connect', 'appnet', 'member'])).stderr, /endpoint with name member already exists in network appnet/);
      await ok(['rm', '-f', 'member']);
      assert.equal(await ok(['volume', 'rm', 'data']), 'data\n');
      assert.equal(await ok(['network', 'rm', 'appnet']), 'appnet\n');
      assert.doesNotMatch(await ok(['volume', 'ls', '-q']), /^data$/m);
    });

    it('events: a past window (--since/--until) with filters; system df', async () => {
      const since = String(Math.floor(Date.now() / 1000) - 1);
      await ok(['run', '--rm', '--name', 'evt', w.image, 'true']);
      const until = String(Math.floor(Date.now() / 1000) + 1);
      const actions = await until_('the events of evt', async () => {
        const out = await ok(['events', '--since', since, '--until', until, '--filter', 'type=container', '--filter', 'container=evt', '--format', '{{.Action}}']);
        return out.includes('destroy') && out;
      });
      assert.equal(actions, 'create\nstart\ndie\ndestroy\n');
      assert.match(await ok(['system', 'df']), /^Images +\d+/m);
    });

    it("errors are Docker's: 404, 409 for a running container's removal, 304 for a second start", async () => {
      await ok(['run', '-d', '--name', 'busy', w.image, 'sleep', '1000']);
      const rm = await docker(['rm', 'busy']);
      assert.equal(rm.code, 1);
      assert.match(rm.stderr, /busy.*running/);
      assert.equal(await ok(['start', 'busy']), 'busy\n');
      const dup = await docker(['run', '-d', '--name', 'busy', w.image, 'true']);
      assert.equal(dup.code, 125);
      assert.match(dup.stderr, /Conflict\. The container name "\/busy" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
      assert.equal((await docker(['logs', 'nosuch'])).code, 1);
      const swarm = await docker(['swarm', 'init']);
      assert.match(swarm.stderr, /not supported by berth/);
      await ok(['rm', '-f', 'busy']);
    });
  });
}
