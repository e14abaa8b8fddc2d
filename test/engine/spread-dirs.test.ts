// Directories marked for ext4's Orlov allocator (engine/spread-dirs.ts): made, marked once, and left
// as they are where the filesystem keeps no inode flags (tmpfs). That each owner of a parent of
// per-container directories marks it is checked end to end (test/e2e/lifecycle.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spreadDir } from '../../engine/spread-dirs.ts';
import { lsattrDir } from './lsattr.ts';

describe('spreadDir', () => {
  const base = mkdtempSync(join(tmpdir(), 'berth-spread-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  it('makes the directory with its parents and marks it T where the filesystem keeps flags', async () => {
    const dir = join(base, 'root', 'snapshots', 'containers');
    await spreadDir(dir);
    assert.ok(statSync(dir).isDirectory());
    const a = lsattrDir(dir);
    if (a !== undefined) assert.match(a, /T/, `${dir}: ${a}`);
  });

  it('makes it again when it was removed after its mark, and does not fail', async () => {
    const dir = join(base, 'again');
    await spreadDir(dir);
    rmSync(dir, { recursive: true });
    await spreadDir(dir);
    assert.ok(statSync(dir).isDirectory());
  });
});
