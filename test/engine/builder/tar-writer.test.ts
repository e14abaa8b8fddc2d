// The layer tar writer: long names and links (PAX), hard links, devices, read back by GNU tar and
// node-tar; the same tree gives the same bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tar from 'tar';
import { writeLayer } from '../../../engine/builder/diff.ts';
import { TarWriter } from '../../../engine/content/tar-writer.ts';

describe('tar writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  const veryLong = `${'x'.repeat(200)}/${'y'.repeat(150)}`;

  it('PAX headers for long paths and link targets, big ids; GNU tar and node-tar agree', async () => {
    const out = join(dir, 'a.tar');
    const w = await TarWriter.create(out);
    await w.add({ name: 'short', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1000, size: 5 }, Buffer.from('hello'));
    await w.add({ name: long, type: 'file', mode: 0o600, uid: 1, gid: 2, mtime: 1000, size: 1 }, Buffer.from('x'));
    await w.add({ name: veryLong, type: 'file', mode: 0o600, uid: 3_000_000, gid: 3_000_001, mtime: 1000, size: 0 });
    await w.add({ name: 'link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1000, linkname: `/${'t'.repeat(150)}` });
    await w.add({ name: 'hard', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 1000, linkname: 'short' });
    await w.add({ name: 'null', type: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 1000, devmajor: 1, devminor: 3 });
    await w.add({ name: 'adir', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1000 });
    await w.finish();
    const gnu = execFileSync('tar', ['-tvf', out, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(gnu.length, 7);
    assert.match(gnu[0]!, /^-rw-r--r-- 0\/0\s+5 .* short$/);
    assert.ok(gnu[1]!.endsWith(long));
    assert.match(gnu[2]!, new RegExp(`3000000/3000001 .* ${veryLong}$`));
    assert.ok(gnu[3]!.endsWith(`link -> /${'t'.repeat(150)}`));
    assert.ok(gnu[4]!.endsWith('hard link to short'));
    assert.match(gnu[5]!, /^crw-rw-rw- 0\/0\s+1,3 /);
    assert.ok(gnu[6]!.endsWith('adir/'));
    const names: string[] = [];
    await tar.t({ file: out, onReadEntry: (e) => void names.push(e.path) });
    assert.deepEqual(names, ['short', long, veryLong, 'link', 'hard', 'null', 'adir/']);
  });

  it('a tree archives to the same bytes twice; hard links become link entries; mtimes clamp to an epoch', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'b/c'), { recursive: true });
    writeFileSync(join(tree, 'b/c/f'), 'data');
    linkSync(join(tree, 'b/c/f'), join(tree, 'a-hard'));
    symlinkSync('b/c/f', join(tree, 'z-link'));
    utimesSync(join(tree, 'b/c/f'), 5000, 5000);
    const one = await writeLayer(tree, join(dir, '1.tar'), { epoch: 100 });
    const two = await writeLayer(tree, join(dir, '2.tar'), { epoch: 100 });
    assert.equal(one.digest, two.digest);
    assert.equal(one.entries, 5);
    const listed = execFileSync('tar', ['-tvf', join(dir, '1.tar'), '--full-time'], { encoding: 'utf8' });
    assert.match(listed, /a-hard\n/);
    assert.match(listed, /b\/c\/f link to a-hard/);
    assert.doesNotMatch(listed, /1970-01-01 00:1[0-9]|1970-01-01 01:/); // 5000 s clamped to 100 s
  });
});
