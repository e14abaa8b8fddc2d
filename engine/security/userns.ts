// User namespaces (hostUsers: false, `run --userns=auto`): each such container gets 65536 IDs of
// its own, taken from berth's range in /etc/subuid and /etc/subgid — an entry "berth:START:COUNT"
// the daemon adds when there is none, past every range already given out, as useradd would. The
// container's root is the first ID of its slice: nobody on the host. The slices in use are those
// of the containers on disk (the engine says which); one allocator per daemon hands them out.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FailedPreconditionError, UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { isMounted } from '../mount-point.ts';

const run = promisify(execFile);

/** IDs per container: a full 16-bit range, so every uid an image may use maps. */
export const USERNS_SIZE = 65536;
/** berth's range when it adds one: 1024 containers. */
const RANGE_SLICES = 1024;
const FIRST_ID = 100000;

export interface UsernsMapping {
  /** The host uid (and gid) of the container's root; 65536 IDs from there. */
  uid: number;
  gid: number;
  size: number;
}

export interface IdRange {
  start: number;
  count: number;
}

/** The ranges of `user` in a subid file's text ("name:start:count" lines). */
export function subidRanges(text: string, user: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const [name, start, count] = line.trim().split(':');
    if (name === user && /^\d+$/.test(start ?? '') && /^\d+$/.test(count ?? '')) out.push({ start: Number(start), count: Number(count) });
  }
  return out;
}

/** The first ID past every range of the file (and past FIRST_ID), rounded up to a slice. */
export function nextFreeStart(text: string): number {
  let end = FIRST_ID;
  for (const line of text.split('\n')) {
    const [, start, count] = line.trim().split(':');
    if (/^\d+$/.test(start ?? '') && /^\d+$/.test(count ?? '')) end = Math.max(end, Number(start) + Number(count));
  }
  return Math.ceil(end / USERNS_SIZE) * USERNS_SIZE;
}

export interface UsernsOptions {
  subuidFile?: string;
  subgidFile?: string;
  /** The name berth's ranges are under (default "berth"). */
  user?: string;
}

export class UsernsAllocator {
  readonly #uidFile: string;
  readonly #gidFile: string;
  readonly #user: string;
  /** Slices handed out by this daemon whose containers may not be on disk yet (creates in flight). */
  readonly #reserved = new Map<string, number>();
  #ranges: Promise<{ uid: IdRange; gid: IdRange }> | undefined;

  constructor(o: UsernsOptions = {}) {
    this.#uidFile = o.subuidFile ?? '/etc/subuid';
    this.#gidFile = o.subgidFile ?? '/etc/subgid';
    this.#user = o.user ?? 'berth';
  }

  /** berth's range in each file, added when missing. */
  ranges(): Promise<{ uid: IdRange; gid: IdRange }> {
    this.#ranges ??= (async () => ({ uid: await this.#ensure(this.#uidFile), gid: await this.#ensure(this.#gidFile) }))();
    this.#ranges.catch(() => (this.#ranges = undefined));
    return this.#ranges;
  }

  async #ensure(file: string): Promise<IdRange> {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw new UnavailableError(`user namespaces: cannot read ${file}: ${err.message}`);
    });
    const mine = subidRanges(text, this.#user).find((r) => r.count >= USERNS_SIZE);
    if (mine) return mine;
    if (subidRanges(text, this.#user).length) {
      throw new FailedPreconditionError(`user namespaces: ${file} gives "${this.#user}" fewer than ${USERNS_SIZE} IDs; give it at least that many (e.g. ${this.#user}:${nextFreeStart(text)}:${USERNS_SIZE * RANGE_SLICES})`);
    }
    const range = { start: nextFreeStart(text), count: USERNS_SIZE * RANGE_SLICES };
    const body = `${text}${text && !text.endsWith('\n') ? '\n' : ''}${this.#user}:${range.start}:${range.count}\n`;
    await writeFileAtomic(file, body, { durable: true }).catch((err: Error) => {
      throw new UnavailableError(`user namespaces: cannot add berth's range to ${file}: ${err.message}`);
    });
    return range;
  }

  /**
   * A slice for container `id` not used by any of `inUse` (the root uids of the containers on
   * disk) nor reserved by a create in flight; the same slice again when `id` has one.
   */
  async allocate(id: string, inUse: Iterable<number>): Promise<UsernsMapping> {
    const { uid, gid } = await this.ranges();
    const taken = new Set([...inUse, ...this.#reserved.values()].map((u) => u - uid.start));
    const have = this.#reserved.get(id);
    if (have !== undefined) return { uid: have, gid: gid.start + (have - uid.start), size: USERNS_SIZE };
    const slices = Math.min(Math.floor(uid.count / USERNS_SIZE), Math.floor(gid.count / USERNS_SIZE));
    for (let i = 0; i < slices; i++) {
      const off = i * USERNS_SIZE;
      if (taken.has(off)) continue;
      this.#reserved.set(id, uid.start + off);
      return { uid: uid.start + off, gid: gid.start + off, size: USERNS_SIZE };
    }
    throw new UnavailableError(`user namespaces: all ${slices} ID ranges of "${this.#user}" in ${this.#uidFile} are in use; remove containers with hostUsers: false, or give berth a larger range`);
  }

  /** The container is on disk (its record holds the slice) or gone: the reservation ends. */
  release(id: string): void {
    this.#reserved.delete(id);
  }
}

/**
 * A sysfs for a container in a user namespace, mounted read-only at <dir>/sys on the host: the
 * kernel lets only the owner of a network namespace mount its sysfs, and the container's user
 * namespace does not own the one the network manager made (nor the host's), so the engine mounts
 * it — in that network namespace, which a sysfs shows — and the bundle binds it to /sys.
 * Mounted again each time (the network namespace may have been rebuilt).
 */
export async function mountSysfs(dir: string, netnsPath: string | undefined): Promise<string> {
  const target = join(dir, 'sys');
  await unmountSysfs(dir);
  await mkdir(target, { recursive: true });
  const mount = ['mount', '-t', 'sysfs', '-o', 'ro,nosuid,nodev,noexec', 'sysfs', target];
  try {
    if (netnsPath) await run('nsenter', [`--net=${netnsPath}`, '--', ...mount]);
    else await run(mount[0]!, mount.slice(1));
  } catch (err) {
    throw new UnavailableError(`mount a sysfs for ${dir}: ${commandErrorText(err)}`);
  }
  return target;
}

/** Unmounts what mountSysfs mounted (every layer of it); nothing to do is fine. */
export async function unmountSysfs(dir: string): Promise<void> {
  const target = join(dir, 'sys');
  for (let i = 0; i < 8 && isMounted(target); i++) {
    await run('umount', [target]).catch(() => run('umount', ['-l', target]));
  }
}

/**
 * A container in a user namespace reaches its rootfs and bundle as an unprivileged host uid: every
 * directory on the way needs search permission for others. Those of the data root are the
 * daemon's, given it (o+x, no listing: Docker's data root is 0711 under userns-remap); one above
 * the data root without it is an error that names it.
 */
export async function ensureReachable(path: string, dataRootIn: string): Promise<void> {
  const dataRoot = resolve(dataRootIn);
  const parts = path.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    const st = await stat(dir);
    if (!st.isDirectory() || st.mode & 0o001) continue;
    if (dir === dataRoot || dir.startsWith(`${dataRoot}/`)) await chmod(dir, (st.mode & 0o7777) | 0o001);
    else {
      throw new FailedPreconditionError(
        `hostUsers: false: the container's root, an unprivileged host uid, cannot reach ${path}: ${dir} is not searchable by others; chmod o+x ${dir}`,
      );
    }
  }
}
