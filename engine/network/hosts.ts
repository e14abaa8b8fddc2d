// /etc/hosts and /etc/resolv.conf for containers.
//
// Names: every container on a network finds the others by name through its /etc/hosts, which berth
// rewrites for all members whenever one joins or leaves (Docker's pre-1.10 links model), rather
// than running a DNS resolver. Why: nothing in the lookup path depends on the daemon (names keep
// resolving while it restarts), every libc and busybox reads /etc/hosts with no configuration,
// and there is no per-network listener to secure or keep alive. The cost — a program that caches
// lookups forever does not see a container that came back with a new address — is the same as
// with a DNS answer's TTL in practice, and addresses are stable while a container lives.
//
// The files are bind-mounted into the containers, so they are rewritten in place (write and
// truncate, same inode): replacing them by rename would leave the container reading the old inode.
import { closeSync, ftruncateSync, openSync, writeSync, writevSync } from 'node:fs';
import { readSmallFile } from '../read-small.ts';
import { byCodeUnit } from '../../specs/order.ts';

export interface HostsEntry {
  ip: string;
  names: string[];
}

/** The container's /etc/hosts: loopback, its own address, `extra` (hostAliases), then its peers on the network. */
export function hostsFile(self: HostsEntry | undefined, peers: HostsEntry[], network: string, extra: HostsEntry[] = []): string {
  return hostsFileOf(self, [{ network, peers }], extra);
}

/** The order peers are listed in (by first name). */
export function sortPeers<T extends HostsEntry>(peers: T[]): T[] {
  return [...peers].sort((a, b) => byCodeUnit(a.names[0]!, b.names[0]!));
}

/** The line before a network's peers. */
export function sectionHeader(network: string): string {
  return `# containers on network ${network}, kept current by berth`;
}

export function hostsLine(e: HostsEntry): string {
  return `${e.ip}\t${e.names.join(' ')}`;
}

/** The same for a container on several networks: a section of peers per network, in the order given. */
export function hostsFileOf(self: HostsEntry | undefined, sections: Array<{ network: string; peers: HostsEntry[] }>, extra: HostsEntry[] = []): string {
  const body = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (self) body.push(hostsLine(self));
  for (const e of extra) body.push(hostsLine(e));
  for (const section of sections) {
    const lines = sortPeers(section.peers).map(hostsLine);
    if (!lines.length) continue;
    body.push(sectionHeader(section.network), ...lines);
  }
  return body.join('\n') + '\n';
}

/**
 * The host's resolver configuration minus what cannot work inside a network namespace: loopback
 * name servers (127.0.0.53 of systemd-resolved, a local dnsmasq) are the container's own loopback
 * there. As Docker does: systemd-resolved's upstream file when the stub is in use; Google's
 * public servers when no name server is left.
 */
export async function containerResolvConf(hostFile = '/etc/resolv.conf'): Promise<string> {
  // Read at each join (the host's file may change): synchronously, a small file in memory (read-small.ts).
  let text = readSmallFile(hostFile) ?? '';
  if (/^\s*nameserver\s+127\.0\.0\.53\b/m.test(text)) {
    text = readSmallFile('/run/systemd/resolve/resolv.conf') || text;
  }
  const kept = text.split('\n').filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return !m || !(/^127\./.test(m[1]!) || m[1] === '::1');
  });
  if (!kept.some((l) => /^\s*nameserver\s/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return kept.filter((l, i, a) => l.trim() !== '' || (i > 0 && a[i - 1]!.trim() !== '')).join('\n').trim() + '\n';
}

/**
 * rewriteInPlace() in one go for many files, synchronously: a membership change rewrites every
 * member's file, and four thread-pool round trips per file cost more than the writes themselves.
 * Returns the paths that could not be written, with their error.
 */
export function rewriteManyInPlace(files: Array<{ path: string; parts: Buffer[] }>): Array<{ path: string; error: unknown }> {
  const failed: Array<{ path: string; error: unknown }> = [];
  for (const { path, parts } of files) {
    try {
      let fd: number;
      try {
        // r+ keeps the inode and does not truncate on open; a missing file is created.
        fd = openSync(path, 'r+');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        fd = openSync(path, 'w');
      }
      try {
        // Written over the old bytes, then cut to length: a reader (or a crash) never finds it
        // empty, and the daemon rewrites every member's file when it starts (NetworkManager.gc).
        // The parts as they are (a network's peers are one buffer shared by all its members' files).
        const length = parts.reduce((n, b) => n + b.length, 0);
        const written = writevSync(fd, parts, 0);
        if (written < length) {
          const rest = Buffer.concat(parts).subarray(written);
          writeSync(fd, rest, 0, rest.length, written);
        }
        ftruncateSync(fd, length);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      failed.push({ path, error });
    }
  }
  return failed;
}

/** Writes `text` into `path` keeping its inode (bind mounts of it see the new content). */
export async function rewriteInPlace(path: string, text: string): Promise<void> {
  const [failed] = rewriteManyInPlace([{ path, parts: [Buffer.from(text)] }]);
  if (failed) throw failed.error;
}
