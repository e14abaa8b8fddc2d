// The container records: <root>/containers/<id>/container.json — who owns a container, its image,
// its network. This store is the one writer of container.json; the engine
// reads each record once (it changes only through here). The file is written last by a create, so
// a directory without one is a create that did not finish: in progress (pending here) or left by
// a daemon that died in it.
// Being the one writer, it also knows every record once it has read the directory a first time
// (loaded()): one object's containers are then found in memory — each reconcile asks, and reading
// the directory for it made an apply of N containers read N² files (the creates in flight, which
// have no record yet, were read again at every ask).
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerOwner } from './engine.ts';
import { writeFileAtomic, writeFileUnpublished } from './fs-atomic.ts';
import { isBerthContainerId } from './ids.ts';
import { makeSpreadEntry } from './spread-dirs.ts';
import { InvalidArgumentError, NotFoundError } from '../specs/errdefs.ts';
import type { PortMapping } from '../specs/api/common.ts';
import type { UsernsMapping } from './security/userns.ts';

/** One of a container's networks after its first. */
export interface ExtraNetwork {
  network: string;
  aliases?: string[];
  ipAddress?: string;
}

export interface ContainerRecord {
  id: string;
  owner: ContainerOwner;
  image: { ref: string; digest: string };
  createdAt: string;
  stopSignal: string;
  /** The spec's terminationGracePeriodSeconds (absent in records older than it). */
  stopTimeoutSeconds?: number;
  /** ports as published (free host ports picked); aliases and extraHosts as the network was asked. */
  network: {
    /** Its first network (or host, none). */
    mode: string;
    /** A Pod's member: the Pod's uid, whose sandbox it joins. */
    sandbox?: string;
    ipAddress?: string;
    ports?: PortMapping[];
    aliases?: string[];
    extraHosts?: Array<{ ip: string; names: string[] }>;
    /** The networks after its first (an interface each), as connected: container-networks.ts. */
    more?: ExtraNetwork[];
  };
  /** hostUsers: false: the host IDs of the container's root (its rootfs is mapped to them). */
  userns?: UsernsMapping;
}

export class ContainerStore {
  readonly #root: string;
  readonly #cache = new Map<string, ContainerRecord>();
  /** Creates in progress: their directories have no container.json yet and are not leftovers. */
  readonly #pending = new Set<string>();
  /** Every record on disk is in #cache, from the first load on (written and deleted through here only). */
  #loaded: Promise<void> | undefined;
  /** Counts deletes: a read that a delete overtook is not cached (it would bring the record back). */
  #deletes = 0;
  /** The ids of the cached records by their owner's name (what each reconcile asks for). */
  readonly #byOwner = new Map<string, Set<string>>();

  #cacheSet(rec: ContainerRecord): void {
    const before = this.#cache.get(rec.id);
    if (before) this.#cacheDelete(before.id);
    this.#cache.set(rec.id, rec);
    let ids = this.#byOwner.get(rec.owner.name);
    if (!ids) this.#byOwner.set(rec.owner.name, (ids = new Set()));
    ids.add(rec.id);
  }

  #cacheDelete(id: string): void {
    const rec = this.#cache.get(id);
    if (!rec) return;
    this.#cache.delete(id);
    const ids = this.#byOwner.get(rec.owner.name);
    ids?.delete(id);
    if (ids?.size === 0) this.#byOwner.delete(rec.owner.name);
  }

  /** root: <data root>/containers */
  constructor(root: string) {
    this.#root = root;
  }

  /** The container's directory: its bundle (config.json) and its /etc files live there too. */
  dir(id: string): string {
    return join(this.#root, id);
  }

  /**
   * Makes the directory of a new container and runs `fn` in it; until `fn` settles the directory is
   * a create in progress (see pending). An existing directory is an InvalidArgumentError.
   */
  async creating<T>(id: string, fn: (dir: string) => Promise<T>): Promise<T> {
    this.#pending.add(id);
    try {
      try {
        makeSpreadEntry(this.#root, this.dir(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidArgumentError(`container ${id} already exists`);
        throw err;
      }
      return await fn(this.dir(id));
    } finally {
      this.#pending.delete(id);
    }
  }

  /** A create of `id` is in progress in this process. */
  pending(id: string): boolean {
    return this.#pending.has(id);
  }

  /** The ids of every container directory (finished or not). */
  async ids(): Promise<string[]> {
    return (await readdir(this.#root).catch(() => [] as string[])).filter(isBerthContainerId);
  }

  /** The record of `id`; NotFoundError when there is none. */
  async get(id: string): Promise<ContainerRecord> {
    if (!isBerthContainerId(id)) throw new NotFoundError(`container "${id}" not found`);
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const deletes = this.#deletes;
    try {
      const rec = JSON.parse(await readFile(join(this.dir(id), 'container.json'), 'utf8')) as ContainerRecord;
      if (deletes === this.#deletes && !this.#cache.has(id)) this.#cacheSet(rec);
      return rec;
    } catch (err) {
      // A record that cannot be parsed is no record: the engine treats the directory as a create
      // that did not finish and removes what it holds (berth-engine.ts list()).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) throw new NotFoundError(`container ${id} not found`);
      throw err;
    }
  }

  /**
   * The records of the containers `name` owns, from memory (the directory is read once, at the
   * first call): a create in progress, or a directory whose record cannot be read, is not among them.
   */
  async owned(name: string): Promise<ContainerRecord[]> {
    this.#loaded ??= this.ids().then(async (ids) => {
      await Promise.all(ids.map((id) => this.get(id).catch(() => undefined)));
    });
    await this.#loaded;
    return [...(this.#byOwner.get(name) ?? [])].map((id) => this.#cache.get(id)!);
  }

  /**
   * The record of a create, written last into its directory (creating()): its publication. Written
   * whole in one go, not atomically (fs-atomic.ts writeFileUnpublished): a crash that cuts it short
   * leaves a file that cannot be parsed, which is no record (get()), so the directory is a create that
   * did not finish, as one without the file is.
   */
  create(rec: ContainerRecord): void {
    writeFileUnpublished(join(this.dir(rec.id), 'container.json'), JSON.stringify(rec, null, 2));
    this.#cacheSet(rec);
  }

  /** Writes (replaces) the record of a container, atomically. */
  async write(rec: ContainerRecord): Promise<void> {
    await writeFileAtomic(join(this.dir(rec.id), 'container.json'), JSON.stringify(rec, null, 2));
    this.#cacheSet(rec);
  }

  /** Forgets the record and deletes the container's directory (bundle, /etc files). */
  async delete(id: string): Promise<void> {
    this.#cacheDelete(id);
    this.#deletes++;
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
