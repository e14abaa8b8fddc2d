// `npm run bench -- start [rounds] [many]`: start-to-exit of `true` from a ready bundle.
//   berth: native/build/berth-monitor --launcher native/build/berth-run (the programs NativeRuntime
//          drives: monitor double-fork, namespaces, cgroup, pivot_root, exec, JSON log, exit file),
//          timed from the spawn until the monitor's exit file has appeared (inotify).
//   runc:  `runc run` on the same bundle, timed until it returns (it waits for the process).
// Same busybox rootfs and config.json (engine/bundle.ts), a fresh cgroup per container, interleaved.
// Then the same for `many` (default 100) containers all started at once, until all have exited.
// Writing bundles and removal (state dirs, cgroups) are not timed. Ends with the report() line of
// the single start.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBinary } from '../engine/runtime/monitored-runtime.ts';
import { makeBundle, makeBusyboxRootfs } from '../test/runtime/bundle.ts';
import { removeCgroupParent } from '../test/runtime/conformance.ts';
import { interleave, median, report, timeMs } from './lib.ts';

function exec(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** Resolves once `file` exists in `dir` (inotify on the directory, set up before the start). */
function appears(dir: string, file: string): { done: Promise<void>; close(): void } {
  let close = () => {};
  const done = new Promise<void>((resolve) => {
    const w = watch(dir, (_e, name) => {
      if (name === file || existsSync(join(dir, file))) {
        w.close();
        resolve();
      }
    });
    close = () => w.close();
    if (existsSync(join(dir, file))) {
      w.close();
      resolve();
    }
  });
  return { done, close };
}

type Starter = (id: string, bundle: string) => Promise<unknown>;

export default async function start(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const many = Number(args[1] ?? 100);
  const warmup = 2;
  const tag = randomBytes(3).toString('hex');
  const parent = `berth-bench-${tag}`;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-start-'));
  const monitor = nativeBinary('berth-monitor');
  const launcher = nativeBinary('berth-run');
  const runcRoot = join(tmp, 'runc');
  const rootfs = makeBusyboxRootfs(join(tmp, 'rootfs'));
  let n = 0;

  const native: Starter = async (id, bundle) => {
    const dir = join(tmp, 'native', id);
    await mkdir(dir, { recursive: true });
    const exit = appears(dir, 'exit.json');
    try {
      await exec(monitor, [
        '--id', id, '--bundle', bundle, '--launcher', launcher, '--log', join(dir, 'log.json'), '--exit-file', join(dir, 'exit.json'),
        '--pid-file', join(dir, 'pid'), '--runtime-log', join(dir, 'runtime.log'), '--cgroup', `${parent}/${id}`,
      ]);
      await exit.done;
    } finally {
      exit.close();
    }
  };
  const runc: Starter = (id, bundle) => exec('runc', ['--root', runcRoot, 'run', '--bundle', bundle, id]);

  /** `count` ready bundles (same rootfs and config, each its own id and cgroup), written now. */
  const bundles = (kind: string, count: number) =>
    Array.from({ length: count }, () => {
      const id = `b${tag}-${kind}-${n++}`;
      return [id, makeBundle(join(tmp, 'bundles', id), rootfs, parent, id, { args: ['true'] })] as const;
    });
  const oneAtATime = (kind: string, fn: Starter) => {
    const ready = bundles(kind, rounds + warmup);
    return () => {
      const [id, bundle] = ready.shift()!;
      return fn(id, bundle);
    };
  };

  try {
    const s = await interleave(rounds, { native: oneAtATime('n', native), runc: oneAtATime('r', runc) }, { warmup });
    const nat = median(s.native!);
    const rc = median(s.runc!);
    console.log(`start-to-exit of true, ${rounds} rounds interleaved: native median ${nat.toFixed(1)} ms (min ${Math.min(...s.native!).toFixed(1)}), runc run median ${rc.toFixed(1)} ms (min ${Math.min(...s.runc!).toFixed(1)})`);

    for (const [kind, fn] of [['native', native], ['runc', runc]] as const) {
      const batch = bundles(`${kind[0]}m`, many);
      const ms = await timeMs(() => Promise.all(batch.map(([id, bundle]) => fn(id, bundle))));
      console.log(`${many} containers started at once until all exited: ${kind} ${ms.toFixed(0)} ms (${(ms / many).toFixed(1)} ms per container)`);
    }
    report('start', nat, 'runc', rc, 'ms');
  } finally {
    removeCgroupParent(parent);
    rmSync(tmp, { recursive: true, force: true });
  }
}
