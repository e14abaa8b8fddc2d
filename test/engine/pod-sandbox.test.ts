// Pod sandboxes with real namespaces (root): the IPC and UTS namespaces pinned by files, the same on
// a second ensure, made again by a repair after their mounts went (a reboot), a Memory emptyDir as a
// tmpfs mounted again too, a create the daemon died in removed by list(), and remove() releasing
// every mount. (The network namespace is the network manager's, tested with it; here: host network.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PodSandboxes, sandboxId } from '../../engine/pod-sandbox.ts';
import type { SandboxRequest } from '../../engine/engine.ts';
import { tempDir } from '../fixtures/helpers.ts';

const mounted = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
/** The namespace a pinned file holds, as nsenter sees it. */
const nsOf = (file: string, kind: 'ipc' | 'uts') => execFileSync('nsenter', [`--${kind}=${file}`, 'readlink', `/proc/self/ns/${kind}`], { encoding: 'utf8' }).trim();

describe('Pod sandboxes', async () => {
  const dir = await tempDir('berth-sandbox-');
  after(async () => {
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((x) => x.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(dir.path)).reverse()) {
      try {
        execFileSync('umount', ['-l', l]);
      } catch {
        // gone already
      }
    }
    await dir.remove();
  });
  const boxes = new PodSandboxes({ root: join(dir.path, 'sandboxes') });
  const req: SandboxRequest = { uid: 'u-1', name: 'web', hostname: 'web-host', network: 'host', ports: [], specHash: 'h' };

  it('pins IPC and UTS namespaces of its own, the host name set; a second ensure is the same', async () => {
    const sb = await boxes.ensure(req);
    assert.ok(mounted(sb.ipcPath) && mounted(sb.utsPath));
    assert.notEqual(nsOf(sb.ipcPath, 'ipc'), readlinkSync('/proc/self/ns/ipc'));
    assert.equal(execFileSync('nsenter', [`--uts=${sb.utsPath}`, 'hostname'], { encoding: 'utf8' }), 'web-host\n');
    const again = await boxes.ensure(req);
    assert.equal(nsOf(again.ipcPath, 'ipc'), nsOf(sb.ipcPath, 'ipc'));
    assert.deepEqual((await boxes.list()).map((s) => s.id), [sandboxId('u-1')]);
  });

  it('repairs what a reboot takes: the namespaces and a Memory emptyDir, at the same paths', async () => {
    const sb = (await boxes.get('u-1'))!;
    const shm = await boxes.volume('u-1', 'cache', { sizeBytes: 4 << 20 });
    assert.ok(mounted(shm));
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === shm)!, / - tmpfs tmpfs .*size=4096k/);
    for (const p of [sb.ipcPath, sb.utsPath, shm]) execFileSync('umount', [p]);
    const fixed = await boxes.repair('u-1');
    assert.equal(fixed.ipcPath, sb.ipcPath);
    assert.ok(mounted(sb.ipcPath) && mounted(sb.utsPath) && mounted(shm));
  });

  it('removes what a create the daemon died in left, and releases everything on remove', async () => {
    const partial = join(dir.path, 'sandboxes', sandboxId('u-dead'));
    mkdirSync(partial);
    await boxes.list();
    assert.equal(existsSync(partial), false);
    const sb = (await boxes.get('u-1'))!;
    await boxes.remove('u-1');
    await boxes.remove('u-1');
    assert.equal(mounted(sb.ipcPath) || mounted(sb.utsPath), false);
    assert.equal(existsSync(join(dir.path, 'sandboxes', sb.id)), false);
    assert.deepEqual(await boxes.list(), []);
  });
});
