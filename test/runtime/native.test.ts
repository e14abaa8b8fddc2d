// The conformance suite against berth's own launcher (under berth's monitor), and what only the
// native launcher is checked for here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../engine/runtime/native-runtime.ts';
import { conformance, harness } from './conformance.ts';

conformance('native', (stateDir) => new NativeRuntime({ stateDir }));

describe('NativeRuntime: namespaces given by path', () => {
  const h = harness((stateDir) => new NativeRuntime({ stateDir }));
  let dir = '';
  before(() => {
    h.setup();
    dir = mkdtempSync(join(tmpdir(), 'berth-netns-'));
  });
  after(async () => {
    await h.teardown();
    spawnSync('umount', [join(dir, 'net')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins the network namespace the config names, as the network manager makes it', async () => {
    // A persistent network namespace bound on a file, as `ip netns add` makes one.
    writeFileSync(join(dir, 'net'), '');
    const made = spawnSync('unshare', [`--net=${join(dir, 'net')}`, 'true']);
    assert.equal(made.status, 0, made.stderr?.toString());
    const inode = statSync(join(dir, 'net')).ino;
    const id = await h.start({ args: ['readlink', '/proc/self/ns/net'], hostNetwork: true, netnsPath: join(dir, 'net') });
    assert.equal(await h.stdout(id), `net:[${inode}]\n`);
  });
});
