// Volumes on the host, with Docker's local driver: <root>/volumes/<name> is a volume's data (its
// mountpoint), <root>/volumes/.meta/<name>.json what it was made with (options, labels, the Volume
// object or the container it was made for). A volume with driver options has its device mounted at
// the mountpoint (a host directory bound with type none + o=bind, a tmpfs, or any filesystem
// mount(8) knows), mounted again when found unmounted (after a reboot). A volume in use — mounted
// by any container that exists, running or not, or by one being created — is never removed.
import { lstat, mkdir, readdir, readFile, rm, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { volumeName } from '../../specs/meta.ts';
import { parseStorage } from '../../specs/quantity.ts';
import type { VolumeUser } from '../../specs/api/volumes.ts';
import { optionsText, sameDriverOpts, type DriverOpts, type VolumeSpec } from '../../specs/volume.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { KeyedLock } from '../keyed-lock.ts';
import { hasMountsUnder, isMountPoint, runTool } from './mount-table.ts';
import { volumeUsers } from './usage.ts';
import { measureBytes } from './size.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** Docker marks the volumes it makes for an image's VOLUME (or `-v /path`) with this label. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface LocalVolume {
  name: string;
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  options: DriverOpts;
  requests?: VolumeSpec['requests'];
  /** The uid of the Volume object it was made for, if any. */
  object?: string;
  /** Made for one path of one Container object (the image's VOLUME there). */
  anonymous?: { owner: string; uid: string; path: string };
}

/** A Volume object, as the volumes made on first use must honour it. */
export interface VolumeDeclaration {
  uid: string;
  spec: VolumeSpec;
  labels?: Record<string, string>;
}

export interface CreateVolume {
  spec?: VolumeSpec;
  labels?: Record<string, string>;
  object?: string;
  anonymous?: LocalVolume['anonymous'];
}

type Meta = Omit<LocalVolume, 'mountpoint'>;


export class LocalVolumes {
  readonly dir: string;
  readonly #meta: string;
  readonly #containers: string;
  readonly #declared: (name: string) => VolumeDeclaration | undefined;
  readonly #lock = new KeyedLock();
  /** Volumes a container being created holds before its mounts.json says so: container id → names. */
  readonly #pins = new Map<string, { user: VolumeUser; names: Set<string> }>();
  readonly #listeners = new Set<(names: string[]) => void>();

  constructor(o: { root: string; declared?: (name: string) => VolumeDeclaration | undefined }) {
    this.dir = join(o.root, 'volumes');
    this.#meta = join(this.dir, '.meta');
    this.#containers = join(o.root, 'containers');
    this.#declared = o.declared ?? (() => undefined);
  }

  mountpoint(name: string): string {
    return join(this.dir, checkName(name));
  }

  async list(): Promise<LocalVolume[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => volumeName.safeParse(n).success).sort();
    const out: LocalVolume[] = [];
    for (const n of names) {
      const v = await this.get(n).catch(() => undefined);
      if (v) out.push(v);
    }
    return out;
  }

  async get(name: string): Promise<LocalVolume | undefined> {
    const dir = this.mountpoint(name);
    const st = await lstat(dir).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isDirectory()) throw new FailedPreconditionError(`volume "${name}": ${dir} is not a directory; remove it by hand`);
    const meta = await readFile(join(this.#meta, `${name}.json`), 'utf8').then((t) => JSON.parse(t) as Meta, () => undefined);
    // A directory without a record: a volume made before records were kept. Its options were none.
    return { ...(meta ?? { name, createdAt: dockerTime(st.mtime), labels: {}, options: {} }), mountpoint: dir };
  }

  async mustGet(name: string): Promise<LocalVolume> {
    const v = await this.get(name);
    if (!v) throw new NotFoundError(`no such volume: ${name} (\`berth volume ls\` lists them)`);
    return v;
  }

  /**
   * Makes a volume, or returns the one there when its options are the same (Docker's `volume
   * create` of an existing name); another set of options is an AlreadyExistsError. Nothing is left
   * behind when it fails (a device that will not mount, too little free space).
   */
  create(name: string, o: CreateVolume = {}): Promise<{ volume: LocalVolume; created: boolean }> {
    return this.#locked(name, async () => {
      const options = o.spec?.driverOpts ?? {};
      const existing = await this.get(name);
      if (existing) {
        if (!sameDriverOpts(existing.options, options)) {
          throw new AlreadyExistsError(
            `volume "${name}" already exists with options ${optionsText(existing.options)}, not ${optionsText(options)}; remove it first (\`berth volume rm ${name}\`: its data goes with it) or use another name`,
          );
        }
        await this.#ensureMounted(existing);
        return { volume: existing, created: false };
      }
      const meta: Meta = {
        name,
        createdAt: dockerTime(new Date()),
        labels: o.labels ?? {},
        options,
        ...(o.spec?.requests ? { requests: o.spec.requests } : {}),
        ...(o.object ? { object: o.object } : {}),
        ...(o.anonymous ? { anonymous: o.anonymous } : {}),
      };
      const volume = { ...meta, mountpoint: this.mountpoint(name) };
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await mkdir(this.#meta, { recursive: true, mode: 0o700 });
      await mkdir(volume.mountpoint, { mode: 0o755 });
      try {
        await this.#ensureMounted(volume);
        await checkCapacity(volume);
        await writeFileAtomic(join(this.#meta, `${name}.json`), JSON.stringify(meta, null, 2));
      } catch (err) {
        if (await isMountPoint(volume.mountpoint)) await runTool('umount', [volume.mountpoint]).catch(() => undefined);
        if (!(await hasMountsUnder(volume.mountpoint))) await rm(volume.mountpoint, { recursive: true, force: true });
        throw err;
      }
      return { volume, created: true };
    });
  }

  /**
   * The volume a container mounts by name, made on first use (Docker's `-v name:/path`) with what
   * its Volume object says when there is one (else with `fresh`), pinned to the container until it
   * is unpinned; fn runs on it under the volume's lock (copy-up).
   */
  async use(name: string, user: VolumeUser, fresh: CreateVolume | undefined, fn: (v: LocalVolume, created: boolean) => Promise<void>): Promise<LocalVolume> {
    // Pinned first: from here on a removal sees the volume in use.
    const pin = this.#pins.get(user.id) ?? { user, names: new Set<string>() };
    pin.names.add(name);
    this.#pins.set(user.id, pin);
    const decl = this.#declared(name);
    const { volume, created } = await this.create(name, decl ? { spec: decl.spec, labels: decl.labels ?? {}, object: decl.uid } : (fresh ?? {})).catch(async (err) => {
      // The volume exists with other options than the object declares: use it as it is (the
      // volume controller reports the difference on the object).
      if (err instanceof AlreadyExistsError) return { volume: await this.mustGet(name), created: false };
      throw err;
    });
    await this.#locked(name, async () => {
      await this.#ensureMounted(volume);
      await fn(volume, created);
    });
    return volume;
  }

  /** Calls fn with the names of volumes whose users changed (a container made or removed). */
  onUsageChange(fn: (names: string[]) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  usageChanged(names: string[]): void {
    if (names.length) for (const fn of this.#listeners) fn(names);
  }

  /** Drops a container's pins (its mounts.json, written or removed, now speaks for it). */
  unpin(containerId: string): void {
    this.#pins.delete(containerId);
  }

  /** Mounts a volume's device again if it is not mounted (a reboot unmounts them all). */
  async ensureMounted(name: string): Promise<void> {
    const v = await this.get(name);
    if (v) await this.#locked(name, () => this.#ensureMounted(v));
  }

  /** Who has each volume mounted: containers on disk, and creates in progress. */
  async usage(): Promise<Map<string, VolumeUser[]>> {
    const users = await volumeUsers(this.#containers, this.dir);
    for (const [id, { user, names }] of this.#pins) {
      for (const n of names) {
        const list = users.get(n) ?? [];
        if (!list.some((u) => u.id === id)) list.push(user);
        users.set(n, list);
      }
    }
    return users;
  }

  async users(name: string): Promise<VolumeUser[]> {
    return (await this.usage()).get(name) ?? [];
  }

  /** Removes a volume and its data; a volume in use is a FailedPreconditionError naming its users. */
  remove(name: string): Promise<void> {
    return this.#locked(name, async () => {
      const v = await this.mustGet(name);
      const users = await this.users(name);
      if (users.length) throw inUseError(name, users);
      if (await isMountPoint(v.mountpoint)) await runTool('umount', [v.mountpoint]);
      // Never delete through a mount: the data there is not this volume's.
      if (await hasMountsUnder(v.mountpoint)) throw new FailedPreconditionError(`volume "${name}": something is still mounted under ${v.mountpoint}; unmount it, then remove the volume`);
      await rm(v.mountpoint, { recursive: true, force: true });
      await unlink(join(this.#meta, `${name}.json`)).catch(() => undefined);
    });
  }

  /** Sets a volume's labels or the Volume object it belongs to (adopted, or its labels changed). */
  async update(name: string, change: { labels?: Record<string, string>; object?: string }): Promise<LocalVolume> {
    return this.#locked(name, async () => {
      const { mountpoint, ...meta } = await this.mustGet(name);
      const next = { ...meta, ...change };
      await mkdir(this.#meta, { recursive: true, mode: 0o700 });
      await writeFileAtomic(join(this.#meta, `${name}.json`), JSON.stringify(next, null, 2));
      return { ...next, mountpoint };
    });
  }

  /** Bytes of data in the volume (a walk of its tree: callers keep the answer). */
  async size(name: string): Promise<number> {
    return measureBytes(this.mountpoint(name));
  }

  async #ensureMounted(v: LocalVolume): Promise<void> {
    const { type, device, o } = v.options;
    if (!type || !device || (await isMountPoint(v.mountpoint))) return;
    if (type === 'none') {
      const st = await lstat(device).catch(() => undefined);
      if (!st) throw new FailedPreconditionError(`volume "${v.name}": device ${device} does not exist; create it, or make the volume with another device`);
    }
    try {
      await runTool('mount', ['-t', type, ...(o ? ['-o', o] : []), device, v.mountpoint]);
    } catch (err) {
      throw new FailedPreconditionError(`volume "${v.name}": cannot mount ${device} (type ${type}): ${(err as Error).message}`, { cause: err });
    }
  }

  #locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(name, fn);
  }
}

/** The error for removing a volume that containers use: it names them and says what to do. */
export function inUseError(name: string, users: VolumeUser[]): FailedPreconditionError {
  const who = users.map((u) => u.name || u.id.slice(0, 12));
  return new FailedPreconditionError(
    `volume "${name}" is in use by container${who.length > 1 ? 's' : ''} ${who.join(', ')}; remove ${who.length > 1 ? 'them' : 'it'} first (\`berth rm ${who.join(' ')}\`)`,
  );
}

/** The name, or an InvalidArgumentError: it becomes a directory name, so nothing else may pass. */
export function checkName(name: string): string {
  const r = volumeName.safeParse(name);
  if (!r.success) throw new InvalidArgumentError(`volume name "${name}" is not valid: ${r.error.issues[0]?.message ?? 'bad name'}`);
  return name;
}

/** RFC 3339 in seconds, as Docker prints CreatedAt. */
export function dockerTime(d: Date): string {
  return isoTime(d).replace(/\.\d{3}Z$/, 'Z');
}

/** A storage request (a claim's) must fit in what the volume's filesystem has free. */
async function checkCapacity(v: LocalVolume): Promise<void> {
  const want = v.requests?.storage;
  if (want === undefined) return;
  const bytes = parseStorage(want);
  const fs = await statfs(v.mountpoint);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) {
    throw new FailedPreconditionError(
      `volume "${v.name}" requests ${want} of storage but ${v.mountpoint} has ${(free / 2 ** 30).toFixed(2)}Gi free; free some space or lower resources.requests.storage`,
    );
  }
}
