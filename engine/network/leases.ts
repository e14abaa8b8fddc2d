// Address leases in host-local's own format (containernetworking/plugins, ipam/host-local): under
// <dataDir>/<network>/ a file named by each leased address holding "<containerId>\r\n<ifName>",
// and last_reserved_ip.<range> with the address given last, where the next search starts. Each
// lease file is created with O_EXCL, as host-local creates it, so the plugin and this code can hand
// out addresses of the same network side by side and release each other's leases.
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { readSmallFile } from '../read-small.ts';
import { rewriteInPlace } from './hosts.ts';
import { join } from 'node:path';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import { formatCidr, intToIp, ipToInt, parseCidr } from './config.ts';

const LINE_BREAK = '\r\n';
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export interface LeaseRange {
  subnet: string;
  gateway: string;
}

/**
 * The leases of one network: `dir` is <dataDir>/<network>. Which address each container holds is
 * read from the files once (the first find) and then kept as this object leases and releases:
 * reading every lease at every ADD made an apply of N containers N² reads. A kept address is read
 * again before it is believed (another process may have released it); one held by another process
 * since the first read is not known here — only this daemon leases on berth's own networks.
 */
export class Leases {
  /** Owner ("<id>\r\n<ifName>", or the id alone, as older host-local wrote) → address. */
  #index: Promise<Map<string, string>> | undefined;
  /**
   * The addresses being leased by the reserves under way: the others skip them. (They all read the
   * same last address given, and each tried the addresses the ones before it were taking: with 64
   * containers started at once, a reserve failed some 30 O_EXCL creates on average.)
   */
  readonly #trying = new Set<string>();

  constructor(readonly dir: string) {}

  #owner(id: string, ifName: string): string {
    return `${id}${LINE_BREAK}${ifName}`;
  }

  async #read(): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!IPV4.test(name)) continue;
      const text = (await readFile(join(this.dir, name), 'utf8').catch(() => '')).trim();
      if (text && !index.has(text)) index.set(text, name);
    }
    return index;
  }

  /** The address leased to (id, ifName), if any: a retried ADD gets the same one. */
  async find(id: string, ifName: string): Promise<string | undefined> {
    const index = await (this.#index ??= this.#read());
    for (const owner of [this.#owner(id, ifName), id]) {
      const ip = index.get(owner);
      if (!ip) continue;
      const text = (await readFile(join(this.dir, ip), 'utf8').catch(() => '')).trim();
      if (text === owner) return ip;
      if (index.get(owner) === ip) index.delete(owner);
    }
    return undefined;
  }

  /**
   * Leases the next free address of `range` after the one given last (round robin, as host-local:
   * an address just released is not handed out again at once), skipping the network's and the
   * broadcast address and the gateway.
   */
  async reserve(id: string, ifName: string, range: LeaseRange): Promise<string> {
    const held = await this.find(id, ifName);
    if (held) return held;
    const cidr = parseCidr(range.subnet);
    const first = cidr.base + 1;
    const last = cidr.base + 2 ** (32 - cidr.prefix) - 2;
    const size = last - first + 1;
    const lastFile = join(this.dir, 'last_reserved_ip.0');
    const previous = ipToInt((readSmallFile(lastFile) ?? '').trim());
    const start = previous !== undefined && previous >= first && previous <= last ? previous + 1 - first : 0;
    // The addresses known to be leased are skipped without a try (listing the directory at each ADD
    // made an apply of N containers N² directory entries read); one leased by another process since
    // the index was read fails its O_EXCL create. Should every address look taken, each is tried once
    // more: another process may have released some that the index still holds.
    const known = new Set((await this.#index)?.values());
    let remade = false;
    for (const skip of [known, new Set<string>()]) {
      for (let k = 0; k < size; k++) {
        const ip = intToIp(first + ((start + k) % size));
        if (ip === range.gateway || skip.has(ip) || this.#trying.has(ip)) continue;
        this.#trying.add(ip);
        try {
          // On this thread: a few bytes into a new file, and through the thread pool the open, write
          // and close were three round trips per container started (read-small.ts says why they cost).
          const fd = openSync(join(this.dir, ip), 'wx', 0o644);
          try {
            writeSync(fd, this.#owner(id, ifName));
          } finally {
            closeSync(fd);
          }
          (await this.#index)?.set(this.#owner(id, ifName), ip);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') continue;
          // No directory yet (the network's first lease), or it went with its network (`network rm`,
          // then one of the same name made again): made here rather than looked for at each reserve.
          if (code === 'ENOENT' && !remade) {
            remade = true;
            await mkdir(this.dir, { recursive: true });
            k--;
            continue;
          }
          throw err;
        } finally {
          this.#trying.delete(ip);
        }
        // Where the next search starts, and only that (a hint: an address is taken by its lease file's
        // O_EXCL create): written over in place, as host-local reads it. Truncated to nothing and
        // rewritten (writeFile), ext4 wrote its blocks out at the close (auto_da_alloc) at every start.
        await rewriteInPlace(lastFile, ip);
        return ip;
      }
    }
    throw new FailedPreconditionError(`network subnet ${formatCidr(cidr)} has no free address left (${size} in use); remove containers from it or create a network with a larger --subnet`);
  }

  /** Releases what (id, ifName) holds; `ip`, when known, is checked first. Idempotent. */
  async release(id: string, ifName: string, ip?: string): Promise<void> {
    const want = this.#owner(id, ifName);
    if (ip && IPV4.test(ip)) {
      const text = await readFile(join(this.dir, ip), 'utf8').catch(() => undefined);
      if (text !== undefined && (text.trim() === want || text.trim() === id)) {
        await rm(join(this.dir, ip), { force: true });
        return this.#forget(id, ifName);
      }
    }
    const held = await this.find(id, ifName);
    if (held) await rm(join(this.dir, held), { force: true });
    await this.#forget(id, ifName);
  }

  /** Forgets what is kept of `owner`'s lease once its file is removed. */
  async #forget(id: string, ifName: string): Promise<void> {
    const index = await this.#index;
    index?.delete(this.#owner(id, ifName));
    index?.delete(id);
  }
}
