// readInside (engine/runtime/exec-user.ts): a rootfs file read without following a link out of the
// rootfs, and without letting what a container put there hold up the daemon.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readInside } from '../../../engine/runtime/exec-user.ts';

describe('readInside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-read-inside-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = (name: string) => {
    const r = join(dir, name);
    mkdirSync(join(r, 'etc'), { recursive: true });
    return r;
  };

  it("reads a regular file of the rootfs, small or past the synchronous read's size", async () => {
    const r = rootfs('plain');
    writeFileSync(join(r, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    assert.equal(await readInside(r, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    const big = 'app:x:1000:1000::/home/app:/bin/sh\n'.repeat(40_000);
    writeFileSync(join(r, 'etc', 'group'), big);
    assert.equal(await readInside(r, 'etc/group'), big);
  });

  it("is empty for a missing file, a link at any component, a directory or a FIFO (which it does not wait on)", async () => {
    const r = rootfs('hostile');
    assert.equal(await readInside(r, 'etc/passwd'), '');
    writeFileSync(join(dir, 'host-passwd'), 'host secret\n');
    symlinkSync(join(dir, 'host-passwd'), join(r, 'etc', 'passwd'));
    assert.equal(await readInside(r, 'etc/passwd'), '');
    const linked = rootfs('linked-etc');
    rmSync(join(linked, 'etc'), { recursive: true });
    mkdirSync(join(dir, 'host-etc'));
    writeFileSync(join(dir, 'host-etc', 'group'), 'host group\n');
    symlinkSync(join(dir, 'host-etc'), join(linked, 'etc'));
    assert.equal(await readInside(linked, 'etc/group'), '');
    mkdirSync(join(r, 'etc', 'group'));
    assert.equal(await readInside(r, 'etc/group'), '');
    const fifo = rootfs('fifo');
    execFileSync('mkfifo', [join(fifo, 'etc', 'passwd')]);
    assert.equal(await readInside(fifo, 'etc/passwd'), '');
  });
});
