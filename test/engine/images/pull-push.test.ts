// Pull and push against Debian's docker-registry, cross-checked with skopeo and umoci.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { storeCredentials } from '../../../engine/registry/docker-config.ts';
import { NotFoundError, PermissionDeniedError } from '../../../specs/errdefs.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';
import { tree } from '../../fixtures/rootfs.ts';
import type { PullEvent } from '../../../specs/api/images.ts';

describe('images: pull and push with a real registry', () => {
  let reg: TestRegistry;
  let tmp: string;
  let svc: ImageService;
  let layoutDir: string;
  const mounted: string[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-images-'));
    reg = await startRegistry();
    layoutDir = join(tmp, 'src');
    const img = buildLayoutImage(layoutDir, 'v1');
    pushToRegistry(img.layout, `${reg.host}/test/busybox:v1`);
    svc = new ImageService({ root: join(tmp, 'root') });
  });
  after(async () => {
    for (const k of mounted) await svc.snapshots.remove(k).catch(() => undefined);
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("pulls after something in the process used Node's own fetch (its undici becomes the global dispatcher)", () => {
    // A daemon calls the built-in fetch first (webhooks, token servers…); the registry client must
    // not then hand its requests to Node's bundled undici, whose handler interface differs. In a
    // process of its own, so that this file's earlier pulls have not set the global dispatcher.
    const service = new URL('../../../engine/images/service.ts', import.meta.url).href;
    const script = `await (await fetch('http://${reg.host}/v2/')).arrayBuffer();
      const { ImageService } = await import('${service}');
      const rec = await new ImageService({ root: '${join(tmp, 'root-after-fetch')}' }).pull('${reg.host}/test/busybox:v1');
      process.stdout.write(rec.digest);`;
    const digest = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(digest, skopeoDigest(`${reg.host}/test/busybox:v1`));
  });

  it('pulls the manifest skopeo reports, with every layer verified', async () => {
    const events: PullEvent[] = [];
    const rec = await svc.pull(`${reg.host}/test/busybox:v1`, (e) => events.push(e));
    assert.equal(rec.digest, skopeoDigest(`${reg.host}/test/busybox:v1`));
    assert.equal(rec.ref, `${reg.host}/test/busybox:v1`);
    assert.equal(rec.layers.length, 3);
    assert.deepEqual(rec.config.config?.Cmd, ['sh']);
    assert.ok(rec.config.config?.Env?.includes('GREETING=hello'));
    assert.ok(events.some((e) => e.status === 'done'));
    // A second pull moves nothing.
    const again: PullEvent[] = [];
    await svc.pull(`${reg.host}/test/busybox:v1`, (e) => again.push(e));
    assert.ok(again.filter((e) => e.id !== 'manifest').every((e) => e.status === 'exists'));
  });

  it('stores an OCI layout that skopeo and umoci read, named as the image spec and containerd name it', async () => {
    const rec = (await svc.resolve(`${reg.host}/test/busybox:v1`))!;
    const content = join(tmp, 'root', 'content');
    const entry = (JSON.parse(readFileSync(join(content, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> }).manifests.find((m) => m.digest === rec.digest)!;
    assert.equal(entry.annotations['org.opencontainers.image.ref.name'], 'v1');
    assert.equal(entry.annotations['io.containerd.image.name'], `${reg.host}/test/busybox:v1`);
    // What skopeo and umoci users type: the layout and the tag.
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${content}:v1`], { encoding: 'utf8' })) as { Digest: string; Layers: string[]; Architecture: string };
    assert.equal(inspected.Digest, rec.digest);
    const out = join(tmp, 'copied');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${content}:v1`, `oci:${out}:copy`]);
    execFileSync('umoci', ['stat', '--image', `${out}:copy`]);
    assert.match(execFileSync('umoci', ['ls', '--layout', content], { encoding: 'utf8' }), /^v1$/m);
  });

  it('gives a container rootfs equal to what umoci unpacks, whiteouts applied', async () => {
    const rec = (await svc.resolve(`${reg.host}/test/busybox:v1`))!;
    const snap = await svc.prepareRootfs('rootfs-check', rec);
    mounted.push('rootfs-check');
    const ref = join(tmp, 'umoci-bundle');
    execFileSync('umoci', ['unpack', '--image', `${join(layoutDir, 'layout')}:v1`, ref]);
    const ours = tree(snap.rootfs);
    const theirs = tree(join(ref, 'rootfs'));
    assert.deepEqual([...ours.entries()].sort(), [...theirs.entries()].sort());
    assert.ok(!ours.has('data/old.txt'));
    assert.equal(readFileSync(join(snap.rootfs, 'data', 'new.txt'), 'utf8'), 'new\n');
    // Copy-on-write: a write lands in the container's upper directory, never in a shared layer.
    execFileSync('sh', ['-c', `echo changed > ${join(snap.rootfs, 'etc', 'motd')}`]);
    assert.equal(readFileSync(join(snap.upper, 'etc', 'motd'), 'utf8'), 'changed\n');
    const other = await svc.prepareRootfs('rootfs-other', rec);
    mounted.push('rootfs-other');
    assert.equal(readFileSync(join(other.rootfs, 'etc', 'motd'), 'utf8'), 'welcome to berth\n');
  });

  it('pushes under a new name; skopeo sees the same digest and copies it back', async () => {
    await svc.tag(`${reg.host}/test/busybox:v1`, `${reg.host}/other/copy:v2`);
    const digest = await svc.push(`${reg.host}/other/copy:v2`);
    assert.equal(skopeoDigest(`${reg.host}/other/copy:v2`), digest);
    execFileSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/other/copy:v2`, `oci:${join(tmp, 'back')}:x`]);
  });

  it('names an unknown tag clearly', async () => {
    await assert.rejects(svc.pull(`${reg.host}/test/busybox:nope`), (err: Error) => err instanceof NotFoundError && /busybox:nope not found/.test(err.message));
  });

  it('untags and prunes: blobs no image needs are deleted', async () => {
    await svc.untag(`${reg.host}/other/copy:v2`);
    const before = (await svc.content.blobs()).length;
    const freed = await svc.prune();
    assert.equal(freed.blobs, 0, 'the layers are still used by test/busybox:v1');
    await svc.untag(`${reg.host}/test/busybox:v1`);
    const gone = await svc.prune({ keepChainIds: new Set() });
    assert.equal(gone.blobs, before);
    assert.deepEqual(await svc.content.blobs(), []);
  });
});

describe('images: registry with basic auth', () => {
  let reg: TestRegistry;
  let tmp: string;
  const creds = { username: 'alice', password: 's3cret' };
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-auth-'));
    reg = await startRegistry({ htpasswd: creds });
    const img = buildLayoutImage(join(tmp, 'src'));
    pushToRegistry(img.layout, `${reg.host}/private/app:1`, creds);
  });
  after(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses without credentials and pulls with those `login` stored', async () => {
    const configPath = join(tmp, 'docker', 'config.json');
    const svc = new ImageService({ root: join(tmp, 'root'), registry: { configPath } });
    await assert.rejects(svc.pull(`${reg.host}/private/app:1`), (e: Error) => e instanceof PermissionDeniedError && /berth login/.test(e.message));
    await storeCredentials(reg.host, creds, configPath);
    const rec = await svc.pull(`${reg.host}/private/app:1`);
    assert.equal(rec.digest, skopeoDigest(`${reg.host}/private/app:1`, creds));
    assert.equal(JSON.parse(readFileSync(configPath, 'utf8')).auths[reg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
  });
});
