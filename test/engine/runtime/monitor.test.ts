// The monitor outlives the daemon: a process that started containers is killed with SIGKILL; a new
// NativeRuntime on the same state directory finds them running, reads their logs, signals them and
// gets their exit codes from the monitors that kept watching.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { removeCgroupParent, waitForLog } from './conformance.ts';
import { makeBundle, makeBusyboxRootfs } from './bundle.ts';

describe('berth-monitor under NativeRuntime: the daemon dies, the containers live on', () => {
  const tag = randomBytes(3).toString('hex');
  const parent = `berth-test-${tag}`;
  let tmp = '';
  let stateDir = '';
  const ids = [`m${tag}-polite`, `m${tag}-killed`];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-mon-'));
    stateDir = join(tmp, 'state');
  });
  after(async () => {
    const rt = new NativeRuntime({ stateDir });
    for (const id of ids) await rt.delete(id, { force: true }).catch(() => undefined);
    removeCgroupParent(parent);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('re-attaches after a SIGKILL of the process that started them', async () => {
    const rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
    const containers = [
      { id: ids[0]!, bundle: makeBundle(join(tmp, ids[0]!), rootfs, parent, ids[0]!, { args: ['sh', '-c', 'trap "echo bye >&2; exit 5" USR1; echo hello; while true; do sleep 0.1; done'] }) },
      { id: ids[1]!, bundle: makeBundle(join(tmp, ids[1]!), rootfs, parent, ids[1]!, { args: ['sh', '-c', 'echo up; exec sleep 600'] }) },
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./monitor-child.ts', import.meta.url)), stateDir, JSON.stringify(containers)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('started') && resolve());
      child.on('exit', (code) => reject(new Error(`the child ended (${code}) before starting its containers`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const rt = new NativeRuntime({ stateDir });
    const listed = await rt.list();
    for (const id of ids) assert.ok(listed.some((s) => s.id === id && s.status === 'running' && s.pid > 0), `${id} running after the restart: ${JSON.stringify(listed)}`);
    await waitForLog(rt, ids[0]!, 'hello');
    await waitForLog(rt, ids[1]!, 'up');
    const e = await rt.exec(ids[1]!, { args: ['echo', 'still-here'] });
    assert.equal(e.stdout.toString(), 'still-here\n');

    await rt.kill(ids[0]!, 'SIGUSR1');
    const polite = await rt.wait(ids[0]!);
    assert.equal(polite.exitCode, 5);
    const logs = [];
    for await (const l of rt.logs(ids[0]!)) logs.push([l.stream, l.log]);
    assert.deepEqual(logs, [['stdout', 'hello\n'], ['stderr', 'bye\n']]);

    await rt.kill(ids[1]!, 'SIGKILL');
    const killed = await rt.wait(ids[1]!);
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(killed.exitCode, 137);
    assert.equal((await rt.state(ids[1]!)).status, 'stopped');
  });
});
