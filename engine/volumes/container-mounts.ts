// A container's mounts, made on the host when it is created (the engine's VolumesPort):
//  - its volumeMounts (container-config.ts's requests): host paths checked or made as hostPath.type
//    says, emptyDirs as directories of the container, tmpfs, named volumes made on first use;
//  - volumesFrom: the named volumes and binds of another Container's container, at their paths;
//  - the image's VOLUMEs not mounted otherwise: an anonymous volume each, named after the Container
//    object and the path (a recreated container gets the same one back, as Compose does);
//  - copy-up into a named or anonymous volume that is empty (unless noCopy), as Docker does;
//  - subPaths resolved inside their volume and bound under <root>/subpaths/<id>/ (subpath.ts).
// What was made is written to <container dir>/mounts.json: who uses which volume (usage.ts), what
// --volumes-from copies, and what to mount again after a reboot (restore) or undo (release).
import { createHash } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import type { ContainerSpec } from '../../specs/schema.ts';
import type { MountPlan, MountRequest } from '../container-config.ts';
import { writeFileUnpublished } from '../fs-atomic.ts';
import { copyUp } from './copy-up.ts';
import { ANONYMOUS_LABEL, type LocalVolumes } from './local-volumes.ts';
import { isMountPoint } from './mount-table.ts';
import { stageSubPath, unstageAll } from './subpath.ts';
import { allMounts, MOUNTS_FILE, readMounts, type MountEntry, type MountsRecord } from './usage.ts';
import { byCodeUnit } from '../../specs/order.ts';
import { isoTime } from '../../specs/timestamps.ts';

export interface PrepareRequest {
  id: string;
  /** The container's directory: emptyDirs live under it, mounts.json is written there. */
  dir: string;
  owner: { name: string; uid: string };
  requests: MountRequest[];
  volumesFrom?: ContainerSpec['volumesFrom'];
  /** Paths that get an anonymous volume unless mounted otherwise: the image's VOLUMEs, the spec's anonymousVolumes. */
  anonymous?: string[];
  /** The container's root filesystem (mounted, nothing running in it yet): copy-up reads it. */
  rootfs: string;
}

/** What BerthEngine asks of the volumes part when it creates, starts and removes a container. */
export interface VolumesPort {
  /** Makes the container's mounts; undone by release(). */
  prepare(req: PrepareRequest): Promise<MountPlan[]>;
  /** Before each start: devices and subPath binds mounted again if a reboot took them. */
  restore(id: string): Promise<void>;
  /** At removal: subPath binds undone; the container no longer uses its volumes. */
  release(id: string): Promise<void>;
}

function volumesOf(rec: MountsRecord): string[] {
  return [...new Set(rec.mounts.flatMap((m) => (m.kind === 'volume' && m.volume ? [m.volume] : [])))];
}

/** Docker's mount order: parents before what is mounted inside them. */
export function sortMounts<T extends { destination: string }>(mounts: T[]): T[] {
  const depth = (d: string) => d.split('/').filter(Boolean).length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);
}

/** An image VOLUME's anonymous volume: 64 hex characters, as Docker's, from the Container object and the path. */
export function anonymousName(ownerUid: string, path: string): string {
  return createHash('sha256').update(`${ownerUid}:${path}`).digest('hex');
}

function entryOf(r: MountRequest): MountEntry {
  const base = { destination: r.destination, readOnly: r.readOnly };
  switch (r.kind) {
    case 'bind':
      return { ...base, kind: 'bind', hostPath: r.hostPath, ...(r.subPath ? { subPath: r.subPath } : {}) };
    case 'emptyDir':
      return { ...base, kind: 'emptyDir', volume: r.volume, ...(r.subPath ? { subPath: r.subPath } : {}) };
    case 'tmpfs':
      return { ...base, kind: 'tmpfs' };
    case 'volume':
      return { ...base, kind: 'volume', volume: r.volume, ...(r.subPath ? { subPath: r.subPath } : {}) };
  }
}

export class ContainerVolumes implements VolumesPort {
  readonly #root: string;
  readonly #volumes: LocalVolumes;

  constructor(o: { root: string; volumes: LocalVolumes }) {
    this.#root = o.root;
    this.#volumes = o.volumes;
  }

  async prepare(req: PrepareRequest): Promise<MountPlan[]> {
    const who = `container "${req.owner.name}"`;
    try {
      const entries: Array<{ e: MountEntry; request?: MountRequest; copy: boolean }> = req.requests.map((r) => ({
        e: entryOf(r),
        request: r,
        copy: r.kind === 'volume' && !r.noCopy && !r.subPath,
      }));
      const taken = new Set(req.requests.map((r) => r.destination));
      for (const from of req.volumesFrom ?? []) {
        const src = await this.#newestOf(from.name, req.id);
        if (!src) throw new FailedPreconditionError(`${who}: volumesFrom "${from.name}": that Container has no container (not created yet, or removed); its volumes come from a created one`);
        for (const m of src.mounts) {
          if ((m.kind !== 'volume' && m.kind !== 'bind') || taken.has(m.destination)) continue;
          taken.add(m.destination);
          const { staged: _s, ...rest } = m;
          entries.push({ e: { ...rest, readOnly: from.readOnly ?? m.readOnly }, copy: false });
        }
      }
      for (const p of req.anonymous ?? []) {
        const destination = normalize(p).replace(/(.)\/+$/, '$1');
        if (!destination.startsWith('/') || destination === '/' || taken.has(destination)) continue;
        taken.add(destination);
        entries.push({ e: { destination, readOnly: false, kind: 'volume', volume: anonymousName(req.owner.uid, destination), anonymous: true }, copy: true });
      }

      const plans: MountPlan[] = [];
      for (const [i, { e, request, copy }] of entries.entries()) plans.push(await this.#make(req, e, i, copy, request));
      const record: MountsRecord = { id: req.id, owner: req.owner.name, uid: req.owner.uid, createdAt: isoTime(), mounts: entries.map((x) => x.e) };
      // The container's directory is a create in progress (fs-atomic.ts writeFileUnpublished).
      writeFileUnpublished(join(req.dir, MOUNTS_FILE), JSON.stringify(record, null, 2));
      this.#volumes.usageChanged(volumesOf(record));
      return sortMounts(plans);
    } finally {
      // Written (or failed, and release() follows): mounts.json speaks for the container now.
      this.#volumes.unpin(req.id);
    }
  }

  async restore(id: string): Promise<void> {
    const rec = await readMounts(this.#containerDir(id));
    for (const e of rec?.mounts ?? []) {
      if (e.kind === 'volume' && e.volume) await this.#volumes.ensureMounted(e.volume);
      if (e.staged && e.subPath && !(await isMountPoint(e.staged))) {
        await stageSubPath(this.#baseOf(id, e), e.subPath, e.staged, `container "${rec!.owner}"`);
      }
    }
  }

  async release(id: string): Promise<void> {
    await unstageAll(join(this.#root, 'subpaths', id));
    const rec = await readMounts(this.#containerDir(id));
    await unlink(join(this.#containerDir(id), MOUNTS_FILE)).catch(() => undefined);
    this.#volumes.unpin(id);
    if (rec) this.#volumes.usageChanged(volumesOf(rec));
  }

  async #make(req: PrepareRequest, e: MountEntry, i: number, copy: boolean, request?: MountRequest): Promise<MountPlan> {
    const who = `container "${req.owner.name}"`;
    const bind = (source: string): MountPlan => ({ destination: e.destination, type: 'bind', source, options: ['rbind', e.readOnly ? 'ro' : 'rw'] });
    const staged = async (base: string): Promise<string> => {
      if (!e.subPath) return base;
      e.staged = join(this.#root, 'subpaths', req.id, String(i));
      await stageSubPath(base, e.subPath, e.staged, who);
      return e.staged;
    };
    switch (e.kind) {
      case 'tmpfs':
        return { destination: e.destination, type: 'tmpfs', source: 'tmpfs', options: request?.kind === 'tmpfs' ? request.options : [] };
      case 'bind':
        await checkHostPath(e.hostPath!, request?.kind === 'bind' ? request.hostType : undefined, who);
        return bind(await staged(e.hostPath!));
      case 'emptyDir': {
        const dir = join(req.dir, 'volumes', e.volume!);
        await mkdir(dir, { recursive: true });
        return bind(await staged(dir));
      }
      case 'volume': {
        const v = await this.#volumes.use(
          e.volume!,
          { name: req.owner.name, id: req.id },
          e.anonymous ? { labels: { [ANONYMOUS_LABEL]: '' }, anonymous: { owner: req.owner.name, uid: req.owner.uid, path: e.destination } } : undefined,
          async (vol) => {
            if (copy) await copyUp(req.rootfs, e.destination, vol.mountpoint);
          },
        );
        return bind(await staged(v.mountpoint));
      }
    }
  }

  /** Where a mount entry's subPath is resolved from. */
  #baseOf(id: string, e: MountEntry): string {
    if (e.kind === 'bind') return e.hostPath!;
    if (e.kind === 'emptyDir') return join(this.#containerDir(id), 'volumes', e.volume!);
    return this.#volumes.mountpoint(e.volume!);
  }

  #containerDir(id: string): string {
    return join(this.#root, 'containers', id);
  }

  /** The newest container of a Container object, other than the one being made. */
  async #newestOf(owner: string, except: string): Promise<MountsRecord | undefined> {
    const all = (await allMounts(join(this.#root, 'containers'))).filter((r) => r.owner === owner && r.id !== except);
    return all.sort((a, b) => byCodeUnit(b.createdAt, a.createdAt))[0];
  }
}

/**
 * The host paths a spec binds that must be there already (hostPath.type unset, Directory, File…),
 * checked before a `run` makes its Container object: a missing one is an error then, with nothing made.
 */
export async function checkBindSources(name: string, spec: ContainerSpec): Promise<void> {
  for (const v of spec.volumes ?? []) {
    const type = v.hostPath?.type;
    if (v.hostPath && type !== 'DirectoryOrCreate' && type !== 'FileOrCreate') await checkHostPath(v.hostPath.path, type, `container "${name}"`);
  }
}

/** Kubernetes' hostPath types; unset: the path must be there (Docker's --mount type=bind). */
async function checkHostPath(path: string, type: string | undefined, who: string): Promise<void> {
  let st = await stat(path).catch(() => undefined);
  if (!st && type === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  if (!st && type === 'FileOrCreate') {
    await (await open(path, 'a', 0o644)).close();
    st = await stat(path);
  }
  if (!st) throw new FailedPreconditionError(`${who}: bind source path does not exist: ${path}; create it, or use hostPath.type DirectoryOrCreate (Docker's -v makes it)`);
  const want: Record<string, [boolean, string]> = {
    Directory: [st.isDirectory(), 'a directory'],
    DirectoryOrCreate: [st.isDirectory(), 'a directory'],
    File: [st.isFile(), 'a file'],
    FileOrCreate: [st.isFile(), 'a file'],
    Socket: [st.isSocket(), 'a socket'],
    CharDevice: [st.isCharacterDevice(), 'a character device'],
    BlockDevice: [st.isBlockDevice(), 'a block device'],
  };
  const check = type ? want[type] : undefined;
  if (check && !check[0]) throw new FailedPreconditionError(`${who}: hostPath ${path} is not ${check[1]} (hostPath.type ${type})`);
}
