// Network definitions on disk: one CNI configuration list per network at <root>/conf/<name>.conflist
// (config.ts builds it), host-local's leases under <root>/ipam/<name>/. Creating one only writes
// its file (the bridge appears with the first container); deleting one removes its bridge too.
// Callers serialise changes (NetworkManager does).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commandErrorText } from '../command-error.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { AlreadyExistsError, ConflictError, FailedPreconditionError, UnavailableError } from '../../specs/errdefs.ts';
import { isNetworkName, networkConfList, networkInfo, overlaps, parseCidr, parseRoutes, pickSubnet, validateNetworkName, type BerthConfList, type Cidr } from './config.ts';
import { removeForwarding } from './forwarding.ts';
import { unguardLocalnet } from './localnet.ts';
import type { NetworkInfo } from '../../specs/api/networks.ts';

const run = promisify(execFile);

export class NetworkStore {
  constructor(readonly root: string) {}

  #conf(name: string) {
    return join(this.root, 'conf', `${name}.conflist`);
  }

  read(name: string): BerthConfList | undefined {
    // Names come from URLs and specs: only a valid one is ever turned into a path.
    if (!isNetworkName(name)) return undefined;
    try {
      // Synchronously: a file of a few hundred bytes, read at every attach under the manager's lock,
      // where readFile's four trips through the thread pool queued behind every container's I/O
      // (2 s of the lock's 10 in an apply of 500), and an await behind all the daemon's queued work.
      return JSON.parse(readFileSync(this.#conf(name), 'utf8')) as BerthConfList;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async all(): Promise<BerthConfList[]> {
    const files = await readdir(join(this.root, 'conf')).catch(() => [] as string[]);
    const out: BerthConfList[] = [];
    for (const f of files.sort()) {
      if (!f.endsWith('.conflist')) continue;
      let n: BerthConfList | undefined;
      try {
        n = this.read(f.slice(0, -'.conflist'.length));
      } catch {
        n = undefined;
      }
      if (n) out.push(n);
    }
    return out;
  }

  /** Without a subnet: the first /16 of the pool that overlaps no network and no route of this host. */
  async create(name: string, o: { subnet?: string; labels?: Record<string, string> }): Promise<NetworkInfo> {
    validateNetworkName(name);
    if (this.read(name)) throw new AlreadyExistsError(`network "${name}" already exists (see \`berth network inspect ${name}\`)`);
    const used = (await this.all()).map((n) => ({ name: n.name, subnet: n.berth.subnet, cidr: parseCidr(n.berth.subnet) }));
    let subnet: Cidr;
    if (o.subnet) {
      subnet = parseCidr(o.subnet);
      const clash = used.find((u) => overlaps(u.cidr, subnet));
      if (clash) throw new ConflictError(`subnet ${o.subnet} of network "${name}" overlaps network "${clash.name}" (${clash.subnet}); choose another --subnet`);
    } else {
      const routes = parseRoutes(await readFile('/proc/net/route', 'utf8').catch(() => ''));
      const picked = pickSubnet([...used.map((u) => u.cidr), ...routes]);
      if (!picked) throw new FailedPreconditionError(`no free subnet left in 10.213.0.0-10.254.255.255 for network "${name}"; give one with --subnet`);
      subnet = picked;
    }
    const list = networkConfList({ name, subnet, ...(o.labels ? { labels: o.labels } : {}) });
    (list.plugins[0]!.ipam as Record<string, unknown>).dataDir = join(this.root, 'ipam');
    await mkdir(join(this.root, 'conf'), { recursive: true });
    await writeFileAtomic(this.#conf(name), JSON.stringify(list, null, 2));
    return networkInfo(list);
  }

  /** Deletes the network's bridge, its localnet guard and forwarding rules, its leases and its file. */
  async delete(list: BerthConfList): Promise<void> {
    await run('ip', ['link', 'delete', list.berth.bridge, 'type', 'bridge']).catch((err: { stderr?: string }) => {
      if (!/Cannot find device|does not exist/i.test(err.stderr ?? '')) {
        throw new UnavailableError(`network "${list.name}": cannot delete bridge ${list.berth.bridge}: ${commandErrorText(err)}`);
      }
    });
    await unguardLocalnet(list.berth.bridge);
    await removeForwarding(list);
    await rm(join(this.root, 'ipam', list.name), { recursive: true, force: true });
    await rm(this.#conf(list.name), { force: true });
  }
}

