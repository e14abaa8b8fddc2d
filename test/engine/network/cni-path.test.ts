// Where CNI plugins are looked for: the daemon's --cni-path (else $CNI_PATH) first, then /opt/cni/bin,
// /usr/lib/cni, /usr/libexec/cni. Checked with the daemon's own wiring inside a private network
// namespace: a directory holding only a wrapper of the portmap plugin comes first, so the wrapper runs
// (for a container that publishes a UDP port) while the other plugins come from Debian's /usr/lib/cni.
// (The bridge plugin's part for berth's own networks is done by the daemon, bridge-native.ts, and so is
// portmap's for TCP ports, portmap-native.ts.)
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cniSearchPath, DEFAULT_CNI_DIRS } from '../../../engine/network/cni.ts';
import { composeDaemon } from '../../../server/daemon.ts';
import { createLogger } from '../../../server/log.ts';
import { freePort, insidePrivateNetns, unmountUnder } from './harness.ts';

describe('the CNI plugin search path', () => {
  it('is --cni-path, else $CNI_PATH (colon-separated), then the usual places, without duplicates', () => {
    assert.deepEqual(DEFAULT_CNI_DIRS, ['/opt/cni/bin', '/usr/lib/cni', '/usr/libexec/cni']);
    assert.deepEqual(cniSearchPath(undefined, undefined), DEFAULT_CNI_DIRS);
    assert.deepEqual(cniSearchPath(undefined, '/a/cni:/b/cni:'), ['/a/cni', '/b/cni', ...DEFAULT_CNI_DIRS]);
    assert.deepEqual(cniSearchPath(['/flag'], '/env'), ['/flag', ...DEFAULT_CNI_DIRS]);
    assert.deepEqual(cniSearchPath(undefined, '/usr/lib/cni'), ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni']);
  });
});

if (insidePrivateNetns(import.meta.url)) {
  describe('CNI plugins from --cni-path', { timeout: 120_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-cnipath-'));
    after(() => {
      unmountUnder(tmp);
      rmSync(tmp, { recursive: true, force: true });
    });

    it('runs the plugin found first, and hands every plugin the whole path as CNI_PATH', async () => {
      const wrappers = join(tmp, 'plugins');
      mkdirSync(wrappers);
      const log = join(tmp, 'portmap.log');
      writeFileSync(join(wrappers, 'portmap'), `#!/bin/sh\necho "$CNI_COMMAND $CNI_PATH" >> ${log}\nexec /usr/lib/cni/portmap\n`);
      chmodSync(join(wrappers, 'portmap'), 0o755);
      const { ctx, shutdown } = await composeDaemon({ root: join(tmp, 'root'), socket: join(tmp, 's'), watch: [], runtime: 'none', cniPath: [wrappers] }, createLogger({ level: 'error' }));
      try {
        const id = `cnipath${process.pid}`;
        const a = await ctx.networks!.attach(id, { network: 'bridge', name: 'c1', ports: [{ containerPort: 80, hostPort: await freePort(), protocol: 'UDP' }] });
        assert.ok(a.ipAddress, 'attached with an address');
        await ctx.networks!.detach(id);
        const lines = readFileSync(log, 'utf8').trim().split('\n');
        assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['ADD', 'DEL']);
        assert.equal(lines[0]!.split(' ')[1], [wrappers, ...DEFAULT_CNI_DIRS].join(':'));
      } finally {
        await shutdown();
      }
    });
  });
}
