// The per-container parents under a data root are made and marked for ext4's Orlov allocator
// (engine/spread-dirs.ts). Checked with lsattr (e2fsprogs), the tool that reads the flag back; on a
// filesystem without inode flags (tmpfs) only the directories are checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spreadContainerDirs } from '../../engine/spread-dirs.ts';

/** The attribute letters lsattr prints for a directory; undefined where the filesystem has none. */
function attrs(dir: string): string | undefined {
  try {
    return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(' ')[0];
  } catch {
    return undefined;
  }
}

describe('spreadContainerDirs', () => {
  const base = mkdtempSync(join(tmpdir(), 'berth-spread-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  it('makes the root and each parent of per-container directories, each marked T where the filesystem keeps flags', async () => {
    const root = join(base, 'root');
    await spreadContainerDirs(root);
    const dirs = [root, ...['containers', 'snapshots/containers', 'runtime/containers', 'networks/containers'].map((d) => join(root, d))];
    for (const d of dirs) {
      assert.ok(statSync(d).isDirectory(), d);
      const a = attrs(d);
      if (a !== undefined) assert.match(a, /T/, `${d}: ${a}`);
    }
    // Again on the same root: nothing to do, nothing fails.
    await spreadContainerDirs(root);
    assert.ok(statSync(join(root, 'containers')).isDirectory());
  });
});
