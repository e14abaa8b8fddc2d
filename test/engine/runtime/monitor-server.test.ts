// Monitors started through `berth-monitor --serve` (engine/runtime/monitor-server.ts): one server per
// runtime, child of this process; each monitor it forks shows its own arguments as its command line
// (crash recovery finds monitors by them); a server that died is made again; a failed start says
// why as a spawned monitor would; a state directory too deep for a socket address spawns monitors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../specs/errdefs.ts';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { makeBundle, makeBusyboxRootfs } from './bundle.ts';
import { removeCgroupParent } from './conformance.ts';

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const ppid = (pid: number) => Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** The monitor servers whose parent is this process, with their socket. */
function servers(): Array<{ pid: number; socket: string }> {
  const out = [];
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)) {
    try {
      const args = cmdline(p);
      if (args[0]?.endsWith('berth-monitor') && args[1] === '--serve' && ppid(p) === process.pid) out.push({ pid: p, socket: args[2]! });
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

describe('monitors started by a monitor server', () => {
  const tag = `ms${process.pid}`;
  let tmp = '';
  let rootfs = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-monsrv-'));
    rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
  });
  after(() => {
    removeCgroupParent(`berth-${tag}`);
    rmSync(tmp, { recursive: true, force: true });
  });
  const bundle = (id: string, args: string[]) => makeBundle(join(tmp, 'bundles', id), rootfs, `berth-${tag}`, id, { args });

  it('one server for the runtime; each monitor is its own process with its own command line, and outlives a server that is made again', async () => {
    const stateDir = join(tmp, 'state');
    const rt = new NativeRuntime({ stateDir });
    const a = await rt.run({ id: `${tag}-a`, bundle: bundle(`${tag}-a`, ['sleep', '600']) });
    const b = await rt.run({ id: `${tag}-b`, bundle: bundle(`${tag}-b`, ['sleep', '600']) });
    const mine = servers().filter((s) => s.socket === join(stateDir, 'monitor.sock'));
    assert.equal(mine.length, 1, 'one server');
    for (const [c, id] of [[a, `${tag}-a`], [b, `${tag}-b`]] as const) {
      const meta = JSON.parse(readFileSync(join(stateDir, 'containers', id, 'meta.json'), 'utf8')) as { monitorPid: number; pid: number };
      assert.equal(meta.pid, c.pid);
      assert.notEqual(meta.monitorPid, mine[0]!.pid);
      const args = cmdline(meta.monitorPid);
      assert.ok(args[0]!.endsWith('berth-monitor'));
      assert.equal(args[args.indexOf('--exit-file') + 1], join(stateDir, 'containers', id, 'exit.json'), 'its own arguments');
    }
    process.kill(mine[0]!.pid, 'SIGKILL');
    await rt.run({ id: `${tag}-c`, bundle: bundle(`${tag}-c`, ['true']) });
    assert.equal((await rt.wait(`${tag}-c`)).exitCode, 0);
    const again = servers().filter((s) => s.socket === join(stateDir, 'monitor.sock'));
    assert.equal(again.length, 1, 'made again');
    assert.notEqual(again[0]!.pid, mine[0]!.pid);
    assert.equal((await rt.state(`${tag}-a`)).status, 'running', 'the monitors did not end with their server');
    for (const id of ['a', 'b', 'c']) await rt.delete(`${tag}-${id}`, { force: true });
  });

  it('a failed start says why, and leaves nothing', async () => {
    const rt = new NativeRuntime({ stateDir: join(tmp, 'state2') });
    const id = `${tag}-bad`;
    await assert.rejects(rt.run({ id, bundle: bundle(id, ['/no/such/program']) }), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.match(err.message, /\/no\/such\/program/);
      return true;
    });
    assert.deepEqual(readdirSync(join(tmp, 'state2', 'containers')), []);
  });

  it('a state directory too deep for a socket address: the monitor is spawned', async () => {
    const deep = join(tmp, 'd'.repeat(60), 'e'.repeat(60));
    mkdirSync(deep, { recursive: true });
    const rt = new NativeRuntime({ stateDir: deep });
    const id = `${tag}-deep`;
    await rt.run({ id, bundle: bundle(id, ['true']) });
    assert.equal((await rt.wait(id)).exitCode, 0);
    assert.deepEqual(servers().filter((s) => s.socket.startsWith(deep)), []);
    await rt.delete(id);
  });
});
