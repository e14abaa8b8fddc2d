// A builder on a temporary data root with runc (under berth's monitor) and the ImageService;
// contexts made of files, with Debian's busybox-static copied in as /bin/busybox.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Builder, type BuildOptions } from '../../../engine/builder/builder.ts';
import { ImageServicePort } from '../../../engine/builder/image-store-adapter.ts';
import { RuncRuntime } from '../../../engine/runtime/runc-runtime.ts';
import { ImageService } from '../../../engine/images/service.ts';
import type { ImageConfig } from '../../../engine/builder/image-config.ts';
import type { BuildEvent } from '../../../specs/api/images.ts';

export interface Harness {
  root: string;
  images: ImageService;
  /** The config of a built image. */
  config(ref: string): Promise<ImageConfig>;
  /** The blob path of an image's layer. */
  layerBlob(ref: string, index: number): Promise<string>;
  builder: Builder;
  /** Writes files (path → content; a Buffer or string) into a new context directory. */
  context(files: Record<string, string | Buffer>, opts?: { busybox?: boolean }): string;
  build(o: Partial<BuildOptions> & { context: string }): Promise<{ events: BuildEvent[]; output: string; digest: string }>;
  /** Runs a command in a built image (runc, fresh rootfs copy); returns stdout. */
  run(ref: string, args?: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

export function harness(): Harness {
  const root = mkdtempSync(join(tmpdir(), 'berth-build-'));
  const images = new ImageService({ root });
  const runtime = new RuncRuntime({ stateDir: join(root, 'runtime') });
  const cgroupParent = `berth-build-test-${process.pid}`;
  const builder = new Builder(images, runtime, { root, cgroupParent });
  const port = new ImageServicePort(images);
  let n = 0;
  return {
    root,
    images,
    builder,
    async config(ref) {
      return (await port.getImage(ref)).config;
    },
    async layerBlob(ref, index) {
      const img = await port.getImage(ref);
      return images.content.blobPath(img.layers[index]!.digest);
    },
    context(files, opts = { busybox: true }) {
      const dir = join(root, `ctx-${++n}`);
      mkdirSync(dir, { recursive: true });
      if (opts.busybox !== false) {
        copyFileSync('/bin/busybox', join(dir, 'busybox'));
        chmodSync(join(dir, 'busybox'), 0o755);
      }
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), c);
      }
      return dir;
    },
    async build(o) {
      const events: BuildEvent[] = [];
      let output = '';
      const res = await builder.build({ tags: [`test/img:${n}`], ...o }, (e) => {
        events.push(e);
        if (e.type === 'output') output += e.text;
      });
      return { events, output, digest: res.digest };
    },
    async run(ref, args) {
      const img = await port.getImage(ref);
      const layers = await builder.unpackImage(img);
      const mount = await builder.layers.mountStep(layers);
      try {
        const cfg = img.config.config;
        const argv = args ?? [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
        const { runStep } = await import('../../../engine/builder/run-step.ts');
        let out = '';
        const stepDir = join(root, `run-${++n}`);
        mkdirSync(stepDir);
        const r = await runStep({ runtime, cgroupParent, stepDir, rootfs: mount.merged, args: argv, env: cfg.Env ?? [], workdir: cfg.WorkingDir ?? '/', user: cfg.User ?? '', network: 'none', onOutput: (s, t) => (out += s === 'stdout' ? t : '') });
        if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${out}`);
        return out;
      } finally {
        await mount.discard();
      }
    },
    async cleanup() {
      await builder.layers.cleanWork();
      for (const k of await images.snapshots.keys()) await images.snapshots.remove(k);
      try {
        execFileSync('sh', ['-c', `grep -F ' ${root}' /proc/self/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l`]);
      } catch {
        // nothing mounted
      }
      rmSync(root, { recursive: true, force: true });
      removeCgroupParent(cgroupParent);
    },
  };
}

export function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Removes a test's cgroup parent (empty directories only, bottom up, in every hierarchy). */
export function removeCgroupParent(name: string): void {
  try {
    execFileSync('sh', ['-c', `for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \\; ; done; true`, 'sh', name], { stdio: 'ignore' });
  } catch {
    // nothing to remove
  }
}
