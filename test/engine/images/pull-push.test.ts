// Pull and push against Debian's docker-registry, cross-checked with skopeo and umoci.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

describe('images: a registry that sends blobs to its storage (redirects)', () => {
  let reg: TestRegistry;
  let tmp: string;
  let storage: Server;
  const creds = { username: 'alice', password: 's3cret' };
  /** What the storage server was asked: method, path, and whether an Authorization header came along. */
  const asked: Array<{ method: string; path: string; authorization: boolean }> = [];
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-redirect-'));
    // The registry's storage over plain http on another port (another origin), as S3 would serve it.
    storage = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      asked.push({ method: req.method ?? '', path, authorization: req.headers.authorization !== undefined });
      const file = join(reg.dir, 'data', path);
      if (path.includes('..') || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': statSync(file).size, 'content-type': 'application/octet-stream' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    reg = await startRegistry({ htpasswd: creds, redirect: `http://127.0.0.1:${(storage.address() as { port: number }).port}` });
    // skopeo asynchronously: the storage it is redirected to is served by this process.
    await skopeo('copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', buildLayoutImage(join(tmp, 'src')).layout, `docker://${reg.host}/private/app:1`);
  });
  const skopeo = async (...args: string[]) => (await promisify(execFile)('skopeo', args, { encoding: 'utf8' })).stdout;
  const digestOf = async (ref: string) => (JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${ref}`)) as { Digest: string }).Digest;
  after(async () => {
    storage?.close();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('follows the redirects to the storage without sending it the registry\'s credentials, and pushes past them', async () => {
    const configPath = join(tmp, 'docker', 'config.json');
    await storeCredentials(reg.host, creds, configPath);
    const svc = new ImageService({ root: join(tmp, 'root'), registry: { configPath } });
    asked.length = 0;
    const rec = await svc.pull(`${reg.host}/private/app:1`);
    const blobs = asked.filter((a) => a.method === 'GET' && a.path.endsWith('/data')).length;
    assert.equal(blobs, rec.layers.length + 1, `the layers and the config came from the storage: ${JSON.stringify(asked)}`);
    assert.deepEqual(asked.filter((a) => a.authorization), [], 'no Authorization header left the registry');
    assert.equal(rec.digest, await digestOf(`${reg.host}/private/app:1`));
    // A push checks each blob with a HEAD, which the registry redirects when it has the blob.
    await svc.tag(`${reg.host}/private/app:1`, `${reg.host}/private/copy:1`);
    await svc.push(`${reg.host}/private/copy:1`);
    asked.length = 0;
    await svc.push(`${reg.host}/private/copy:1`);
    assert.equal(asked.filter((a) => a.method === 'HEAD').length, rec.layers.length + 1, JSON.stringify(asked));
    assert.deepEqual(asked.filter((a) => a.authorization), []);
    assert.equal(await digestOf(`${reg.host}/private/copy:1`), rec.digest);
  });
});
