// Attachment records: what berth knows of each container's network, at
// <root>/containers/<id>/attachment.json next to its hosts and resolv.conf, and its namespace at
// <root>/netns/<id>. Written before CNI ADD (state 'adding') with the exact conflist, and again
// with the ADD result: every DEL is run from it.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CniConfList, CniResult } from './cni.ts';
import { writeFileAtomicSync } from '../fs-atomic.ts';
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
  /** 'adding' until CNI ADD succeeded, 'removing' once detach began: either left is a crash in the middle. */
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
export class AttachmentStore {
  readonly #cache = new Map<string, AttachmentRecord>();

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
    try {
      const r = JSON.parse(readFileSync(join(this.dir(id), 'attachment.json'), 'utf8')) as AttachmentRecord;
      this.#cache.set(id, r);
      return r;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || err instanceof SyntaxError) return undefined;
      throw err;
    }
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
    this.#cache.set(r.id, { ...r });
  }

  /** Removes the container's directory (record, hosts, resolv.conf). */
  remove(id: string): void {
    this.#cache.delete(id);
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
