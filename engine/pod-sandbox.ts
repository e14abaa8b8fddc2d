// Pod sandboxes: the namespaces the containers of one Pod share, held by namespace files rather
// than by a pause process (nothing runs when no member does). <root>/sandboxes/<id>/ holds
// sandbox.json (what was asked and what the network gave) and two files bind-mounted onto an IPC
// and a UTS namespace (made by util-linux's `unshare`, as netns.ts makes network namespaces). The
// network namespace is the network manager's attachment for the sandbox's id: one address, the
// Pod's ports published once, its /etc/hosts and resolv.conf. Members join all three by path
// (bundle-assembly.ts). The guarantees are the containers' own: every step of a create registers
// its undo; remove() is idempotent; after a reboot (mounts gone) ensure() makes them again at the
// same paths; the daemon's network gc keeps the attachments of the sandboxes listed here.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { NetworkPort } from './deps.ts';
import type { Sandbox, SandboxRequest } from './engine.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { KeyedLock } from './keyed-lock.ts';
import { isMountPoint, prepareNetnsDir, removeNetns } from './network/netns.ts';
import { commandErrorText } from './command-error.ts';
import { FailedPreconditionError, UnavailableError } from '../specs/errdefs.ts';
import type { NetworkStats } from '../specs/api/containers.ts';
import { isoTime } from '../specs/timestamps.ts';

const run = promisify(execFile);

async function mountTmpfs(path: string, sizeBytes: number | undefined): Promise<void> {
  await mkdir(path, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', ['nosuid', 'nodev', 'mode=1777', ...(sizeBytes !== undefined ? [`size=${sizeBytes}`] : [])].join(','), 'tmpfs', path]);
}

export function sandboxId(uid: string): string {
  return createHash('sha256').update(`pod:${uid}`).digest('hex');
}

export class PodSandboxes {
  readonly #root: string;
  readonly #network: NetworkPort | undefined;
  readonly #lock = new KeyedLock();
  /** Creates in progress: their directories have no sandbox.json yet and are not leftovers. */
  readonly #creating = new Set<string>();
  #prepared = false;

  /** root: <data root>/sandboxes */
  constructor(o: { root: string; network?: NetworkPort }) {
    this.#root = o.root;
    this.#network = o.network;
  }

  #dir(id: string): string {
    return join(this.#root, id);
  }

  async get(uid: string): Promise<Sandbox | undefined> {
    return this.#read(sandboxId(uid));
  }

  /** Every sandbox; what a create the daemon died in left (a directory without sandbox.json) is removed. */
  async list(): Promise<Sandbox[]> {
    const ids = await readdir(this.#root).catch(() => [] as string[]);
    const out: Sandbox[] = [];
    for (const id of ids) {
      const sb = await this.#read(id);
      if (sb) out.push(sb);
      else if (!this.#creating.has(id)) await this.#lock.run(id, () => this.#removeId(id)).catch(() => undefined);
    }
    return out;
  }

  /**
   * The sandbox of req.uid, made when missing, repaired when its namespaces are gone (a reboot):
   * the same paths, the network attached again (perhaps another address). Cheap when healthy.
   */
  ensure(req: SandboxRequest): Promise<Sandbox> {
    const id = sandboxId(req.uid);
    return this.#lock.run(id, async () => {
      const existing = await this.#read(id);
      if (existing) return this.#repair(existing);
      this.#creating.add(id);
      try {
        return await this.#create(id, req);
      } finally {
        this.#creating.delete(id);
      }
    });
  }

  /** The sandbox of a member about to start, repaired if need be; FailedPrecondition when there is none. */
  async repair(uid: string): Promise<Sandbox> {
    const sb = await this.get(uid);
    if (!sb) throw new FailedPreconditionError(`the sandbox of the Pod with uid ${uid} does not exist (its Pod controller makes it; is the Pod deleted?)`);
    return this.ensure(sb.request);
  }

  /** Releases the namespaces and the network attachment; unknown uids are fine (idempotent). */
  remove(uid: string): Promise<void> {
    const id = sandboxId(uid);
    return this.#lock.run(id, () => this.#removeId(id));
  }

  /**
   * The directory of the Pod's emptyDir `name`, shared by the members that mount it: on disk, or a
   * tmpfs (medium Memory) of at most sizeBytes, kept in sandbox.json so a repair mounts it again.
   */
  volume(uid: string, name: string, memory?: { sizeBytes?: number }): Promise<string> {
    const id = sandboxId(uid);
    return this.#lock.run(id, async () => {
      const sb = await this.#read(id);
      if (!sb) throw new FailedPreconditionError(`the sandbox of the Pod with uid ${uid} does not exist`);
      const path = join(this.#dir(id), 'volumes', name);
      await mkdir(path, { recursive: true, mode: 0o777 });
      if (!memory) return path;
      if (!(await isMountPoint(path))) await mountTmpfs(path, memory.sizeBytes);
      if (!sb.tmpfs?.some((t) => t.name === name)) {
        const tmpfs = [...(sb.tmpfs ?? []), { name, ...(memory.sizeBytes !== undefined ? { sizeBytes: memory.sizeBytes } : {}) }];
        await writeFileAtomic(join(this.#dir(id), 'sandbox.json'), JSON.stringify({ ...sb, tmpfs }, null, 2));
      }
      return path;
    });
  }

  /** The names the Pod has on its network besides its own (its host name, the Services that select it). */
  setAliases(uid: string, aliases: string[]): Promise<void> {
    const id = sandboxId(uid);
    return this.#lock.run(id, async () => {
      const sb = await this.#read(id);
      if (!sb || sb.request.network === 'host') return;
      if (!this.#network?.setAliases) throw new FailedPreconditionError('this network cannot give Pods other names');
      await this.#network.setAliases(id, aliases);
      await writeFileAtomic(join(this.#dir(id), 'sandbox.json'), JSON.stringify({ ...sb, aliases }, null, 2));
    });
  }

  async stats(uid: string, pid?: number): Promise<NetworkStats | undefined> {
    return this.#network?.stats?.(sandboxId(uid), pid);
  }

  async #removeId(id: string): Promise<void> {
    const dir = this.#dir(id);
    await this.#network?.detach(id);
    for (const t of (await this.#read(id))?.tmpfs ?? []) {
      const path = join(dir, 'volumes', t.name);
      if (await isMountPoint(path)) await run('umount', ['--lazy', path]);
    }
    await removeNetns(join(dir, 'ipc'));
    await removeNetns(join(dir, 'uts'));
    await rm(dir, { recursive: true, force: true });
  }

  async #create(id: string, req: SandboxRequest): Promise<Sandbox> {
    const dir = this.#dir(id);
    if (!this.#prepared) {
      // Shared propagation, as for network namespaces: mounts made later elsewhere do not pin ours.
      await prepareNetnsDir(this.#root);
      this.#prepared = true;
    }
    // What a create the daemon died in left (no sandbox.json): undone first.
    await this.#removeId(id);
    await mkdir(dir, { recursive: true });
    try {
      const ns = await this.#namespaces(dir, req.hostname);
      const net = await this.#attach(id, req);
      const sb: Sandbox = { id, request: req, createdAt: isoTime(), ...net, ...ns };
      // Written last: a directory without sandbox.json is a create that did not finish.
      await writeFileAtomic(join(dir, 'sandbox.json'), JSON.stringify(sb, null, 2));
      return sb;
    } catch (err) {
      await this.#removeId(id).catch(() => undefined);
      throw err;
    }
  }

  async #repair(sb: Sandbox): Promise<Sandbox> {
    const dir = this.#dir(sb.id);
    if (!(await isMountPoint(sb.ipcPath)) || !(await isMountPoint(sb.utsPath))) {
      await removeNetns(sb.ipcPath);
      await removeNetns(sb.utsPath);
      await this.#namespaces(dir, sb.request.hostname);
    }
    for (const t of sb.tmpfs ?? []) {
      const path = join(dir, 'volumes', t.name);
      if (!(await isMountPoint(path))) await mountTmpfs(path, t.sizeBytes);
    }
    const net = await this.#attach(sb.id, sb.request);
    if (net.ipAddress === sb.ipAddress && net.netnsPath === sb.netnsPath) return sb;
    const next = { ...sb, ...net };
    await writeFileAtomic(join(dir, 'sandbox.json'), JSON.stringify(next, null, 2));
    return next;
  }

  /** An IPC and a UTS namespace pinned at dir/ipc and dir/uts, the host name set in the latter. */
  async #namespaces(dir: string, hostname: string): Promise<Pick<Sandbox, 'ipcPath' | 'utsPath'>> {
    const ipcPath = join(dir, 'ipc');
    const utsPath = join(dir, 'uts');
    for (const p of [ipcPath, utsPath]) await writeFile(p, '', { mode: 0o444 });
    try {
      await run('unshare', [`--ipc=${ipcPath}`, `--uts=${utsPath}`, 'hostname', hostname], { encoding: 'utf8' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UnavailableError('unshare is not installed (it comes with util-linux)');
      throw new Error(`unshare --ipc --uts for a Pod sandbox in ${dir}: ${commandErrorText(err)}`, { cause: err });
    }
    return { ipcPath, utsPath };
  }

  async #attach(id: string, req: SandboxRequest): Promise<Pick<Sandbox, 'ipAddress' | 'ports' | 'netnsPath' | 'hostsFile' | 'resolvConfFile'>> {
    if (req.network === 'host') return {};
    if (!this.#network) throw new FailedPreconditionError(`pod "${req.name}": network "${req.network}" needs the network manager, which this daemon does not have`);
    const aliases = req.hostname !== req.name ? [req.hostname] : [];
    const net = await this.#network.attach(id, { network: req.network, name: req.name, ports: req.ports, ...(aliases.length ? { aliases } : {}), ...(req.extraHosts?.length ? { extraHosts: req.extraHosts } : {}) });
    return {
      ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}),
      ...((net.ports ?? req.ports).length ? { ports: net.ports ?? req.ports } : {}),
      ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
      ...(net.hostsFile ? { hostsFile: net.hostsFile } : {}),
      ...(net.resolvConfFile ? { resolvConfFile: net.resolvConfFile } : {}),
    };
  }

  async #read(id: string): Promise<Sandbox | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#dir(id), 'sandbox.json'), 'utf8')) as Sandbox;
    } catch {
      return undefined;
    }
  }
}
