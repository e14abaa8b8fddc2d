// zstd layers (application/vnd.oci.image.layer.v1.tar+zstd) on every Node berth supports: an image
// recompressed with zstd by skopeo, pulled from a real registry (unpacked from the download and
// from the file), gives the same rootfs as the gzip original (loaded from an OCI archive); pushed again, its blobs move as they
// are. The decoders used where Node's zlib has no zstd (Node 20) — the zstd program, fzstd — are
// each checked against what Debian's zstd writes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { loadImages } from '../../../engine/images/archive.ts';
import { ImageService } from '../../../engine/images/service.ts';
import { MediaTypes } from '../../../engine/images/types.ts';
import { createZstdDecompress, findZstdProgram, FzstdDecompress, ZstdProcessDecompress } from '../../../engine/snapshots/decompress.ts';
import { buildLayoutImage, skopeoDigest } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';
import { tree } from '../../fixtures/rootfs.ts';

const zstd = (input: Buffer, ...args: string[]) => execFileSync('zstd', ['-q', '-c', ...args], { input, maxBuffer: 1 << 28 });

async function decode(stream: Duplex, input: Buffer, chunk = 4096): Promise<Buffer> {
  const parts = Array.from({ length: Math.ceil(input.length / chunk) }, (_, i) => input.subarray(i * chunk, (i + 1) * chunk));
  const [out] = await Promise.all([buffer(stream), pipeline(Readable.from(parts), stream)]);
  return out;
}

describe('zstd decoding', () => {
  // Text-like data (long matches) and random data (raw blocks), across many small input chunks.
  const data = Buffer.concat([Buffer.from('berth layer '.repeat(100_000)), randomBytes(300_000), Buffer.from('tail\n')]);
  const program = findZstdProgram();
  const decoders: Array<[string, () => Duplex]> = [
    ['fzstd', () => new FzstdDecompress()],
    ['the zstd program', () => new ZstdProcessDecompress(program!)],
  ];

  it('finds Debian\'s zstd program', () => assert.equal(program, execFileSync('sh', ['-c', 'command -v zstd'], { encoding: 'utf8' }).trim()));

  for (const [name, make] of decoders) {
    it(`${name}, as a stream, decodes what Debian zstd writes (levels, checksums, several frames)`, async () => {
      for (const args of [['-1'], ['-19', '--check'], ['--no-check', '-3']]) {
        assert.ok((await decode(make(), zstd(data, ...args))).equals(data), `zstd ${args.join(' ')}`);
      }
      const two = Buffer.concat([zstd(data.subarray(0, 1000)), zstd(data.subarray(1000))]);
      assert.ok((await decode(make(), two, 777)).equals(data), 'concatenated frames');
    });

    it(`${name} fails on a truncated or corrupt stream instead of giving short data`, async () => {
      const z = zstd(data);
      await assert.rejects(decode(make(), z.subarray(0, z.length - 100)), /zstd: /);
      const bad = Buffer.from(z);
      bad.fill(0xff, 20, 60);
      await assert.rejects(decode(make(), bad), /zstd: /);
    });
  }

  it("this Node's choice decodes too", async () => {
    assert.ok((await decode(createZstdDecompress(), zstd(data))).equals(data));
  });
});

describe('zstd images with a real registry', () => {
  let reg: TestRegistry;
  let tmp: string;
  let svc: ImageService;
  const mounted: string[] = [];
  const zs = () => `${reg.host}/test/layers:zstd`;
  const gz = 'localhost/test/layers:gzip';
  const layerTypes = (ref: string) =>
    (JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' })) as { layers: Array<{ mediaType: string }> }).layers.map((l) => l.mediaType);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-zstd-'));
    reg = await startRegistry();
    const img = buildLayoutImage(join(tmp, 'src'));
    // Recompressed into a layout first: skopeo 1.9 pushing straight to a registry may reuse gzip
    // blobs it knows there instead of recompressing.
    execFileSync('skopeo', ['copy', '--quiet', '--dest-compress-format', 'zstd', img.layout, `oci:${join(tmp, 'zstd')}:x`]);
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(tmp, 'zstd')}:x`, `docker://${zs()}`]);
    svc = new ImageService({ root: join(tmp, 'root') });
    // The gzip original, loaded from an OCI archive of it.
    execFileSync('skopeo', ['copy', '--quiet', img.layout, `oci-archive:${join(tmp, 'gzip.tar')}:${gz}`]);
    await loadImages(svc, createReadStream(join(tmp, 'gzip.tar')));
  });
  after(async () => {
    for (const k of mounted) await svc.snapshots.remove(k).catch(() => undefined);
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('skopeo made the layers zstd; the original is gzip', async () => {
    assert.deepEqual(layerTypes(zs()), [MediaTypes.ociLayerZstd, MediaTypes.ociLayerZstd, MediaTypes.ociLayerZstd]);
    assert.ok((await svc.mustResolve(gz)).layers.every((l) => l.mediaType === MediaTypes.ociLayerGzip));
  });

  it('pulls and unpacks them as they download: the rootfs equals the gzip image\'s', async () => {
    const z = await svc.ensure(zs(), 'Always');
    assert.equal(z.digest, skopeoDigest(zs()));
    const g = await svc.mustResolve(gz);
    assert.deepEqual(z.diffIds, g.diffIds, 'the same uncompressed layers');
    const zr = await svc.prepareRootfs('zstd-rootfs', z);
    mounted.push('zstd-rootfs');
    const gr = await svc.prepareRootfs('gzip-rootfs', g);
    mounted.push('gzip-rootfs');
    const a = tree(zr.rootfs, { hash: true });
    assert.ok(a.size > 100, 'a whole busybox rootfs');
    assert.deepEqual([...a.entries()].sort(), [...tree(gr.rootfs, { hash: true }).entries()].sort());
  });

  it('unpacks them from the stored blobs too', async () => {
    const other = new ImageService({ root: join(tmp, 'root2') });
    const z = await other.pull(zs());
    const snap = await other.prepareRootfs('from-file', z);
    try {
      const g = await svc.mustResolve(gz);
      const gr = await svc.prepareRootfs('gzip-rootfs', g);
      assert.deepEqual([...tree(snap.rootfs, { hash: true }).entries()].sort(), [...tree(gr.rootfs, { hash: true }).entries()].sort());
    } finally {
      await other.snapshots.remove('from-file');
    }
  });

  it('pushes them as they are: same digest, zstd layers, and skopeo copies the result', async () => {
    await svc.tag(zs(), `${reg.host}/copies/layers:zstd`);
    const digest = await svc.push(`${reg.host}/copies/layers:zstd`);
    assert.equal(digest, skopeoDigest(zs()));
    assert.equal(skopeoDigest(`${reg.host}/copies/layers:zstd`), digest);
    assert.ok(layerTypes(`${reg.host}/copies/layers:zstd`).every((t) => t === MediaTypes.ociLayerZstd));
    execFileSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/copies/layers:zstd`, `oci:${join(tmp, 'back')}:z`]);
  });
});
