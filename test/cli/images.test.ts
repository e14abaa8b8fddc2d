// The image verbs through the compiled CLI and a real daemon: pull, images, tag, push, inspect,
// rmi, prune, save/load in both archive formats (cross-checked with skopeo), login/logout (to the
// config file, and to a credential helper).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BERTH, berth } from '../fixtures/helpers.ts';
import { apply, containerManifest, phase, until, world, type World } from '../e2e/helpers.ts';
import { installCredentialHelper } from '../fixtures/cred-helper.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';

describe('image verbs (CLI → daemon → registry)', () => {
  let w: World;
  let dockerConfig: string;
  const cli = (args: string[], input?: string) => berth(args, { socket: w.socket, env: { DOCKER_CONFIG: dockerConfig }, ...(input ? { input } : {}) });
  before(async () => {
    w = await world();
    dockerConfig = join(w.dir, 'docker-config');
    mkdirSync(dockerConfig);
    process.env.DOCKER_CONFIG = dockerConfig; // the daemon runs in this process and reads credentials here
    await w.start();
  });
  after(async () => {
    delete process.env.DOCKER_CONFIG;
    await w?.teardown();
  });

  it('pulls with a line per layer, lists with a total, tags and pushes', async () => {
    const p = await cli(['pull', w.image]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(p.stderr, /[0-9a-f]{12}: done/);
    assert.equal(p.stdout.match(/sha256:[0-9a-f]{64}/)![0], skopeoDigest(w.image));
    const target = `${w.registry.host}/copies/busybox:2`;
    assert.equal((await cli(['tag', w.image, target])).code, 0);
    const ls = await cli(['images']);
    assert.match(ls.stdout, /test\/busybox +v1/);
    assert.match(ls.stdout, /copies\/busybox +2/);
    assert.match(ls.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(ls.stdout, /copies\/busybox +2 +[0-9a-f]{12} +(\d+ \w+|About an? \w+|Less than a second) ago +[\d.]+[kMG]?B\n/);
    const ids = (await cli(['images', '-q'])).stdout.trim().split('\n');
    assert.equal(ids.length, 1, 'both tags are one image');
    assert.equal((await cli(['images', '--format', '{{.Repository}}:{{.Tag}}', '-f', 'reference=*/copies/*'])).stdout, `${target}\n`);
    assert.equal((await cli(['images', '-f', 'dangling=true', '-q'])).stdout, '');
    const json = JSON.parse((await cli(["images", "-o", "json"])).stdout) as { items: Array<{ size: number; platform: string }>; totalSize: number };
    assert.equal(json.totalSize, json.items[0]!.size, 'the two tags share every layer');
    // OCI's names (Debian's for amd64 and arm64 are the same), not Node's x64.
    assert.equal(json.items[0]!.platform, `linux/${execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim()}`);
    const push = await cli(['push', target]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(skopeoDigest(target), skopeoDigest(w.image));
  });

  it('inspect falls back to images; rmi refuses an image a container uses, unless forced', async () => {
    const insp = JSON.parse((await cli(['inspect', w.image])).stdout) as Array<{ Id: string; RepoTags: string[]; Config: { Cmd: string[] }; RootFS: { Layers: string[] }; Os: string }>;
    assert.deepEqual(insp[0]!.Config.Cmd, ['sh']);
    assert.ok(insp[0]!.RepoTags.includes(w.image.replace(/^docker\.io\//, '')), insp[0]!.RepoTags.join());
    assert.equal(insp[0]!.Os, 'linux');
    const f = await cli(['image', 'inspect', '-f', '{{.Id}} {{len .RootFS.Layers}} {{index .Config.Labels "org.example.test"}}', w.image]);
    assert.deepEqual([f.code, f.stdout], [0, `${insp[0]!.Id} ${insp[0]!.RootFS.Layers.length} yes\n`]);
    await apply(w, containerManifest('user', w.image, '  command: [sleep, "600"]\n  network: host\n  terminationGracePeriodSeconds: 0\n'));
    await until('Running', async () => phase(await w.get('user')) === 'Running');
    await cli(['rmi', `${w.registry.host}/copies/busybox:2`]);
    const refused = await cli(['rmi', w.image]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /used by container user/);
  });

  it('saves and loads docker-archive and oci-archive; skopeo reads both', async () => {
    const dockerTar = join(w.dir, 'img-docker.tar');
    const ociTar = join(w.dir, 'img-oci.tar');
    assert.equal((await cli(['save', '-o', dockerTar, w.image])).code, 0);
    assert.equal((await cli(['save', '--format', 'oci-archive', '-o', ociTar, w.image])).code, 0);
    const fromDocker = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${dockerTar}`], { encoding: 'utf8' })) as { Layers: string[]; Env: string[] };
    assert.equal(fromDocker.Layers.length, 3);
    assert.ok(fromDocker.Env.includes('GREETING=hello'));
    // The OCI layout names the image as the image spec and containerd do: the tag in ref.name.
    const tag = w.image.slice(w.image.lastIndexOf(':') + 1);
    const fromOci = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${ociTar}:${tag}`], { encoding: 'utf8' })) as { Digest: string };
    assert.equal(fromOci.Digest, skopeoDigest(w.image));
    // A fresh name through a skopeo-made docker archive, loaded by berth.
    const skopeoTar = join(w.dir, 'skopeo.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${ociTar}:${tag}`, `docker-archive:${skopeoTar}:loaded/app:7`]);
    const l1 = await cli(['load', '-i', skopeoTar]);
    assert.equal(l1.code, 0, l1.stderr);
    assert.match(l1.stdout, /Loaded image: docker\.io\/loaded\/app:7/);
    const l2 = await cli(['load', '-i', ociTar]);
    assert.equal(l2.code, 0, l2.stderr);
    assert.ok(l2.stdout.includes(`Loaded image: ${w.image}\n`), `the full name, from io.containerd.image.name: ${l2.stdout}`);
    const ls = (await cli(['images'])).stdout;
    assert.match(ls, /loaded\/app +7/);
    // On stdout and stdin, as `docker save IMG > f.tar` and `docker load < f.tar`.
    const piped = join(w.dir, 'piped.tar');
    // Asynchronously: the daemon serving them runs in this process.
    const sh = async (line: string) => (await promisify(execFile)('sh', ['-c', line], { encoding: 'utf8', env: { ...process.env, BERTH_SOCKET: w.socket } })).stdout;
    await sh(`${BERTH} save loaded/app:7 > ${piped}`);
    assert.equal((JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${piped}`], { encoding: 'utf8' })) as { Layers: string[] }).Layers.length, 3);
    assert.equal(await sh(`${BERTH} load < ${piped}`), 'Loaded image: docker.io/loaded/app:7\n');
  });

  it('history: the build steps, newest first, with Docker\'s columns', async () => {
    const h = await cli(['history', w.image]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+/);
    const q = (await cli(['image', 'history', '-q', w.image])).stdout.trim().split('\n');
    assert.match(q[0]!, /^[0-9a-f]{12}$/);
    assert.ok(q.slice(1).every((l) => l === '<missing>'));
    const sizes = (await cli(['history', '-H=false', '--format', '{{.Size}}', w.image])).stdout.trim().split('\n').map(Number);
    assert.ok(sizes.every((n) => Number.isInteger(n)) && sizes.some((n) => n > 0), sizes.join());
  });

  it('prune deletes what nothing needs, keeping what a container runs on', async () => {
    await cli(['rmi', '-f', 'loaded/app:7']);
    const pr = await cli(['image', 'prune']);
    assert.equal(pr.code, 0, pr.stderr);
    assert.match(pr.stdout, /Total reclaimed space/);
    const ex = await w.client.json<{ exitCode: number }>('POST', '/v1/containers/user/exec', { body: { args: ['true'] } });
    assert.equal(ex.exitCode, 0);
  });

  it('login checks the credentials and stores them; the daemon then pulls; logout forgets', async () => {
    const creds = { username: 'bob', password: 'pw-123' };
    let reg: TestRegistry | undefined;
    try {
      reg = await startRegistry({ htpasswd: creds });
      pushToRegistry(buildLayoutImage(join(w.dir, 'private-src')).layout, `${reg.host}/private/app:1`, creds);
      const denied = await cli(['pull', `${reg.host}/private/app:1`]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /berth login/);
      const bad = await cli(['login', '-u', 'bob', '--password-stdin', reg.host], 'wrong\n');
      assert.notEqual(bad.code, 0);
      const good = await cli(['login', '-u', 'bob', '--password-stdin', reg.host], 'pw-123\n');
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /Login Succeeded/);
      assert.equal((await cli(['pull', `${reg.host}/private/app:1`])).code, 0);
      assert.match((await cli(['logout', reg.host])).stdout, /Removing login credentials/);
    } finally {
      await reg?.stop();
    }
  });

  it('with a credsStore, login hands the credentials to the helper (no warning) and logout erases them there', async () => {
    const creds = { username: 'eve', password: 'in-the-helper' };
    const helper = installCredentialHelper(join(w.dir, 'helper'));
    let reg: TestRegistry | undefined;
    try {
      reg = await startRegistry({ htpasswd: creds });
      pushToRegistry(buildLayoutImage(join(w.dir, 'helper-src')).layout, `${reg.host}/private/app:1`, creds);
      writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ credsStore: helper.name }));
      const login = await cli(['login', '-u', 'eve', '--password-stdin', reg.host], 'in-the-helper\n');
      assert.equal(login.code, 0, login.stderr);
      assert.doesNotMatch(login.stderr, /unencrypted/);
      assert.equal(helper.stored()[reg.host]?.Secret, 'in-the-helper');
      assert.ok(!readFileSync(join(dockerConfig, 'config.json'), 'utf8').includes('in-the-helper'));
      assert.equal((await cli(['pull', `${reg.host}/private/app:1`])).code, 0);
      assert.match((await cli(['logout', reg.host])).stdout, /Removing login credentials/);
      assert.equal(helper.stored()[reg.host], undefined);
    } finally {
      helper.remove();
      await reg?.stop();
    }
  });
});
