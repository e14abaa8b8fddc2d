// A pull's progress against Debian's docker-registry: a layer's download is reported in steps of a
// fiftieth of its size (at least 1 MiB), not per chunk the socket delivers, and its last report is
// the whole layer; the layers unpacked while they downloaded are the image's (diff ids checked by
// the unpacker, files compared here).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import { buildLayoutImage, pushToRegistry } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';
import type { PullEvent } from '../../../specs/api/images.ts';

describe('images: pull progress and unpack of large layers', () => {
  let reg: TestRegistry;
  let tmp: string;
  const ref = () => `${reg.host}/test/large:v1`;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-pull-progress-'));
    return startRegistry().then((r) => {
      reg = r;
      // Two layers of random bytes (3 MiB and 12 MiB, gzip cannot shrink them) over busybox.
      pushToRegistry(buildLayoutImage(join(tmp, 'src'), 'v1', { extraLayers: [3, 12] }).layout, ref());
    });
  });
  after(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reports each layer in steps of max(1 MiB, size/50), ending at its size', async () => {
    const svc = new ImageService({ root: join(tmp, 'root') });
    const events: PullEvent[] = [];
    const rec = await svc.pull(ref(), (e) => events.push(e), { unpack: true });
    for (const layer of rec.layers) {
      const id = layer.digest.slice(7, 19);
      const downloading = events.filter((e) => e.id === id && e.status === 'downloading').map((e) => e.current!);
      assert.ok(downloading.length >= 1, `${id}: at least one progress event`);
      assert.ok(downloading.length <= 52, `${id}: ${downloading.length} progress events for ${layer.size} bytes`);
      const step = Math.max(1 << 20, layer.size / 50);
      for (let k = 1; k < downloading.length; k++) {
        assert.ok(downloading[k]! > downloading[k - 1]!, `${id}: progress only grows`);
        if (downloading[k]! < layer.size) assert.ok(downloading[k]! - downloading[k - 1]! >= step, `${id}: a step of ${downloading[k]! - downloading[k - 1]!} bytes`);
      }
      assert.equal(downloading.at(-1), layer.size, `${id}: the last report is the whole layer`);
      assert.ok(events.some((e) => e.id === id && e.status === 'done'), `${id}: done`);
    }
    // The largest layer: reported in several steps, and unpacked as it came.
    const big = rec.layers.reduce((a, b) => (a.size > b.size ? a : b));
    assert.ok(events.filter((e) => e.id === big.digest.slice(7, 19) && e.status === 'downloading').length > 1);
    const dirs = await svc.layerDirs(rec);
    const top = dirs.at(-1)!;
    assert.equal(readFileSync(join(top, 'blob1.bin')).length, 12 << 20);
    assert.equal(readFileSync(join(dirs.at(-2)!, 'blob0.bin')).length, 3 << 20);
  });
});
