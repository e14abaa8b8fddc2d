// The builder's layer store under <root>/build/layers: the layers builds made, each kept as the
// overlay upper directory it was made in (overlay's own whiteout format), keyed by chain id. A step
// mounts its parent's layers — these, over a base image's layers unpacked by the snapshotter —
// read-only under a fresh upper directory, works in the merged view, and its upper directory
// becomes the next layer (no copy, no unpack).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { runCommand } from '../spawner.ts';
import { isWhiteout } from './diff.ts';

export interface LayerInfo {
  chainId: string;
  /** Digest of the uncompressed tar. */
  diffId: string;
  /** Digest and size of the blob in the content store (compressed or not). */
  digest: string;
  size: number;
  mediaType: string;
  /** The unpacked directory (an overlay lower dir). */
  dir: string;
}

/** Overlay options that keep an upper directory a plain, portable diff (no redirects, no metacopy). */
function safeOverlayOptions(): string[] {
  const opts: string[] = [];
  for (const [param, opt] of [['redirect_dir', 'redirect_dir=off'], ['metacopy', 'metacopy=off'], ['index', 'index=off']] as const) {
    if (existsSync(`/sys/module/overlay/parameters/${param}`)) opts.push(opt);
  }
  return opts;
}

export class LayerStore {
  readonly #layers: string;
  readonly #work: string;
  readonly #empty: string;

  constructor(readonly buildRoot: string) {
    this.#layers = join(buildRoot, 'layers');
    this.#work = join(buildRoot, 'work');
    this.#empty = join(buildRoot, 'empty');
  }

  #dirOf(chainId: string): string {
    return join(this.#layers, chainId.replace(/^sha256:/, '').slice(0, 32));
  }

  async get(chainId: string): Promise<LayerInfo | undefined> {
    const d = this.#dirOf(chainId);
    try {
      // Synchronously, as the builder's cache records (builder.ts #cacheGet says why).
      const meta = JSON.parse(readFileSync(join(d, 'layer.json'), 'utf8')) as Omit<LayerInfo, 'dir'>;
      if (meta.chainId !== chainId) return undefined;
      return { ...meta, dir: join(d, 'diff') };
    } catch {
      return undefined;
    }
  }

  async #install(tmp: string, desc: Omit<LayerInfo, 'dir'>): Promise<LayerInfo> {
    const d = this.#dirOf(desc.chainId);
    await mkdir(this.#layers, { recursive: true });
    try {
      await rename(tmp, d);
    } catch (err) {
      // Another build made it meanwhile (or a broken leftover): keep one.
      await rm(tmp, { recursive: true, force: true });
      const have = await this.get(desc.chainId);
      if (have) return have;
      throw err;
    }
    return { ...desc, dir: join(d, 'diff') };
  }

  /** The merged read-only view of some layers (for reading what a directory held before a step). */
  async lowerView(layers: LayerInfo[]): Promise<{ dir: string; release: () => Promise<void> }> {
    if (layers.length === 0) {
      await mkdir(this.#empty, { recursive: true });
      return { dir: this.#empty, release: async () => undefined };
    }
    if (layers.length === 1) return { dir: layers[0]!.dir, release: async () => undefined };
    const mnt = join(this.#work, `view-${randomBytes(8).toString('hex')}`);
    await mkdir(mnt, { recursive: true });
    await this.#mount(mnt, layers, undefined);
    return {
      dir: mnt,
      release: async () => {
        await umount(mnt);
        await rm(mnt, { recursive: true, force: true });
      },
    };
  }

  async #mount(target: string, lowers: LayerInfo[], upper: { upper: string; work: string } | undefined): Promise<void> {
    // Lower dirs relative to the layers directory (the mount's cwd): keeps the option string short.
    const lowerdir = lowers.length ? [...lowers].reverse().map((l) => (l.dir.startsWith(this.#layers + '/') ? l.dir.slice(this.#layers.length + 1) : l.dir)).join(':') : this.#empty;
    if (!lowers.length) await mkdir(this.#empty, { recursive: true });
    const opts = [`lowerdir=${lowerdir}`, ...(upper ? [`upperdir=${upper.upper}`, `workdir=${upper.work}`] : []), ...safeOverlayOptions()];
    try {
      await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', opts.join(','), target], { cwd: this.#layers });
    } catch (err) {
      throw new UnavailableError(`cannot mount the build's overlay at ${target}: ${commandErrorText(err)}; the builder needs root and overlayfs`);
    }
  }

  /** A writable rootfs over `lowers` for one step. */
  async mountStep(lowers: LayerInfo[]): Promise<StepMount> {
    const dir = join(this.#work, `step-${randomBytes(8).toString('hex')}`);
    const m = { upper: join(dir, 'diff'), work: join(dir, 'work'), merged: join(dir, 'merged') };
    await mkdir(m.upper, { recursive: true });
    await mkdir(m.work);
    await mkdir(m.merged);
    await mkdir(this.#layers, { recursive: true });
    try {
      await this.#mount(m.merged, lowers, m);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new StepMount(this, dir, m.merged, m.upper, lowers);
  }

  /** Turns an unmounted step's upper directory into a layer. */
  async commitStep(step: StepMount, desc: Omit<LayerInfo, 'dir'>): Promise<LayerInfo> {
    await rm(join(step.dir, 'work'), { recursive: true, force: true });
    await rm(join(step.dir, 'merged'), { recursive: true, force: true });
    await writeFileAtomic(join(step.dir, 'layer.json'), JSON.stringify(desc));
    return this.#install(step.dir, desc);
  }

  /** Removes leftovers of builds that died (unmounting what is still mounted). */
  async cleanWork(): Promise<void> {
    for (const name of await readdir(this.#work).catch(() => [] as string[])) {
      const d = join(this.#work, name);
      await umount(join(d, 'merged')).catch(() => undefined);
      await umount(d).catch(() => undefined);
      await rm(d, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

export class StepMount {
  #mounted = true;
  constructor(
    readonly store: LayerStore,
    readonly dir: string,
    readonly merged: string,
    readonly upper: string,
    readonly lowers: LayerInfo[],
  ) {}

  async unmount(): Promise<void> {
    if (!this.#mounted) return;
    await umount(this.merged);
    this.#mounted = false;
  }

  async discard(): Promise<void> {
    await this.unmount().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * Is a directory of the upper dir opaque? Read without xattrs (Node has no API for them): it is
   * when some name the lower layers show there is neither in the upper dir nor in the merged view.
   * Must be called while mounted. When the lower directory was empty it does not matter: false.
   */
  opacity(): { isOpaque: (rel: string) => Promise<boolean>; release: () => Promise<void> } {
    let view: Promise<{ dir: string; release: () => Promise<void> }> | undefined;
    return {
      isOpaque: async (rel) => {
        view ??= this.store.lowerView(this.lowers);
        const lower = join((await view).dir, rel);
        const st = await lstat(lower).catch(() => undefined);
        if (!st?.isDirectory()) return false;
        const upperNames = new Set(await readdir(join(this.upper, rel)));
        for (const name of await visibleNames(lower)) {
          if (upperNames.has(name)) continue;
          if (!(await lstat(join(this.merged, rel, name)).catch(() => undefined))) return true;
        }
        return false;
      },
      release: async () => {
        if (view) await (await view).release();
      },
    };
  }
}

/** Names in a directory of a lower view, leaving out overlay whiteouts (when it is a raw layer). */
async function visibleNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const st: Stats | undefined = await lstat(join(dir, name)).catch(() => undefined);
    if (st && !isWhiteout(st)) out.push(name);
  }
  return out;
}

export async function umount(target: string): Promise<void> {
  try {
    await runCommand('umount', [target]);
  } catch (err) {
    const msg = ((err as { stderr?: string }).stderr ?? '').trim();
    if (/not mounted|no mount point/.test(msg)) return;
    // Busy for a moment (a process of the step still exiting): detach lazily.
    await runCommand('umount', ['-l', target]);
  }
}
