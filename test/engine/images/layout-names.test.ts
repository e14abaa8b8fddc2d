// Names in the content store's index.json: the tag in org.opencontainers.image.ref.name and the full
// reference in io.containerd.image.name (as the OCI image spec and containerd write them), while a
// store written before, with the whole reference in ref.name, is still read. Platform names are OCI's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageNameOf, refObject } from '../../../engine/content/names.ts';
import { ImageService } from '../../../engine/images/service.ts';
import { hostPlatform, platformName } from '../../../engine/images/types.ts';
import { buildLayoutImage } from '../../fixtures/images.ts';

const entries = (content: string) =>
  (JSON.parse(readFileSync(join(content, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> }).manifests;

describe('OCI layout names', () => {
  it('takes what follows the repository, as containerd does', () => {
    assert.equal(refObject('docker.io/library/busybox:latest'), 'latest');
    assert.equal(refObject('127.0.0.1:5000/team/app:v1.2'), 'v1.2');
    assert.equal(refObject(`localhost:5000/app@sha256:${'a'.repeat(64)}`), `@sha256:${'a'.repeat(64)}`);
    assert.equal(refObject(`localhost/app:1@sha256:${'b'.repeat(64)}`), `1@sha256:${'b'.repeat(64)}`);
    assert.equal(imageNameOf({ annotations: { 'org.opencontainers.image.ref.name': 'v1' } }), undefined, 'a bare tag names no repository');
  });

  it("names this host's platform as OCI does", () => {
    // Debian's architecture names are OCI's for amd64 and arm64, the hosts berth runs on.
    const debian = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
    assert.equal(hostPlatform().architecture, debian);
    assert.match(platformName(hostPlatform()), new RegExp(`^linux/${debian}(/v8)?$`));
  });

  describe('a store written before (the whole reference in ref.name)', () => {
    let tmp: string;
    let content: string;
    const old = 'docker.io/library/oldbox:1.0';
    before(() => {
      tmp = mkdtempSync(join(tmpdir(), 'berth-names-'));
      content = join(tmp, 'root', 'content');
      const src = buildLayoutImage(join(tmp, 'src'));
      mkdirSync(content, { recursive: true });
      // skopeo writes ref.name as given: exactly what berth's stores held before.
      execFileSync('skopeo', ['copy', '--quiet', src.layout, `oci:${content}:${old}`]);
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it('is listed and resolved by its name, tagged and untagged', async () => {
      const svc = new ImageService({ root: join(tmp, 'root') });
      assert.deepEqual((await svc.list()).map((r) => r.ref), [old]);
      const rec = (await svc.resolve('oldbox:1.0'))!;
      assert.equal(rec.ref, old);
      await svc.tag('oldbox:1.0', 'localhost:5000/new/box:2');
      const added = entries(content).find((e) => e.annotations?.['io.containerd.image.name'] === 'localhost:5000/new/box:2')!;
      assert.equal(added.annotations!['org.opencontainers.image.ref.name'], '2');
      assert.deepEqual((await svc.untag('oldbox:1.0')).sort(), [old]);
      assert.deepEqual((await svc.list()).map((r) => r.ref), ['localhost:5000/new/box:2']);
    });

    it('is rewritten the new way when its name is set again, and skopeo reads it by tag', async () => {
      const svc = new ImageService({ root: join(tmp, 'root') });
      const rec = (await svc.resolve('localhost:5000/new/box:2'))!;
      execFileSync('skopeo', ['copy', '--quiet', `oci:${content}:2`, `oci:${content}:${old}`]);
      assert.equal(entries(content).length, 2);
      await svc.tag('localhost:5000/new/box:2', 'oldbox:1.0');
      const named = entries(content).filter((e) => imageNameOf(e) === old);
      assert.equal(named.length, 1, 'the old entry was replaced, not kept beside the new one');
      assert.equal(named[0]!.annotations!['org.opencontainers.image.ref.name'], '1.0');
      const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${content}:1.0`], { encoding: 'utf8' })) as { Digest: string };
      assert.equal(inspected.Digest, rec.digest);
    });
  });
});
