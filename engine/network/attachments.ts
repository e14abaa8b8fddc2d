// Attachment records: what berth knows of each container's network, at
// <root>/containers/<id>/attachment.json next to its hosts and resolv.conf, and its namespace at
// <root>/netns/<id>. Written before CNI ADD (state 'adding') with the exact conflist, and again
// with the ADD result: every DEL is run from it. A join's two writes make no new file for the second
// (begin(), ready()): the ADD result is added at the end of the first in place.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CniConfList, CniResult } from './cni.ts';
import { extendFileSync, writeFileAtomicSync, writeFileUnpublished } from '../fs-atomic.ts';
import { isRuntimeContainerId } from '../ids.ts';
import { markSpread } from '../spread-dirs.ts';
import type { PortMapping } from '../../specs/api/common.ts';

export interface AttachmentRecord {
  id: string;
  name: string;
  aliases: string[];
  mode: 'host' | 'none' | 'network';
  /** The network's name (mode network). */
  network?: string;
  /**
   * 'adding' until CNI ADD succeeded, 'removing' once detach began: either left is a crash in the
   * middle. Not in the file begin() writes: a record read without one is 'adding'.
   */
  state: 'adding' | 'ready' | 'removing';
  netnsPath?: string;
  confList?: CniConfList;
  result?: CniResult;
  /** As published: a free host port picked for hostPort 0 is recorded here. */
  ports: PortMapping[];
  /** Lines added to its /etc/hosts (hostAliases). */
  extraHosts?: Array<{ ip: string; names: string[] }>;
  ipAddress?: string;
  gateway?: string;
  createdAt: string;
  /** The other networks it was connected to (`network connect`), each an interface of its own (endpoints.ts). */
  endpoints?: EndpointRecord[];
}

/**
 * One more network of a container (Docker's endpoint): an interface eth1, eth2… in the same
 * namespace, added and deleted through CNI from its own conflist (no default route, no ports).
 */
export interface EndpointRecord {
  network: string;
  ifName: string;
  /** Its names on this network besides its own. */
  aliases: string[];
  /** As the record's: 'adding' until ADD succeeded, 'removing' once the disconnect began. */
  state: 'adding' | 'ready' | 'removing';
  confList: CniConfList;
  result?: CniResult;
  ipAddress?: string;
  gateway?: string;
}

/** What the engine is told of an attachment. */
export interface NetworkAttachment {
  /** The namespace to join (OCI linux.namespaces network path); undefined for host networking. */
  netnsPath?: string;
  ipAddress?: string;
  gateway?: string;
  /** Files to bind-mount on /etc/hosts and /etc/resolv.conf (kept on the same inode). */
  hostsFile: string;
  resolvConfFile: string;
  /** The ports published on the host (those with a hostPort). */
  ports: PortMapping[];
}

/** The engine's view of a record; `dir` is the container's directory (its hosts and resolv.conf). */
export function attachmentView(r: AttachmentRecord, dir: string): NetworkAttachment {
  return {
    ...(r.netnsPath ? { netnsPath: r.netnsPath } : {}),
    ...(r.ipAddress ? { ipAddress: r.ipAddress } : {}),
    ...(r.gateway ? { gateway: r.gateway } : {}),
    hostsFile: join(dir, 'hosts'),
    resolvConfFile: join(dir, 'resolv.conf'),
    ports: r.ports,
  };
}

/**
 * The records, kept in memory as well as on disk: the manager is their one writer, and it reads
 * them all at every join and leave (the plan's peers, every member's /etc/hosts) — from disk, an
 * apply of N containers read N² files. all() still lists the directory, so that a record another
 * process made or removed (a daemon killed before this one) is seen.
 * The files are read, written and removed synchronously, and so are these methods (a record is a
 * few KiB; the directory a few entries): they are used under the manager's lock, where every trip
 * through the thread pool waited behind the I/O of all the containers being started, and every
 * await behind all the daemon's queued work, while each join waited for the lock in turn (in an
 * apply of 500 the lock was busy 9 s of 15, with 63 joins queued for it).
 */
/** What ready() adds to the record begin() wrote, in this order, at its end. */
const READY_KEYS = ['result', 'ipAddress', 'gateway', 'state'] as const;
/** The last member of the text begin() writes (createdAt: every record has it, a string of no quotes). */
const BEGUN_END = '\n  "createdAt": "';

/** The record as begin() writes it: no state, nothing of ADD, createdAt last. */
function begun(r: AttachmentRecord): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...r };
  for (const k of [...READY_KEYS, 'createdAt']) delete rest[k];
  rest.createdAt = r.createdAt;
  return rest;
}

/** begin()'s text with what ADD gave and the state added at its end. */
function readyText(r: AttachmentRecord): string {
  const out = begun(r);
  for (const k of READY_KEYS) if (r[k] !== undefined) out[k] = r[k];
  return JSON.stringify(out, null, 2);
}

/**
 * The record in a file that cannot be parsed because ready()'s write was cut short by a crash: all of
 * begin()'s text is whole in it, up to its last member (fs-atomic.ts extendFileSync: the write only
 * replaces its closing brace and adds after it), and is read as it was — 'adding', with the conflist
 * and namespace its DEL needs. undefined when not even that is there (begin()'s own write cut short,
 * before anything of the join touched the host).
 */
function begunPart(text: string): AttachmentRecord | undefined {
  const at = text.indexOf(BEGUN_END);
  const end = at < 0 ? -1 : text.indexOf('"', at + BEGUN_END.length);
  if (end < 0) return undefined;
  try {
    return JSON.parse(`${text.slice(0, end + 1)}\n}`) as AttachmentRecord;
  } catch {
    return undefined;
  }
}

export class AttachmentStore {
  readonly #cache = new Map<string, AttachmentRecord>();
  /** The text begin() wrote, per record not written since: what ready() extends. */
  readonly #begun = new Map<string, string>();

  /** <root>/containers/, normalized once: dir() and hostsPath() are asked for every member at every membership change. */
  readonly #containers: string;

  constructor(readonly root: string) {
    this.#containers = join(root, 'containers') + '/';
  }

  /** The container's directory; `id` is a runtime container id or a name read from the directory (no '/'). */
  dir(id: string): string {
    return this.#containers + id;
  }

  /** How many records are known (read or written): about the number of members. */
  get count(): number {
    return this.#cache.size;
  }

  /** The file bind-mounted on the container's /etc/hosts. */
  hostsPath(id: string): string {
    return `${this.#containers}${id}/hosts`;
  }

  /** Makes the container's directory, under a parent spread over the filesystem (engine/spread-dirs.ts). */
  make(id: string): void {
    mkdirSync(this.dir(id), { recursive: true });
    markSpread(join(this.root, 'containers'));
  }

  netns(id: string): string {
    return join(this.root, 'netns', id);
  }

  read(id: string): AttachmentRecord | undefined {
    if (!isRuntimeContainerId(id)) return undefined;
    return this.#cache.get(id) ?? this.#load(id);
  }

  #load(id: string): AttachmentRecord | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), 'attachment.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let r: AttachmentRecord | undefined;
    try {
      r = JSON.parse(text) as AttachmentRecord;
    } catch {
      r = begunPart(text);
    }
    if (!r) return undefined;
    r.state ??= 'adding';
    this.#cache.set(id, r);
    return r;
  }

  all(): AttachmentRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(join(this.root, 'containers'));
    } catch {
      ids = [];
    }
    const present = new Set(ids);
    for (const id of this.#cache.keys()) if (!present.has(id)) this.#cache.delete(id);
    const out: AttachmentRecord[] = [];
    for (const id of ids) {
      const r = this.#cache.get(id) ?? (isRuntimeContainerId(id) ? this.#load(id) : undefined);
      if (r) out.push(r);
    }
    return out;
  }

  /** Writes the record; the copy kept is a copy (the caller may go on changing its object). */
  write(r: AttachmentRecord): void {
    writeFileAtomicSync(join(this.dir(r.id), 'attachment.json'), JSON.stringify(r, null, 2));
    this.#begun.delete(r.id);
    this.#cache.set(r.id, { ...r });
  }

  /**
   * A join's first record ('adding'), into the directory make() has just made, before anything of
   * the join touches the host: written as it is, not atomically (no temporary file, no rename) —
   * within the daemon nothing reads it half written (the write does not yield), and a crash that
   * cuts it short leaves no record (begunPart()), a directory that gc() removes, and nothing on the host.
   */
  begin(r: AttachmentRecord): void {
    const text = JSON.stringify(begun(r), null, 2);
    writeFileUnpublished(join(this.dir(r.id), 'attachment.json'), text);
    this.#begun.set(r.id, text);
    this.#cache.set(r.id, { ...r });
  }

  /**
   * The join's record once ADD succeeded: begin()'s text with the result, the addresses and the state
   * added at its end, in place (fs-atomic.ts extendFileSync), not a new file renamed over it (an
   * inode made, one freed and a forced write-out per container). Cut short by a crash, it reads as
   * begin()'s record (begunPart()): the DEL that gc() runs for it has all it needs.
   */
  ready(r: AttachmentRecord): void {
    const before = this.#begun.get(r.id);
    if (before === undefined) return this.write(r);
    extendFileSync(join(this.dir(r.id), 'attachment.json'), before, readyText(r));
    this.#begun.delete(r.id);
    this.#cache.set(r.id, { ...r });
  }

  /** Removes the container's directory (record, hosts, resolv.conf). */
  remove(id: string): void {
    this.#cache.delete(id);
    this.#begun.delete(id);
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
