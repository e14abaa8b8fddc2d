// `berth rename` through the compiled CLI on real containers (runc): the running container keeps its
// id and its process under the new name, its lifecycle follows (stop, start, a daemon restart),
// and the errors are Docker's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { suiteWorld } from './helpers.ts';

if (insidePrivateNetns(import.meta.url)) {
  describe('rename', { timeout: 300_000 }, () => {
    const s = suiteWorld();
    const ok = s.ok;

    it('gives the running container another name without restarting it', async () => {
      await ok(['run', '-d', '--name', 'before', s.w.image, 'sleep', '1000']);
      const [id, pid] = (await ok(['inspect', '-f', '{{.Id}} {{.State.Pid}}', 'before'])).trim().split(' ');
      assert.ok(Number(pid) > 0);
      assert.equal(await ok(['rename', 'before', 'after']), '');
      assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.Id}} {{.State.Pid}} {{.State.Status}} {{.RestartCount}}', 'after']), `/after ${id} ${pid} running 0\n`);
      const ps = await ok(['ps', '-a', '--format', '{{.Names}} {{.ID}}']);
      assert.equal(ps, `after ${id!.slice(0, 12)}\n`);
      const gone = await s.cli(['inspect', 'before']);
      assert.equal(gone.code, 1);
      // Its lifecycle goes with it: exec, stop, start on the new name, the same container.
      assert.equal(await ok(['exec', 'after', 'echo', 'hi']), 'hi\n');
      assert.equal(await ok(['stop', '-t', '0', 'after']), 'after\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.Id}}', 'after']), `exited ${id}\n`);
      assert.equal(await ok(['start', 'after']), 'after\n');
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.Id}}', 'after']), `running ${id}\n`);
      // The group verb, then a daemon restart: the renamed container is adopted, not recreated.
      await ok(['container', 'rename', id!.slice(0, 12), 'again']);
      const pid2 = (await ok(['inspect', '-f', '{{.State.Pid}}', 'again'])).trim();
      await s.w.daemon!.stop();
      await s.w.start();
      assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.Id}} {{.State.Pid}} {{.State.Status}}', 'again']), `/again ${id} ${pid2} running\n`);
    });

    it('says what Docker says: no such container, a name in use', async () => {
      const missing = await s.cli(['rename', 'nothere', 'x']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such container: nothere/);
      await ok(['create', '--name', 'other', s.w.image, 'true']);
      const taken = await s.cli(['rename', 'again', 'other']);
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /The container name "\/other" is already in use/);
      const bad = await s.cli(['rename', 'again', 'no/slash']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Invalid container name \(no\/slash\)/);
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'again']), 'running\n');
      await ok(['rm', '-f', 'again', 'other']);
    });
  });
}
