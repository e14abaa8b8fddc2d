// The unpack workers (processes): a layer unpacked in a worker is the same tree, to the mode, owner
// and mtime, as one unpacked in the daemon's thread; a refusal comes back as its class
// (HostileLayerError, the diff_id's InvalidArgumentError), so callers that check errors by class
// still can; more layers than workers wait their turn and all finish; a worker ends with its daemon.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';
import { UnpackPool } from '../../../engine/snapshots/unpack-pool.ts';
import { HostileLayerError, unpackLayer } from '../../../engine/snapshots/unpack.ts';
import { makeTar, type TarEntry } from '../../fixtures/tar.ts';
import { tree } from '../../fixtures/rootfs.ts';

describe('unpack workers', () => {
  let tmp: string;
  let n = 0;
  const pool = new UnpackPool(2);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-unpack-pool-'));
    mkdirSync(join(tmp, 'outside'));
    writeFileSync(join(tmp, 'outside', 'victim'), 'untouched\n');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const blobOf = (entries: TarEntry[]) => {
    const tar = makeTar(entries);
    const blob = join(tmp, `blob${n++}`);
    writeFileSync(blob, gzipSync(tar));
    return { blob, diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
  };
  const dirFor = () => {
    const dir = join(tmp, 'layers', String(n++), 'l');
    mkdirSync(join(dir, '..'), { recursive: true });
    return dir;
  };
  const layer: TarEntry[] = [
    { name: 'bin/', type: 'dir' },
    { name: 'bin/busybox', body: 'binary\n', mode: 0o4755 },
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    { name: 'bin/ash', type: 'hardlink', linkname: 'bin/busybox' },
    { name: 'etc/', type: 'dir', mode: 0o700 },
    { name: 'etc/motd', body: 'hello\n', mode: 0o600 },
    { name: 'etc/.wh.gone', body: '' },
    { name: 'data/.wh..wh..opq', body: '' },
  ];

  it('a layer unpacked in a worker is the tree unpacked in this thread: modes, owners, mtimes, links, whiteouts', async () => {
    const { blob, diffId } = blobOf(layer);
    const inWorker = dirFor();
    const here = dirFor();
    assert.equal(await pool.unpack({ blob, dir: inWorker, diffId }), diffId);
    assert.equal(await unpackLayer(blob, here, diffId), diffId);
    assert.deepEqual(tree(inWorker, { hash: true }), tree(here, { hash: true }));
    assert.equal(tree(inWorker).get('etc/gone'), 'whiteout');
    for (const p of ['bin/busybox', 'etc/motd']) assert.equal(lstatSync(join(inWorker, p)).mtimeMs, lstatSync(join(here, p)).mtimeMs, p);
    assert.equal(lstatSync(join(inWorker, 'bin/ash')).ino, lstatSync(join(inWorker, 'bin/busybox')).ino, 'a hard link stays one inode');
  });

  it('a refusal comes back as its class: a path out of the layer, a wrong diff_id', async () => {
    const hostile = blobOf([{ name: '../../outside/victim', body: 'pwned\n' }]);
    await assert.rejects(pool.unpack({ blob: hostile.blob, dir: dirFor() }), HostileLayerError);
    assert.equal(readFileSync(join(tmp, 'outside', 'victim'), 'utf8'), 'untouched\n');
    const good = blobOf(layer);
    await assert.rejects(pool.unpack({ blob: good.blob, dir: dirFor(), diffId: `sha256:${'0'.repeat(64)}` }), (err: Error) => err instanceof InvalidArgumentError && /diff_id/.test(err.message));
  });

  it('more layers than workers: each waits its turn, and every one is unpacked', async () => {
    const jobs = Array.from({ length: 7 }, (_, i) => ({ ...blobOf([{ name: `f${i}`, body: `layer ${i}\n` }]), dir: dirFor(), i }));
    const got = await Promise.all(jobs.map((j) => pool.unpack(j)));
    assert.deepEqual(got, jobs.map((j) => j.diffId));
    for (const j of jobs) assert.equal(readFileSync(join(j.dir, `f${j.i}`), 'utf8'), `layer ${j.i}\n`);
  });

  it('a worker ends when its channel to the daemon closes (the daemon stopped or was killed)', async () => {
    const worker = fork(fileURLToPath(new URL('../../../engine/snapshots/unpack-worker.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const { blob, diffId } = blobOf(layer);
    const dir = dirFor();
    worker.send({ blob, dir, diffId });
    assert.deepEqual(await new Promise((resolve) => worker.once('message', resolve)), { diffId });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.disconnect();
    assert.equal(await exited, 1);
  });
});
