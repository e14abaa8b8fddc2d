// Mount targets are resolved inside the rootfs (native/resolve.c): by openat2(RESOLVE_IN_ROOT) where
// the kernel has it, else by a component-by-component walk. The walk is checked here against the
// kernel on hostile symlink trees (absolute links to host paths, ".." past the root, chains, loops,
// magic links): both must land on the same object, always inside the root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nativeBinary } from '../../../engine/runtime/monitored-runtime.ts';

describe('resolution of paths inside a rootfs (openat2 and the fallback walk)', () => {
  let tmp = '';
  let root = '';
  const resolve = (path: string, walk: boolean) =>
    execFileSync(nativeBinary('resolve-check'), [root, path, ...(walk ? ['walk'] : [])], { encoding: 'utf8' }).trim();

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-resolve-'));
    root = join(tmp, 'root');
    mkdirSync(join(root, 'a/b'), { recursive: true });
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(tmp, 'host-secret'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
    symlinkSync('/etc', join(root, 'abs'));
    symlinkSync(join(tmp, 'host-secret'), join(root, 'to-host'));
    symlinkSync('../../../../../..', join(root, 'a/b/up'));
    symlinkSync('up/etc', join(root, 'a/b/upetc'));
    symlinkSync('../a/b/upetc/passwd', join(root, 'a/pw'));
    symlinkSync('loop2', join(root, 'loop1'));
    symlinkSync('loop1', join(root, 'loop2'));
    symlinkSync('/proc/self/root', join(root, 'magic'));
    symlinkSync('dangling/x', join(root, 'dangle'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const cases: Array<[string, string]> = [
    ['/abs', 'etc'],
    ['/abs/passwd', 'etc/passwd'],
    ['/a/b/up', ''],
    ['/a/b/upetc', 'etc'],
    ['/a/pw', 'etc/passwd'],
    ['/a/b/up/a/../../..', ''],
    ['../../../etc', 'etc'],
    ['/abs/../a/./b//', 'a/b'],
  ];
  for (const [path, inside] of cases) {
    it(`${path} resolves to /${inside} inside the root, by both`, () => {
      const want = inside ? join(root, inside) : root;
      assert.equal(resolve(path, false), want);
      assert.equal(resolve(path, true), want);
    });
  }

  it('a link to a host path resolves inside the root (where it does not exist), never to the host', () => {
    assert.equal(resolve('/to-host', false), 'error No such file or directory');
    assert.equal(resolve('/to-host', true), 'error No such file or directory');
  });

  it('refuses loops, magic links and dangling links alike', () => {
    for (const walk of [false, true]) {
      assert.equal(resolve('/loop1', walk), 'error Too many levels of symbolic links');
      assert.equal(resolve('/magic', walk), 'error No such file or directory');
      assert.equal(resolve('/dangle', walk), 'error No such file or directory');
    }
  });
});
