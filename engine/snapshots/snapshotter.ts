// Overlay snapshots: each layer unpacked once, into layers/<chain id>/ (the chain id names a layer
// together with everything below it, so one directory serves every image that shares the stack);
// each container gets containers/<key>/{upper,work,rootfs}: an overlay mount of its image's layers
// with a writable upper directory (copy-on-write), kept until the container is removed.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { mountFs, unmountFs } from '../spawner.ts';
import { nativeBinary } from '../runtime/monitored-runtime.ts';
import { filesystemUsage } from './disk-usage.ts';
import { isMounted } from '../mount-point.ts';
import { makeSpreadEntry } from '../spread-dirs.ts';
import { UnpackPool } from './unpack-pool.ts';
import type { FsUsage } from '../../specs/api/containers.ts';

const run = promisify(execFile);

export interface LayerRef {
  /** Blob path of the (compressed) layer. */
  blob: string;
  diffId: string;
}

/** A rootfs for a user namespace: the layers idmapped so that ID 0 is host `uid`/`gid`, `size` IDs long. */
export interface RootfsIdmap {
  uid: number;
  gid: number;
  size: number;
}

export interface Snapshot {
  key: string;
  rootfs: string;
  upper: string;
  work: string;
}

/** chainID(L0) = diffID(L0); chainID(L0..n) = sha256(chainID(L0..n-1) + " " + diffID(Ln)) (OCI image spec). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out[out.length - 1], d));
  return out;
}

/** One step of chainIds: the chain id of a layer on top of `parent` (none for the first layer). */
export function chainIdOf(parent: string | undefined, diffId: string): string {
  return parent ? `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}` : diffId;
}

/** Every snapshotter's layers unpack in one pool of workers: its size is about the host's cores. */
const unpackPool = new UnpackPool();

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class Snapshotter {
  readonly root: string;
  readonly #unpacking = new Map<string, Promise<string>>();

  /** <root>/containers: a directory per container (its key). */
  readonly #containers: string;

  constructor(root: string) {
    this.root = root;
    this.#containers = join(root, 'containers');
  }

  layerDir(chainId: string): string {
    return join(this.root, 'layers', chainId.replace(/^sha256:/, ''));
  }

  /** Unpacks what is missing of a layer stack (its chain ids, when known, given); returns the layer directories, bottom first. */
  async ensureLayers(layers: LayerRef[], ids = chainIds(layers.map((l) => l.diffId))): Promise<string[]> {
    // Each layer unpacks into its own directory, independent of the others: all at once.
    return Promise.all(layers.map((l, i) => this.#ensureLayer(ids[i]!, l)));
  }

  /** Unpacks one layer of a stack (its chain id given), if it is not yet. */
  ensureLayer(chainId: string, layer: LayerRef): Promise<string> {
    return this.#ensureLayer(chainId, layer);
  }

  #ensureLayer(chainId: string, layer: LayerRef): Promise<string> {
    const dir = this.layerDir(chainId);
    if (existsSync(dir)) return Promise.resolve(dir);
    let p = this.#unpacking.get(chainId);
    if (!p) {
      p = (async () => {
        // Unpacked aside and renamed into place: a crash never leaves a half layer under its id.
        const tmp = join(this.root, 'layers', `.tmp-${randomBytes(6).toString('hex')}`);
        try {
          await unpackPool.unpack({ blob: layer.blob, dir: tmp, diffId: layer.diffId });
          await rename(tmp, dir);
        } catch (err) {
          await rm(tmp, { recursive: true, force: true });
          throw err;
        }
        return dir;
      })().finally(() => this.#unpacking.delete(chainId));
      this.#unpacking.set(chainId, p);
    }
    return p;
  }

  /** The container's writable (upper) directory: what `commit` turns into a layer. */
  upperDir(key: string): string {
    return this.#paths(key).upper;
  }

  /** Makes the container's directory (and containers/ the first time); there already is fine. */
  #makeDir(dir: string): void {
    try {
      makeSpreadEntry(this.#containers, dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }

  #paths(key: string) {
    if (!KEY.test(key)) throw new InvalidArgumentError(`snapshot key "${key}" must match ${KEY}`);
    // Joined by hand: a key that matches KEY has no '/' and does not start with '.', so nothing is left to normalise.
    const d = `${this.#containers}/${key}`;
    return { dir: d, upper: `${d}/upper`, work: `${d}/work`, rootfs: `${d}/rootfs` };
  }

  /**
   * The container's rootfs: an overlay of `lowerDirs` (bottom first) under its own upper directory,
   * mounted. Idempotent: mounts it again (same upper) when it exists but is not mounted. With an
   * idmap, the layers are idmapped mounts (native/idmapped-overlay.c): no layer is copied or chowned.
   */
  async prepare(key: string, lowerDirs: string[], idmap?: RootfsIdmap): Promise<Snapshot> {
    const p = this.#paths(key);
    // Mounted already (a start right after its create): nothing to make. A rootfs that is not there
    // (a create) is not mounted either: one stat says so.
    if (isMounted(p.rootfs)) return { key, rootfs: p.rootfs, upper: p.upper, work: p.work };
    // Made synchronously: a mkdir is tens of µs of the kernel's, and through the thread pool each was
    // a round trip, with the creates of other containers contending in the same parent directory —
    // several times the CPU (engine/mount-point.ts says the same of stat).
    this.#makeDir(p.dir);
    for (const d of [p.upper, p.work, p.rootfs]) mkdirSync(d, { recursive: true });
    let lowers = lowerDirs;
    if (lowers.length === 0) {
      // overlayfs needs a lower directory: an image with no layers (FROM scratch) gets an empty one.
      const empty = join(this.root, 'layers', 'empty');
      await mkdir(empty, { recursive: true });
      lowers = [empty];
    }
    if (idmap) {
      const args = ['--target', p.rootfs, '--upper', p.upper, '--work', p.work, '--uid', String(idmap.uid), '--gid', String(idmap.gid), '--size', String(idmap.size)];
      try {
        await run(nativeBinary('berth-overlay'), [...args, ...[...lowers].reverse()]);
      } catch (err) {
        throw new UnavailableError(`mount the idmapped overlay for ${key}: ${commandErrorText(err)}`);
      }
      return { key, rootfs: p.rootfs, upper: p.upper, work: p.work };
    }
    // Relative lower paths (mount runs in layers/) keep the option string under the page-size limit.
    const layersDir = join(this.root, 'layers');
    const rel = lowers.map((d) => (d.startsWith(layersDir + '/') ? d.slice(layersDir.length + 1) : d));
    const opts = `lowerdir=${[...rel].reverse().join(':')},upperdir=${p.upper},workdir=${p.work}`;
    try {
      await mountFs('overlay', 'overlay', p.rootfs, opts, { cwd: layersDir });
    } catch (err) {
      throw new UnavailableError(`mount overlay for ${key}: ${commandErrorText(err)}`);
    }
    return { key, rootfs: p.rootfs, upper: p.upper, work: p.work };
  }

  /** Unmounts and deletes a container's snapshot; unknown keys are fine. */
  async remove(key: string): Promise<void> {
    const p = this.#paths(key);
    if (isMounted(p.rootfs)) {
      try {
        await unmountFs(p.rootfs);
      } catch {
        // Busy (a process still holds it): detach it now; the kernel frees it when released.
        await unmountFs(p.rootfs, { detach: true }).catch(() => undefined);
      }
    }
    await rm(p.dir, { recursive: true, force: true });
  }

  /** What the container's writable layer takes of its filesystem; undefined for unknown keys. */
  async usage(key: string): Promise<FsUsage | undefined> {
    const p = this.#paths(key);
    return existsSync(p.upper) ? filesystemUsage(p.upper) : undefined;
  }

  async keys(): Promise<string[]> {
    return readdir(join(this.root, 'containers')).catch(() => []);
  }

  /** Layers a crash left half unpacked (never under their id: they are unpacked aside). Only at start-up. */
  async removeStale(): Promise<void> {
    for (const name of await readdir(join(this.root, 'layers')).catch(() => [] as string[])) {
      if (name.startsWith('.tmp-')) await rm(join(this.root, 'layers', name), { recursive: true, force: true });
    }
  }

  /** Layer directories no longer used by any of `keepChainIds`. */
  async pruneLayers(keepChainIds: Set<string>): Promise<number> {
    let n = 0;
    for (const name of await readdir(join(this.root, 'layers')).catch(() => [] as string[])) {
      if (name === 'empty' || keepChainIds.has(`sha256:${name}`)) continue;
      await rm(join(this.root, 'layers', name), { recursive: true, force: true });
      n++;
    }
    return n;
  }
}
