// Network namespaces that outlive their creator, made the way `ip netns add` makes them: an empty
// file bind-mounted onto /proc/<pid>/ns/net of a process that unshared its network namespace. The
// mount keeps the namespace alive after that process (and the daemon) exit; the container's
// runtime joins it by path; unmounting + removing the file releases it.
//
// Node cannot unshare(2) itself, so berth-netns (netns-helper.ts) does the work in one process; the
// directory holding the files is made a shared mount point (as ip netns does with /run/netns) so
// that namespaces created in mount namespaces made later (other daemons, containers) see the
// unmount and do not pin a namespace that berth has released.
import { statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { readSmallFile } from '../read-small.ts';
import { UnavailableError } from '../../specs/errdefs.ts';
import { commandErrorText } from '../command-error.ts';
import { runCommand } from '../spawner.ts';
import { netnsHelper } from './netns-helper.ts';
import type { NetworkStats } from '../../specs/api/containers.ts';


async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    return (await runCommand(cmd, args)).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UnavailableError(`${cmd} is not installed (it comes with util-linux / iproute2)`);
    throw new Error(`${cmd} ${args.join(' ')}: ${commandErrorText(err)}`, { cause: err });
  }
}

/** Mount points of this process's mount namespace (field 5 of mountinfo). */
async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return new Set(text.split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p).map((p) => p.replace(/\\040/g, ' ')));
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
}

/** Makes `dir` a shared mount point of its own (idempotent). */
export async function prepareNetnsDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (!(await isMountPoint(dir))) await tool('mount', ['--bind', dir, dir]);
  await tool('mount', ['--make-shared', dir]);
}

/** A new network namespace pinned at `path` (which must not exist yet), its loopback up. */
export async function createNetns(path: string): Promise<void> {
  // The empty file on this thread: through the thread pool, its open and close were two round trips per container.
  writeFileSync(path, '', { flag: 'wx', mode: 0o444 });
  try {
    // One process makes it and brings lo up inside (what CNI's loopback plugin would do, in a second).
    await netnsHelper(['create', path]);
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** Unpins and removes a namespace file; a missing one is fine (idempotent). */
export async function removeNetns(path: string): Promise<void> {
  // One process, which asks the kernel (umount2) rather than reading mountinfo.
  await netnsHelper(['remove', path]);
}

/**
 * A namespace at `path` with an interface `ifName` holding `addresses` (CIDR): DEL's stand-in.
 * A veth pair rather than a dummy device: the dummy module is not on every host.
 */
export async function standInNetns(path: string, ifName: string, addresses: string[]): Promise<void> {
  await removeNetns(path);
  await createNetns(path);
  try {
    await inNetns(path, 'ip', ['link', 'add', ifName, 'type', 'veth', 'peer', 'name', `${ifName}-peer`]);
    for (const a of addresses) await inNetns(path, 'ip', ['addr', 'add', a, 'dev', ifName]);
  } catch (err) {
    await removeNetns(path);
    throw err;
  }
}

/** Runs a command with its network namespace set to `path`. */
export function inNetns(path: string, cmd: string, args: string[]): Promise<string> {
  return tool('nsenter', [`--net=${path}`, '--', cmd, ...args]);
}

export interface InterfaceStats {
  interface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** /proc/net/dev as seen in a namespace, without loopback (cAdvisor reports the same). */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out.push({
      interface: m[1]!,
      rxBytes: f[0]!, rxPackets: f[1]!, rxErrors: f[2]!, rxDropped: f[3]!,
      txBytes: f[8]!, txPackets: f[9]!, txErrors: f[10]!, txDropped: f[11]!,
    });
  }
  return out;
}

export async function netnsStats(path: string): Promise<InterfaceStats[]> {
  return parseNetDev(await inNetns(path, 'cat', ['/proc/self/net/dev']));
}

/**
 * netnsStats without a process: /proc/<pid>/net/dev shows the namespace of `pid`, so when `pid`
 * is in the namespace pinned at `path` (same nsfs inode) its file is read. undefined when it is not
 * (gone, or another namespace): the caller falls back to netnsStats. With hundreds of containers,
 * a process per container per /metrics scrape was most of the scrape.
 */
export function netnsStatsOf(pid: number, path: string): InterfaceStats[] | undefined {
  try {
    // Synchronous: procfs and nsfs answer from memory (read-small.ts says why).
    const [ns, pinned] = [statSync(`/proc/${pid}/ns/net`), statSync(path)];
    if (ns.ino !== pinned.ino || ns.dev !== pinned.dev) return undefined;
    const text = readSmallFile(`/proc/${pid}/net/dev`);
    // The process may have ended between the two looks, and its pid been taken by another.
    const again = statSync(`/proc/${pid}/ns/net`);
    return text !== undefined && again.ino === pinned.ino ? parseNetDev(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The engine's ContainerStats.network: all interfaces together and each one; undefined without any. */
export function totalNetworkStats(list: InterfaceStats[]): NetworkStats | undefined {
  if (!list.length) return undefined;
  return {
    rxBytes: list.reduce((n, s) => n + s.rxBytes, 0),
    txBytes: list.reduce((n, s) => n + s.txBytes, 0),
    interfaces: list.map((s) => ({ interface: s.interface, rxBytes: s.rxBytes, txBytes: s.txBytes })),
  };
}
