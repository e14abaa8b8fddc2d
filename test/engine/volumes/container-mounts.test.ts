// A container's mounts as the engine makes them, on a real filesystem with real binds (root): the
// image's VOLUMEs as anonymous volumes, copy-up with owners, modes and xattrs, subPaths that hostile
// links cannot lead out of their volume, hostPath types, --volumes-from, and release.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anonymousName, ContainerVolumes, sortMounts, type PrepareRequest } from '../../../engine/volumes/container-mounts.ts';
import { ANONYMOUS_LABEL, LocalVolumes } from '../../../engine/volumes/local-volumes.ts';
import { isMountPoint } from '../../../engine/volumes/mount-table.ts';
import { FailedPreconditionError } from '../../../specs/errdefs.ts';
import { tempDir } from '../../fixtures/helpers.ts';

describe('container mounts', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let root: string;
  let rootfs: string;
  let vols: LocalVolumes;
  let cv: ContainerVolumes;
  const made: string[] = [];
  const id = (n: number) => String(n).repeat(64).slice(0, 64);

  const prepare = async (n: number, o: Partial<PrepareRequest>) => {
    const dir = join(root, 'containers', id(n));
    await mkdir(dir, { recursive: true });
    made.push(id(n));
    return cv.prepare({ id: id(n), dir, owner: { name: `c${n}`, uid: `uid-${n}` }, requests: [], rootfs, ...o });
  };

  before(async () => {
    tmp = await tempDir('berth-mounts-');
    root = join(tmp.path, 'root');
    rootfs = join(tmp.path, 'rootfs');
    // An image's rootfs: /srv with a file of another owner, mode and an xattr; /etc/motd; /data empty.
    await mkdir(join(rootfs, 'srv', 'sub'), { recursive: true });
    await writeFile(join(rootfs, 'srv', 'f'), 'hi\n');
    await chown(join(rootfs, 'srv', 'f'), 1000, 1000);
    await chmod(join(rootfs, 'srv', 'f'), 0o640);
    await chown(join(rootfs, 'srv'), 123, 45);
    await chmod(join(rootfs, 'srv'), 0o750);
    execFileSync('setfattr', ['-n', 'user.origin', '-v', 'image', join(rootfs, 'srv', 'f')]);
    await symlink('/srv', join(rootfs, 'link'));
    await mkdir(join(rootfs, 'data'));
    vols = new LocalVolumes({ root });
    cv = new ContainerVolumes({ root, volumes: vols });
  });
  after(async () => {
    for (const i of made) await cv.release(i).catch(() => undefined);
    for (const v of await vols.list()) await vols.remove(v.name).catch(() => undefined);
    await tmp.remove();
  });

  it('an empty named volume over a path the image fills starts with its files, owners, modes and xattrs', async () => {
    const mounts = await prepare(1, { requests: [{ kind: 'volume', volume: 'srvdata', destination: '/srv', readOnly: false, noCopy: false }] });
    const mp = join(root, 'volumes', 'srvdata');
    assert.deepEqual(mounts, [{ destination: '/srv', type: 'bind', source: mp, options: ['rbind', 'rw'] }]);
    const f = await lstat(join(mp, 'f'));
    assert.deepEqual([f.uid, f.gid, f.mode & 0o7777], [1000, 1000, 0o640]);
    assert.equal(execFileSync('getfattr', ['--only-values', '-n', 'user.origin', join(mp, 'f')], { encoding: 'utf8' }), 'image');
    const d = await lstat(mp);
    assert.deepEqual([d.uid, d.gid, d.mode & 0o7777], [123, 45, 0o750]);
    assert.deepEqual((await readdir(mp)).sort(), ['f', 'sub']);
    // Not empty any more: the next container's image content does not overwrite it.
    await writeFile(join(mp, 'f'), 'changed\n');
    await prepare(2, { requests: [{ kind: 'volume', volume: 'srvdata', destination: '/srv', readOnly: true, noCopy: false }] });
    assert.equal(await readFile(join(mp, 'f'), 'utf8'), 'changed\n');
    assert.deepEqual((await vols.users('srvdata')).map((u) => u.name).sort(), ['c1', 'c2']);
  });

  it('noCopy, a subPath, or a path the image does not fill: no copy', async () => {
    await prepare(3, {
      requests: [
        { kind: 'volume', volume: 'nocopy', destination: '/srv', readOnly: false, noCopy: true },
        { kind: 'volume', volume: 'empty', destination: '/nothing/here', readOnly: false, noCopy: false },
      ],
    });
    assert.deepEqual(await readdir(join(root, 'volumes', 'nocopy')), []);
    assert.deepEqual(await readdir(join(root, 'volumes', 'empty')), []);
  });

  it('image VOLUMEs get anonymous volumes (copied up, through the image\'s links), unless a mount covers the path', async () => {
    const mounts = await prepare(4, {
      requests: [{ kind: 'tmpfs', destination: '/data', readOnly: false, options: ['nosuid'] }],
      anonymous: ['/data', '/link/', '/', '/link'],
    });
    const anon = anonymousName('uid-4', '/link');
    assert.deepEqual(mounts.map((m) => [m.destination, m.type, m.source]), [
      ['/data', 'tmpfs', 'tmpfs'],
      ['/link', 'bind', join(root, 'volumes', anon)],
    ]);
    const v = await vols.mustGet(anon);
    assert.deepEqual(v.labels, { [ANONYMOUS_LABEL]: '' });
    assert.deepEqual(v.anonymous, { owner: 'c4', uid: 'uid-4', path: '/link' });
    assert.equal(await readFile(join(v.mountpoint, 'f'), 'utf8'), 'hi\n');
  });

  it('a subPath is resolved inside its volume: links planted there never lead out of it', async () => {
    const { volume } = await vols.create('hostile');
    await symlink('/', join(volume.mountpoint, 'root'));
    await symlink('../../../../..', join(volume.mountpoint, 'up'));
    await mkdir(join(volume.mountpoint, 'real'));
    await writeFile(join(volume.mountpoint, 'real', 'inside'), 'in');
    const secret = join(tmp.path, 'secret');
    await writeFile(secret, 'host');
    const mounts = await prepare(5, {
      requests: [
        { kind: 'volume', volume: 'hostile', destination: '/a', readOnly: false, noCopy: false, subPath: 'root' },
        { kind: 'volume', volume: 'hostile', destination: '/b', readOnly: false, noCopy: false, subPath: 'up/real' },
        { kind: 'volume', volume: 'hostile', destination: '/c', readOnly: false, noCopy: false, subPath: 'made/deep' },
      ],
    });
    const staged = mounts.map((m) => m.source);
    assert.ok(staged.every((s) => s.startsWith(join(root, 'subpaths', id(5)))), staged.join());
    // "root" -> "/" is the volume's root, "up/real" is the volume's "real", "made/deep" was made in it.
    assert.deepEqual((await readdir(staged[0]!)).sort(), ['made', 'real', 'root', 'up']);
    assert.deepEqual(await readdir(staged[1]!), ['inside']);
    assert.ok((await lstat(join(volume.mountpoint, 'made', 'deep'))).isDirectory());
    for (const s of staged) assert.equal(await isMountPoint(s), true);
    // A link to a host path that does not exist in the volume: refused, not followed.
    await symlink(secret, join(volume.mountpoint, 'tohost'));
    await assert.rejects(prepare(6, { requests: [{ kind: 'volume', volume: 'hostile', destination: '/x', readOnly: false, noCopy: false, subPath: 'tohost' }] }), FailedPreconditionError);
    await cv.release(id(6));
    await cv.release(id(5));
    for (const s of staged) assert.equal(existsSync(s), false);
    assert.equal(await readFile(secret, 'utf8'), 'host');
  });

  it('hostPath: DirectoryOrCreate makes it; unset, a missing path is refused', async () => {
    const made = join(tmp.path, 'made-by-v');
    await prepare(7, { requests: [{ kind: 'bind', hostPath: made, hostType: 'DirectoryOrCreate', destination: '/m', readOnly: false }] });
    assert.ok((await lstat(made)).isDirectory());
    await assert.rejects(
      prepare(8, { requests: [{ kind: 'bind', hostPath: join(tmp.path, 'missing'), destination: '/m', readOnly: false }] }),
      (e) => e instanceof FailedPreconditionError && /bind source path does not exist: .*missing/.test(e.message),
    );
    await assert.rejects(prepare(9, { requests: [{ kind: 'bind', hostPath: made, hostType: 'File', destination: '/m', readOnly: false }] }), /is not a file/);
  });

  it('volumesFrom takes the named volumes and binds of the newest container of a Container, read-only when asked', async () => {
    const host = join(tmp.path, 'shared');
    await mkdir(host);
    await prepare(10, {
      requests: [
        { kind: 'volume', volume: 'from-a', destination: '/a', readOnly: false, noCopy: true },
        { kind: 'bind', hostPath: host, destination: '/h', readOnly: true },
        { kind: 'tmpfs', destination: '/t', readOnly: false, options: [] },
        { kind: 'emptyDir', volume: 'scratch', destination: '/s', readOnly: false },
      ],
    });
    const mounts = await prepare(11, { requests: [{ kind: 'tmpfs', destination: '/h', readOnly: false, options: [] }], volumesFrom: [{ name: 'c10', readOnly: true }] });
    assert.deepEqual(sortMounts(mounts).map((m) => [m.destination, m.type, m.options]), [
      ['/h', 'tmpfs', []],
      ['/a', 'bind', ['rbind', 'ro']],
    ]);
    assert.deepEqual((await vols.users('from-a')).map((u) => u.name).sort(), ['c10', 'c11']);
    await assert.rejects(prepare(12, { volumesFrom: [{ name: 'nobody' }] }), /volumesFrom "nobody": that Container has no container/);
  });
});
