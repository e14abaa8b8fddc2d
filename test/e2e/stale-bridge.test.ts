// The default network's bridge (berth0) found with another address than the network's gateway — left
// by a berth on another data root, or made for an earlier subnet: unused, it is replaced and the
// container starts; still used, `run -d` and `start` fail at once (exit 125 for run, as Docker's)
// saying which bridge, which address and what to do, instead of waiting on a start that failed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { suiteWorld } from './helpers.ts';

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

if (insidePrivateNetns(import.meta.url)) {
  describe('a stale default bridge', { timeout: 300_000 }, () => {
    const s = suiteWorld({
      // Before the daemon: a berth0 with the address another berth gave it.
      setup: () => {
        ip('link', 'add', 'berth0', 'type', 'bridge');
        ip('addr', 'add', '10.213.0.1/16', 'dev', 'berth0');
        ip('link', 'set', 'berth0', 'up');
      },
    });
    const ok = s.ok;

    it('still used: run -d and start fail at once with exit codes 125 and 1, naming the bridge and what to do', async () => {
      ip('link', 'add', 'held0', 'type', 'veth', 'peer', 'name', 'held1');
      ip('link', 'set', 'held0', 'master', 'berth0');
      const run = await s.cli(['run', '-d', '--name', 'first', s.w.image, 'sleep', '1000']);
      assert.equal(run.code, 125, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /container "first" failed to start: the bridge berth0 of network "berth" has address 10\.213\.0\.1\/16, not 10\.214\.0\.1\/16: .*held0 is still attached to it\. Stop the containers that use it \(or delete it: `ip link del berth0`\)/);
      assert.notEqual(await ok(['inspect', '-f', '{{.State.Status}}', 'first']), 'running\n');
      const start = await s.cli(['start', 'first']);
      assert.equal(start.code, 1);
      assert.match(start.stderr, /container "first" failed to start: the bridge berth0 .* has address 10\.213\.0\.1\/16/);
    });

    it('unused: replaced with the network\'s address, and the container starts', async () => {
      ip('link', 'del', 'held0');
      assert.equal(await ok(['start', 'first']), 'first\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'first']), 'running\n');
      assert.match(ip('-4', 'addr', 'show', 'dev', 'berth0'), /inet 10\.214\.0\.1\/16/);
      await ok(['rm', '-f', 'first']);
    });
  });
}
