// Local volumes on a real filesystem with real mounts (root): made, found again, refused when their
// options differ or their device will not mount, never removed in use, never deleted through a
// mount, and hostile names refused before they reach a path.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../../specs/errdefs.ts';
import { LocalVolumes } from '../../../engine/volumes/local-volumes.ts';
import { isMountPoint } from '../../../engine/volumes/mount-table.ts';
import { MOUNTS_FILE, type MountsRecord } from '../../../engine/volumes/usage.ts';
import { VolumeSpec } from '../../../specs/volume.ts';
import { tempDir } from '../../fixtures/helpers.ts';

describe('local volumes', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let root: string;
  let vols: LocalVolumes;
  before(async () => {
    tmp = await tempDir('berth-vol-');
    root = join(tmp.path, 'root');
    vols = new LocalVolumes({ root });
  });
  after(async () => {
    for (const v of await vols.list()) await vols.remove(v.name).catch(() => undefined);
    await tmp.remove();
  });

  it('makes a directory volume; the same options again is the same volume, other options an AlreadyExistsError', async () => {
    const { volume, created } = await vols.create('data', { labels: { team: 'db' } });
    assert.equal(created, true);
    assert.equal(volume.mountpoint, join(root, 'volumes', 'data'));
    assert.match(volume.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await writeFile(join(volume.mountpoint, 'f'), 'x');
    const again = await vols.create('data');
    assert.equal(again.created, false);
    assert.deepEqual(again.volume.labels, { team: 'db' });
    await assert.rejects(vols.create('data', { spec: VolumeSpec.parse({ driverOpts: { type: 'tmpfs', device: 'tmpfs' } }) }), AlreadyExistsError);
    assert.equal(await readFile(join(volume.mountpoint, 'f'), 'utf8'), 'x');
    assert.deepEqual((await vols.list()).map((v) => v.name), ['data']);
  });

  it('a tmpfs volume is a mounted tmpfs; removing it unmounts it', async () => {
    const { volume } = await vols.create('mem', { spec: VolumeSpec.parse({ driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=700' } }) });
    assert.equal(await isMountPoint(volume.mountpoint), true);
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === volume.mountpoint)!;
    assert.match(line, / - tmpfs tmpfs .*size=1024k/);
    await vols.remove('mem');
    assert.equal(await isMountPoint(volume.mountpoint), false);
    assert.equal(existsSync(volume.mountpoint), false);
  });

  it('a bind volume shows the host directory; removing it unmounts and leaves the host directory alone', async () => {
    const host = join(tmp.path, 'host');
    await mkdir(host);
    await writeFile(join(host, 'keep'), 'mine');
    const { volume } = await vols.create('hostdir', { spec: VolumeSpec.parse({ driverOpts: { type: 'none', device: host, o: 'bind' } }) });
    assert.equal(await readFile(join(volume.mountpoint, 'keep'), 'utf8'), 'mine');
    await vols.remove('hostdir');
    assert.equal(await readFile(join(host, 'keep'), 'utf8'), 'mine');
  });

  it('a device that does not exist, or too little space for a storage request: an error, and nothing left behind', async () => {
    await assert.rejects(vols.create('ghost', { spec: VolumeSpec.parse({ driverOpts: { type: 'none', device: join(tmp.path, 'nope'), o: 'bind' } }) }), (e) => e instanceof FailedPreconditionError && /device .*nope does not exist/.test(e.message));
    assert.equal(await vols.get('ghost'), undefined);
    await assert.rejects(vols.create('huge', { spec: VolumeSpec.parse({ requests: { storage: '1Ei' } }) }), (e) => e instanceof FailedPreconditionError && /requests 1Ei of storage/.test(e.message));
    assert.equal(existsSync(join(root, 'volumes', 'huge')), false);
  });

  it('a volume in use is not removed, and the error names who uses it', async () => {
    await vols.create('busy');
    const id = 'a'.repeat(64);
    const dir = join(root, 'containers', id);
    await mkdir(dir, { recursive: true });
    const rec: MountsRecord = { id, owner: 'web', uid: 'u1', createdAt: new Date().toISOString(), mounts: [{ destination: '/d', readOnly: false, kind: 'volume', volume: 'busy' }] };
    await writeFile(join(dir, MOUNTS_FILE), JSON.stringify(rec));
    assert.deepEqual(await vols.users('busy'), [{ name: 'web', id }]);
    await assert.rejects(vols.remove('busy'), (e) => e instanceof FailedPreconditionError && /in use by container web/.test(e.message));
    assert.ok(await vols.get('busy'));
    // A container being created holds its volume before its mounts.json exists.
    await vols.use('busy2', { name: 'api', id: 'b'.repeat(64) }, undefined, async () => undefined);
    await assert.rejects(vols.remove('busy2'), /in use by container api/);
    vols.unpin('b'.repeat(64));
    await vols.remove('busy2');
    await assert.rejects(vols.remove('busy2'), NotFoundError);
  });

  it('hostile names never become paths', async () => {
    for (const bad of ['..', '.', '../x', 'a/../../b', '/etc', 'x', '.meta', '-a']) {
      await assert.rejects(vols.create(bad), InvalidArgumentError, bad);
    }
  });

  it('a volume directory made before records were kept is listed with no options', async () => {
    await mkdir(join(root, 'volumes', 'legacy'));
    const v = await vols.mustGet('legacy');
    assert.deepEqual([v.options, v.labels], [{}, {}]);
  });
});
