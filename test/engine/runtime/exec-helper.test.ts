// The native runtime's exec helper (engine/runtime/exec-helper.ts, native/exec-serve.c) on real
// containers: one helper serves every exec, a helper that died is started again on the next exec,
// its socket is its own user's only, and close() ends it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { until } from '../../fixtures/helpers.ts';
import { harness, waitForLog } from './conformance.ts';

/** The helpers (berth-run serve) whose working directory is `dir`: their pids. */
function helpers(dir: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').slice(1, 3).join(' ') !== 'serve exec.sock') continue;
      if (readlinkSync(`/proc/${p}/cwd`) === dir) found.push(Number(p));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describe('NativeRuntime: the exec helper', () => {
  const h = harness((stateDir) => new NativeRuntime({ stateDir }));
  before(() => h.setup());
  after(() => h.teardown());

  it('serves every exec from one process, starts again after it died, and ends with close()', async () => {
    const id = await h.start({ args: ['sh', '-c', 'echo ready; sleep 120'] });
    await waitForLog(h.rt, id, 'ready');
    const a = await h.rt.exec(id, { args: ['echo', 'one'] });
    assert.equal(a.stdout.toString(), 'one\n');
    const first = helpers(h.stateDir);
    assert.equal(first.length, 1, 'one helper');
    const socket = statSync(join(h.stateDir, 'exec.sock'));
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o077, 0, 'only its own user may ask it');
    const b = await h.rt.exec(id, { args: ['sh', '-c', 'echo two; exit 3'] });
    assert.deepEqual([b.exitCode, b.stdout.toString()], [3, 'two\n']);
    assert.deepEqual(helpers(h.stateDir), first, 'the same helper served the second exec');

    process.kill(first[0]!, 'SIGKILL');
    await until('the helper gone', () => helpers(h.stateDir).length === 0);
    const c = await h.rt.exec(id, { args: ['echo', 'three'] });
    assert.equal(c.stdout.toString(), 'three\n', 'an exec after the helper died');
    const second = helpers(h.stateDir);
    assert.equal(second.length, 1);
    assert.notEqual(second[0], first[0]);

    h.rt.close?.();
    await until('the helper ended by close()', () => helpers(h.stateDir).length === 0);
    await h.rt.stop(id, { timeoutSeconds: 0 });
  });
});
