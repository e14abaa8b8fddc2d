// Layer tars are hostile input: each escape class is refused or contained, and nothing outside the
// layer directory is read or written.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HostileLayerError, unpackLayer } from '../../../engine/snapshots/unpack.ts';
import { makeTar, type TarEntry } from '../../fixtures/tar.ts';

describe('hostile layers', () => {
  let tmp: string;
  let n = 0;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
    mkdirSync(join(tmp, 'outside'));
    writeFileSync(join(tmp, 'outside', 'victim'), 'untouched\n');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** Unpacks entries into tmp/layers/<n>/l (two levels below tmp, so "../../outside" aims at it). */
  async function unpack(entries: TarEntry[], gzip = false): Promise<string> {
    const dir = join(tmp, 'layers', String(n++), 'l');
    mkdirSync(join(dir, '..'), { recursive: true });
    const blob = join(tmp, `blob${n}`);
    const tar = makeTar(entries);
    writeFileSync(blob, gzip ? gzipSync(tar) : tar);
    await unpackLayer(blob, dir);
    return dir;
  }

  const victimIntact = () => assert.equal(readFileSync(join(tmp, 'outside', 'victim'), 'utf8'), 'untouched\n');

  it('refuses a path with ".."', async () => {
    await assert.rejects(unpack([{ name: '../../outside/victim', body: 'pwned\n' }]), HostileLayerError);
    victimIntact();
  });

  it('refuses a hard link that leaves the layer', async () => {
    await assert.rejects(unpack([{ name: 'hl', type: 'hardlink', linkname: '../../outside/victim' }]), HostileLayerError);
    victimIntact();
  });

  it('never writes through a symlink planted by the layer', async () => {
    await assert.rejects(
      unpack([
        { name: 'esc', type: 'symlink', linkname: join(tmp, 'outside') },
        { name: 'esc/victim', body: 'pwned\n' },
      ]),
      HostileLayerError,
    );
    victimIntact();
    assert.ok(!existsSync(join(tmp, 'outside', 'victim.new')));
  });

  it('never places a whiteout through a symlink', async () => {
    await assert.rejects(
      unpack([
        { name: 'esc', type: 'symlink', linkname: join(tmp, 'outside') },
        { name: 'esc/.wh.victim', body: '' },
      ]),
      HostileLayerError,
    );
    victimIntact();
  });

  it('contains absolute paths, keeps absolute symlink targets verbatim, makes no device nodes', async () => {
    const dir = await unpack(
      [
        { name: '/abs.txt', body: 'inside\n' },
        { name: 'bin/', type: 'dir' },
        { name: 'bin/busybox', body: 'binary', mode: 0o4755 },
        { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
        { name: 'dev/', type: 'dir' },
        { name: 'dev/evil', type: 'chardev' },
      ],
      true,
    );
    assert.equal(readFileSync(join(dir, 'abs.txt'), 'utf8'), 'inside\n');
    assert.equal(readlinkSync(join(dir, 'bin', 'sh')), '/bin/busybox');
    assert.equal(statSync(join(dir, 'bin', 'busybox')).mode & 0o7777, 0o4755);
    assert.ok(!existsSync(join(dir, 'dev', 'evil')));
  });

  it('never makes a symlink through another, whatever their order in the tar (symlinks are made depth by depth, many at once)', async () => {
    const deep: TarEntry[] = Array.from({ length: 150 }, (_, i) => ({ name: `esc/l${i}`, type: 'symlink' as const, linkname: 'x' }));
    for (const entries of [
      [...deep, { name: 'esc', type: 'symlink' as const, linkname: join(tmp, 'outside') }],
      [{ name: 'esc', type: 'symlink' as const, linkname: join(tmp, 'outside') }, ...deep],
      [{ name: 'esc', type: 'symlink' as const, linkname: '../../../outside' }, { name: 'esc/victim', type: 'symlink' as const, linkname: 'pwned' }],
    ]) {
      await assert.rejects(unpack(entries), HostileLayerError);
      victimIntact();
      assert.deepEqual(readdirSync(join(tmp, 'outside')), ['victim']);
    }
  });

  it('makes hundreds of symlinks in directories the tar never names, each parent a real directory', async () => {
    const links: TarEntry[] = [];
    for (let i = 0; i < 300; i++) links.push({ name: `bin/app${i}`, type: 'symlink', linkname: '/bin/busybox' }, { name: `usr/lib/deep/x${i}`, type: 'symlink', linkname: `../../../bin/app${i}` });
    const dir = await unpack([{ name: 'bin/busybox', body: 'binary' }, ...links], true);
    assert.equal(readdirSync(join(dir, 'bin')).length, 301);
    assert.equal(readlinkSync(join(dir, 'bin', 'app299')), '/bin/busybox');
    assert.equal(readlinkSync(join(dir, 'usr', 'lib', 'deep', 'x7')), '../../../bin/app7');
    for (const d of ['usr', 'usr/lib', 'usr/lib/deep']) assert.ok(lstatSync(join(dir, d)).isDirectory(), d);
    victimIntact();
  });

  it('turns OCI whiteouts into overlay whiteouts', async () => {
    const dir = await unpack([
      { name: 'etc/', type: 'dir' },
      { name: 'etc/.wh.gone', body: '' },
      { name: 'var/', type: 'dir' },
      { name: 'var/.wh..wh..opq', body: '' },
    ]);
    const st = lstatSync(join(dir, 'etc', 'gone'));
    assert.ok(st.isCharacterDevice() && st.rdev === 0);
    assert.ok(!existsSync(join(dir, 'etc', '.wh.gone')));
    // Node has no getxattr: python3 (on every machine of this kind) reads the opaque mark.
    const opaque = execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())', join(dir, 'var')], { encoding: 'utf8' });
    assert.equal(opaque.trim(), 'y');
  });

  it('refuses a layer whose content is not its diff_id', async () => {
    const blob = join(tmp, 'blob-diffid');
    writeFileSync(blob, makeTar([{ name: 'a', body: 'a' }]));
    await assert.rejects(unpackLayer(blob, join(tmp, 'diffid'), `sha256:${'0'.repeat(64)}`), /diff_id/);
  });
});
