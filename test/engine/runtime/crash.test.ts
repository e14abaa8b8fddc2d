// What a daemon killed at the wrong moment leaves in the runtime's state, and how each runtime
// (berth's launcher and runc, both under berth's monitor) recovers: a meta.json torn or without the
// container's pid is rebuilt from the pid file and the live processes, never retried as an error; a
// launch that died is a stopped container; a removal cut short is swept; removal kills whatever still runs in the container's
// cgroups (freeze, SIGKILL, thaw) before removing them, in every hierarchy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupMounts } from '../../../engine/runtime/cgroup-teardown.ts';
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';
import { RuncRuntime } from '../../../engine/runtime/runc-runtime.ts';
import type { Runtime } from '../../../engine/runtime/runtime.ts';
import { until } from '../../fixtures/helpers.ts';
import { harness } from './conformance.ts';

interface Meta {
  id: string;
  pid?: number;
  monitorPid?: number;
  cgroup?: string;
}

/** The container's cgroup directories, one per hierarchy it has one in. */
async function cgroupDirs(cgroup: string): Promise<string[]> {
  return (await cgroupMounts()).map((m) => join(m.path, cgroup)).filter((d) => existsSync(d));
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

for (const [name, factory] of [
  ['native', (stateDir: string) => new NativeRuntime({ stateDir })],
  ['runc', (stateDir: string) => new RuncRuntime({ stateDir })],
] as Array<[string, (stateDir: string) => Runtime]>) {
  describe(`${name} runtime: state left by a crash`, () => {
    const h = harness(factory);
    before(() => h.setup());
    after(() => h.teardown());
    const containers = () => join(h.stateDir, 'containers');
    const metaPath = (id: string) => join(containers(), id, 'meta.json');
    const meta = (id: string) => JSON.parse(readFileSync(metaPath(id), 'utf8')) as Meta;

    it('recovers a torn meta.json (empty) from the pid file and the monitor; removes the container whole', async () => {
      const id = await h.start({ args: ['sleep', '600'] });
      const before = meta(id);
      writeFileSync(metaPath(id), '');
      const s = await h.rt.state(id);
      assert.deepEqual([s.status, s.pid], ['running', before.pid]);
      assert.ok((await h.rt.list()).some((c) => c.id === id && c.status === 'running'));
      const again = meta(id);
      assert.deepEqual([again.pid, again.monitorPid, again.cgroup], [before.pid, before.monitorPid, before.cgroup], 'meta.json written back whole');
      await h.rt.delete(id, { force: true });
      assert.ok(!alive(before.pid!), 'the process is gone');
      await until('the monitor ends', () => !alive(before.monitorPid!));
      assert.deepEqual(await cgroupDirs(before.cgroup!), [], 'no cgroup left in any hierarchy');
      assert.ok(!existsSync(join(containers(), id)));
    });

    it('recovers a meta.json without a pid (the daemon died while the monitor started the container)', async () => {
      const id = await h.start({ args: ['sleep', '600'] });
      const { pid, monitorPid, ...rest } = meta(id);
      writeFileSync(metaPath(id), JSON.stringify(rest));
      const s = await h.rt.state(id);
      assert.deepEqual([s.status, s.pid], ['running', pid]);
      assert.deepEqual([meta(id).pid, meta(id).monitorPid], [pid, monitorPid]);
      await h.rt.delete(id, { force: true });
      assert.ok(!alive(pid!));
    });

    it('reports to waits a container whose monitor died with it, no exit recorded (the liveness sweep)', async () => {
      const ids = [await h.start({ args: ['sleep', '600'] }), await h.start({ args: ['sleep', '600'] })];
      const waits = ids.map((id) => h.rt.wait(id));
      const gone = meta(ids[0]!);
      // The monitor first (it would record the init's end), then the init: no exit.json is ever written.
      process.kill(gone.monitorPid!, 'SIGKILL');
      process.kill(gone.pid!, 'SIGKILL');
      const exit = await waits[0]!;
      assert.equal(exit.exitCode, 255);
      assert.ok(!existsSync(join(containers(), ids[0]!, 'exit.json')), 'reported without an exit file');
      assert.equal((await h.rt.state(ids[1]!)).status, 'running', 'the other wait goes on');
      await h.rt.kill(ids[1]!, 'SIGKILL');
      assert.equal((await waits[1]!).signal, 'SIGKILL');
      for (const id of ids) await h.rt.delete(id, { force: true });
    });

    it('kills what still runs in the container\'s cgroups after its init ended, then removes them (no EBUSY)', async () => {
      const id = await h.start({ args: ['sleep', '600'] });
      const m = meta(id);
      const dirs = await cgroupDirs(m.cgroup!);
      assert.ok(dirs.length > 0);
      // A process left in the container's cgroups, as one that outlived its init would be.
      const stray = spawn('sleep', ['600'], { stdio: 'ignore' });
      const gone = new Promise<NodeJS.Signals | null>((r) => stray.once('exit', (_c, sig) => r(sig)));
      for (const d of dirs) writeFileSync(join(d, 'cgroup.procs'), String(stray.pid));
      await h.rt.kill(id, 'SIGKILL');
      assert.equal((await h.rt.wait(id)).signal, 'SIGKILL');
      assert.ok(alive(stray.pid!), 'the stray outlived the init');
      await h.rt.delete(id);
      assert.equal(await gone, 'SIGKILL', 'the stray was killed');
      assert.deepEqual(await cgroupDirs(m.cgroup!), []);
    });

    it('reports a launch that died with the daemon as stopped, removes leftovers of a start, and runs the id again', async () => {
      const id = await h.start({ args: ['true'] });
      await h.rt.wait(id);
      const m = meta(id);
      await h.rt.delete(id);
      // The record of a start whose monitor never ran, and a directory a start was making aside.
      mkdirSync(join(containers(), id));
      writeFileSync(metaPath(id), JSON.stringify({ id, bundle: h.bundle(id), createdAt: new Date().toISOString(), cgroup: m.cgroup }));
      const staging = join(containers(), `.new-${id}-0123abcd`);
      mkdirSync(staging);
      const listed = (await h.rt.list()).find((c) => c.id === id);
      assert.deepEqual([listed?.status, listed?.exit?.exitCode], ['stopped', 255]);
      assert.ok(!existsSync(staging), 'the half-made directory is removed');
      assert.ok(!readdirSync(containers()).some((e) => e.startsWith('.new-')));
      await h.rt.delete(id);
      await h.rt.run({ id, bundle: h.bundle(id) });
      assert.equal((await h.rt.wait(id)).exitCode, 0);
    });

    it('sweeps a directory without its meta.json, which a removal in place cut short left', async () => {
      const id = await h.start({ args: ['true'] });
      await h.rt.wait(id);
      await h.rt.delete(id);
      assert.deepEqual(readdirSync(containers()).filter((e) => e.includes(id)), [], 'a removal leaves nothing under containers/');
      // A daemon killed while an older berth removed the files in place: meta.json already gone, the log not yet.
      mkdirSync(join(containers(), id));
      writeFileSync(join(containers(), id, 'log.json'), '');
      assert.ok(!(await h.rt.list()).some((c) => c.id === id), 'it is not a container');
      assert.deepEqual(readdirSync(containers()).filter((e) => e.includes(id)), [], 'it is removed');
      // The id is free again.
      await h.rt.run({ id, bundle: h.bundle(id) });
      assert.equal((await h.rt.wait(id)).exitCode, 0);
      await h.rt.delete(id);
    });
  });
}
