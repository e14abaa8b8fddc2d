// `berth create` through the compiled CLI on real containers (runc): the container is made and not
// started (Docker's Created), survives a daemon restart as such, takes files by `cp`, and
// `berth start` starts it; after that it is a container like any other.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { berth } from '../fixtures/helpers.ts';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { suiteWorld } from './helpers.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('create, then start', { timeout: 300_000 }, () => {
    const s = suiteWorld();
    const { ok } = s;

    it('makes the container without starting it; start runs it', async () => {
      const id = await ok(['create', '--name', 'later', s.w.image, 'sh', '-c', 'cat /greeting; sleep 1000']);
      assert.match(id, /^[0-9a-f]{64}\n$/);
      assert.match(await ok(['ps', '-a']), /"sh -c cat \/greeting…"\s+.* ago\s+Created\s+later\n/);
      assert.equal(await ok(['ps', '-q']), '');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Id}}', 'later']), `created false ${id}`);
      // A created container has its files: cp reaches them before it ever ran.
      await writeFile(join(s.w.dir, 'greeting'), 'hello from cp\n');
      await ok(['cp', join(s.w.dir, 'greeting'), 'later:/greeting']);
      // The daemon restarts: still created, not started.
      await s.w.daemon!.stop();
      await s.w.start();
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'later']), 'created\n');
      assert.equal(await ok(['start', 'later']), 'later\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.Id}}', 'later']), `running ${id}`);
      for (let i = 0; i < 100 && !(await ok(['logs', 'later'])); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await ok(['logs', 'later']), 'hello from cp\n');
      // Started once, it is an ordinary container: stop and start as any other.
      await ok(['stop', '-t', '0', 'later']);
      await ok(['start', 'later']);
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'later']), 'running\n');
      await ok(['rm', '-f', 'later']);
    });

    it('says why a create fails: a missing image', async () => {
      const r = await berth(['create', '--pull', 'never', `${s.w.registry.host}/nothing/here:1`], { socket: s.w.socket });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /could not be created: .*nothing\/here/);
    });
  });
}
