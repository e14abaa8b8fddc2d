// The writable layer's disk usage against coreutils' du and df on the same directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dirUsage, filesystemUsage } from '../../../engine/snapshots/disk-usage.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-du-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const df = (field: string) => execFileSync('df', ['-B1', `--output=${field}`, dir], { encoding: 'utf8' }).split('\n')[1]!.trim();

describe('disk usage of a directory', () => {
  mkdirSync(join(dir, 'etc', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'etc', 'big'), Buffer.alloc(300_000, 7));
  writeFileSync(join(dir, 'etc', 'deep', 'small'), 'x');
  linkSync(join(dir, 'etc', 'big'), join(dir, 'hardlink'));
  symlinkSync('etc/big', join(dir, 'symlink'));

  it('counts allocated blocks and inodes as du does, each hard-linked file once', async () => {
    const u = await dirUsage(dir);
    assert.equal(u.bytes, Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]));
    assert.equal(u.inodes, Number(execFileSync('du', ['-s', '--inodes', dir], { encoding: 'utf8' }).split('\t')[0]));
    assert.ok(u.bytes >= 300_000);
  });

  it('apparent: the files\' own sizes (a symlink its target\'s length), directories not counted, as moby\'s SizeRw', async () => {
    assert.equal((await dirUsage(dir, { apparent: true })).bytes, 300_000 + 1 + 'etc/big'.length);
  });

  it("reports the holding filesystem's size, inodes and device as df does", async () => {
    const f = await filesystemUsage(dir);
    assert.equal(f.limitBytes, Number(df('size')));
    assert.equal(f.device, df('source'));
    assert.ok(f.inodesFree > 0 && f.inodesFree <= Number(df('itotal')));
    assert.equal(f.usageBytes, (await dirUsage(dir)).bytes);
  });

  it('fails for a directory that is not there', async () => {
    await assert.rejects(filesystemUsage(join(dir, 'missing')), { code: 'ENOENT' });
  });
});
