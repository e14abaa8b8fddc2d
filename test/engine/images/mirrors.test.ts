// Registry mirrors against two real registries on 127.0.0.1 (Debian's docker-registry): one the
// mirror, one the "upstream" registry. Docker Hub itself is never contacted: a docker.io image is
// served by its mirror, and the fallbacks are tested on a loopback upstream mirrored through the
// per-registry mirrors (registry-hosts), which take the same path as Docker Hub's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageService } from '../../../engine/images/service.ts';
import type { PullEvent } from '../../../specs/api/images.ts';
import { NotFoundError } from '../../../specs/errdefs.ts';
import { buildLayoutImage, pushToRegistry, skopeoDigest } from '../../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.ts';

describe('images: registry mirrors', () => {
  let mirror: TestRegistry;
  let upstream: TestRegistry;
  let tmp: string;
  let layout: string;
  let n = 0;
  const warnings: string[] = [];
  const service = (mirrors: Record<string, string[]>) =>
    new ImageService({ root: join(tmp, `root${n++}`), registry: { mirrors }, log: { warn: (msg, f) => void warnings.push(`${msg} ${JSON.stringify(f)}`) } });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-mirrors-'));
    [mirror, upstream] = await Promise.all([startRegistry(), startRegistry()]);
    layout = buildLayoutImage(join(tmp, 'src'), 'v1').layout;
    // The mirror holds Docker Hub's busybox and one image of the upstream; the upstream another.
    pushToRegistry(layout, `${mirror.host}/library/busybox:latest`);
    pushToRegistry(layout, `${mirror.host}/team/cached:v1`);
    pushToRegistry(layout, `${upstream.host}/team/app:v1`);
  });
  after(async () => {
    await Promise.all([mirror?.stop(), upstream?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('pulls a Docker Hub image (no host given) from the mirror, stored under its docker.io name', async () => {
    const svc = service({ 'docker.io': [`http://${mirror.host}`] });
    const events: PullEvent[] = [];
    const rec = await svc.pull('busybox', (e) => events.push(e));
    assert.equal(rec.ref, 'docker.io/library/busybox:latest');
    assert.equal(rec.digest, skopeoDigest(`${mirror.host}/library/busybox:latest`));
    assert.deepEqual(events.filter((e) => e.id === 'mirror'), [{ id: 'mirror', status: 'mirror', message: `pulling through mirror http://${mirror.host}` }]);
    assert.deepEqual((await svc.list()).map((r) => r.ref), ['docker.io/library/busybox:latest']);
  });

  it('serves an image of another registry from its mirror, under that registry\'s name', async () => {
    const svc = service({ [upstream.host]: [`http://${mirror.host}`] });
    const rec = await svc.pull(`${upstream.host}/team/cached:v1`);
    assert.equal(rec.ref, `${upstream.host}/team/cached:v1`);
    // The upstream never had it: only the mirror can have served it.
    await assert.rejects(service({}).pull(`${upstream.host}/team/cached:v1`), NotFoundError);
  });

  it('falls back to the registry itself when the mirror lacks the image, and says so', async () => {
    const svc = service({ [upstream.host]: [`http://${mirror.host}`] });
    const events: PullEvent[] = [];
    const rec = await svc.pull(`${upstream.host}/team/app:v1`, (e) => events.push(e));
    assert.equal(rec.digest, skopeoDigest(`${upstream.host}/team/app:v1`));
    const fallback = events.find((e) => e.status === 'fallback');
    assert.match(fallback?.message ?? '', new RegExp(`^mirror http://${mirror.host} failed \\(.*not found.*\\); trying ${upstream.host}$`), JSON.stringify(events));
  });

  it('tries mirrors in order, past one that is down, and keeps the upstream\'s error when all fail', async () => {
    const down = await startRegistry();
    const downHost = down.host;
    await down.stop();
    const svc = service({ [upstream.host]: [`http://${downHost}`, `http://${mirror.host}`] });
    const events: PullEvent[] = [];
    const rec = await svc.pull(`${upstream.host}/team/cached:v1`, (e) => events.push(e));
    assert.equal(rec.ref, `${upstream.host}/team/cached:v1`);
    const said = events.filter((e) => e.id === 'mirror').map((e) => `${e.status}: ${e.message}`);
    assert.equal(said.length, 3, said.join('\n'));
    assert.match(said[1]!, new RegExp(`^fallback: mirror http://${downHost} failed \\(.*\\); trying http://${mirror.host}$`));
    assert.ok(warnings.some((w) => w.startsWith('registry mirror failed; trying the next') && w.includes(downHost)));
    // Nowhere to be found: the registry's own answer is the error.
    await assert.rejects(svc.pull(`${upstream.host}/team/none:v1`), (e) => e instanceof NotFoundError && e.message.includes(`${upstream.host}/team/none:v1 not found`));
  });

  it('pushes to the registry itself, never to its mirror', async () => {
    const svc = service({ [upstream.host]: [`http://${mirror.host}`] });
    await svc.pull(`${upstream.host}/team/app:v1`);
    await svc.tag(`${upstream.host}/team/app:v1`, `${upstream.host}/team/pushed:v1`);
    await svc.push(`${upstream.host}/team/pushed:v1`);
    assert.equal(skopeoDigest(`${upstream.host}/team/pushed:v1`), (await svc.resolve(`${upstream.host}/team/pushed:v1`))!.digest);
    await assert.rejects(service({}).pull(`${mirror.host}/team/pushed:v1`), NotFoundError);
  });

  it('follows a change of mirrors (a reload) on the next pull', async () => {
    const svc = service({});
    await assert.rejects(svc.pull(`${upstream.host}/team/cached:v1`), NotFoundError);
    svc.registry.configure({ insecure: [], mirrors: { [upstream.host]: [`http://${mirror.host}`] } });
    assert.equal((await svc.pull(`${upstream.host}/team/cached:v1`)).ref, `${upstream.host}/team/cached:v1`);
  });
});
