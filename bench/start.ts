// Container start: start-to-exit of `true` from a ready bundle (rootfs and config.json written
// once), berth's native runtime (berth-monitor + berth-run: run, wait for the exit file, delete) against
// `runc run` on the same bundle, interleaved; then the time to start 100 containers (`sleep`),
// NativeRuntime against RuncRuntime (both under berth's monitor). Usage: npm run bench -- start [rounds]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NativeRuntime } from '../engine/runtime/native-runtime.ts';
import { RuncRuntime } from '../engine/runtime/runc-runtime.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { spreadDir } from '../engine/spread-dirs.ts';
import { makeBundle, makeBusyboxRootfs } from '../test/engine/runtime/bundle.ts';
import { removeCgroupParent } from '../test/engine/runtime/conformance.ts';
import { interleave, median, report, timeMs } from './lib.ts';

const run = promisify(execFile);

export default async function bench(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const many = Number(args[1] ?? 100);
  const tag = randomBytes(3).toString('hex');
  const parent = `berth-bench-${tag}`;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-start-'));
  const native = new NativeRuntime({ stateDir: join(tmp, 'native') });
  const runc = new RuncRuntime({ stateDir: join(tmp, 'runc') });
  const runcRoot = join(tmp, 'runc-run');
  const started: Array<[Runtime, string]> = [];
  try {
    // runc's per-container state directories spread over the file system's block groups as the
    // native runtime's are (it marks its containers/ itself: engine/spread-dirs.ts).
    await spreadDir(runcRoot);
    const rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
    const bundle = makeBundle(join(tmp, 'true'), rootfs, parent, 'true', { args: ['true'] });
    let n = 0;
    const samples = await interleave(
      rounds,
      {
        native: async () => {
          const id = `b${tag}-${n++}`;
          await native.run({ id, bundle });
          await native.wait(id);
          await native.delete(id);
        },
        runc: () => run('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `b${tag}-${n++}`]),
      },
      { warmup: 3 },
    );

    // 100 long-running containers, started one after the other, each runtime in turn.
    const sleeper = makeBundle(join(tmp, 'sleep'), rootfs, parent, 'sleep', { args: ['sleep', '600'] });
    const startMany = async (rt: Runtime, prefix: string) => {
      for (let i = 0; i < many; i++) {
        const id = `${prefix}${tag}-${i}`;
        started.push([rt, id]);
        await rt.run({ id, bundle: sleeper });
      }
    };
    const cleanup = async () => {
      for (const [rt, id] of started.splice(0)) await rt.delete(id, { force: true }).catch(() => undefined);
    };
    const nativeMany = await timeMs(() => startMany(native, 'n'));
    await cleanup();
    const runcMany = await timeMs(() => startMany(runc, 'r'));
    await cleanup();
    report(`start-${many}`, nativeMany, 'runc', runcMany, 'ms');
    report('start', median(samples.native!), 'runc run', median(samples.runc!), 'ms');
  } finally {
    for (const [rt, id] of started) await rt.delete(id, { force: true }).catch(() => undefined);
    removeCgroupParent(parent);
    rmSync(tmp, { recursive: true, force: true });
  }
}
