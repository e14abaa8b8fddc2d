// NetworkManager: named networks and the attachment of containers to them, through CNI.
//
// Decisions (the why):
// - Networks are CLI/API-managed objects (`berth network create|ls|inspect|rm`), not a manifest
//   kind: a network is shared infrastructure that outlives the Containers naming it (Docker
//   networks, Kubernetes CNI config), it has no desired state to reconcile beyond "exists", and a
//   Container refers to one by name in `spec.network`. The default network `berth` (mode
//   `bridge`) is created on first use, so manifests work without any network command.
// - A network is a CNI configuration list (bridge + host-local + portmap, see config.ts) kept at
//   <root>/conf/<name>.conflist, and its masquerade and FORWARD rules (forwarding.ts).
// - Each attached container gets a network namespace pinned at <root>/netns/<id> (netns.ts), its
//   loopback up, and CNI ADD on it. Before ADD, an attachment record with the exact conflist is
//   written to <root>/containers/<id>/attachment.json, and the ADD result is cached there after:
//   DEL is always run from that record, so it works after the network was changed or removed,
//   after a crash in the middle of ADD, and after a kill -9 of the daemon (`gc(liveIds)` on
//   start-up detaches whatever is not alive).
// - Membership (plans, records, held ports, /etc/hosts) changes one at a time, under a lock; the
//   namespaces and CNI ADD/DEL of different containers run side by side (join-leave.ts).
// - Names through /etc/hosts kept current for every member (hosts.ts explains); published ports
//   through portmap's DNAT, 127.0.0.1 included, with the host ports held by the daemon (ports.ts)
//   and a guard against what route_localnet opens (localnet.ts).
// - What an attach means (mode, network, which ports, what is refused) is decided first, on what
//   was read, by the pure planAttachment() (attach-plan.ts); this file carries the plan out.
//
// Layout under root: conf/<name>.conflist, ipam/<network>/ (network-store.ts) · netns/<id>,
// containers/<id>/{attachment.json, hosts, resolv.conf} (attachments.ts).
import { rmSync } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, FailedPreconditionError, UnavailableError } from '../../specs/errdefs.ts';
import { isRuntimeContainerId } from '../ids.ts';
import { attachTarget, checkAttachRequest, networkNotFound, planAttachment, sameAttachment, type AttachmentPlan, type AttachOptions } from './attach-plan.ts';
import { attachmentView, AttachmentStore, type AttachmentRecord, type NetworkAttachment } from './attachments.ts';
import { NativeBridge } from './bridge-native.ts';
import { NativePortmap } from './portmap-native.ts';
import { Cni, CniError, cniSearchPath, type CniResult } from './cni.ts';
import { clearStaleBridge } from './stale-bridge.ts';
import { addressOf, IFNAME, leaveNetwork } from './join-leave.ts';
import { canonicalNetwork, DEFAULT_NETWORK, networkInfo, type BerthConfList } from './config.ts';
import { containerResolvConf, hostsFile, rewriteInPlace, rewriteManyInPlace } from './hosts.ts';
import { addressOn, hostsOfEach, isOn, networksOf } from './endpoints.ts';
import { connectEndpoint, disconnectEndpoint, endpointsOf, type ConnectContext, type ConnectOptions, type EndpointView } from './network-connect.ts';
import { ensureForwarding } from './forwarding.ts';
import { guardLocalnet } from './localnet.ts';
import { createNetns, netnsStats, netnsStatsOf, prepareNetnsDir, removeNetns, type InterfaceStats } from './netns.ts';
import { NetworkStore } from './network-store.ts';
import { isMounted } from '../mount-point.ts';
import { formatPort, holdPorts, portmapEntries, type HeldPort } from './ports.ts';
import type { PortMapping } from '../../specs/api/common.ts';
import type { NetworkDetails, NetworkInfo } from '../../specs/api/networks.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** An attach between its two steps under the manager's lock. */
interface Joining {
  record: AttachmentRecord;
  held: HeldPort[];
  published: PortMapping[];
  /** The network (or mode) as the error names it. */
  label: string;
}

export type { AttachOptions } from './attach-plan.ts';
export type { ConnectOptions, EndpointView } from './network-connect.ts';

export interface NetworkManagerOptions {
  /** <data root>/networks */
  root: string;
  /** The directories CNI plugins are looked for in, in order (default: cniSearchPath(): $CNI_PATH, then the usual places). */
  cniPath?: string[];
  /**
   * Who does the bridge plugin's part for berth's own networks: the daemon itself (bridge-native.ts,
   * the default: no plugin process per container) or the CNI plugin. Both give the same result.
   */
  bridge?: 'native' | 'plugin';
  /** The same for the portmap plugin's part (portmap-native.ts; published UDP ports always go to the plugin). */
  portmap?: 'native' | 'plugin';
  /** The host's resolver file the containers' resolv.conf is made from (default /etc/resolv.conf). */
  hostResolvConf?: string;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

export type { NetworkAttachment } from './attachments.ts';

export class NetworkManager {
  readonly root: string;
  readonly #cni: Cni;
  readonly #native: NativeBridge | undefined;
  readonly #portmap: NativePortmap | undefined;
  readonly #o: NetworkManagerOptions;
  readonly #networks: NetworkStore;
  readonly #records: AttachmentStore;
  readonly #held = new Map<string, HeldPort[]>();
  #queue: Promise<unknown> = Promise.resolve();
  /** The netns directory is made a shared mount point once per manager. */
  #netnsDirReady: Promise<void> | undefined;
  #netnsDirDone = false;
  /** The rewrite of /etc/hosts files that changes wait for (#hostsAfter), until it begins. */
  #nextHosts: { networks: Set<string>; ids: Set<string>; done: Promise<void> } | undefined;
  /** Joins between their record and their ready state (#join): a rewrite of /etc/hosts waits a little for them. */
  #joining = 0;
  /** Bridges whose localnet guard (localnet.ts) or address (stale-bridge.ts), networks whose rules (forwarding.ts) are checked or being checked. */
  readonly #guarded = new Map<string, Promise<void>>();
  readonly #bridges = new Map<string, Promise<void>>();
  readonly #forwarding = new Map<string, Promise<void>>();

  constructor(o: NetworkManagerOptions) {
    this.#o = o;
    this.root = o.root;
    this.#native = o.bridge === 'plugin' ? undefined : new NativeBridge();
    this.#portmap = o.portmap === 'plugin' ? undefined : new NativePortmap();
    this.#cni = new Cni(o.cniPath ?? cniSearchPath(), [this.#native, this.#portmap].filter((p) => !!p));
    this.#networks = new NetworkStore(o.root);
    this.#records = new AttachmentStore(o.root);
  }

  /** One change at a time: membership and hosts files must not interleave; CNI plugins are quick. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  // ---------------- networks ----------------

  /** Creates a network; without a subnet, the first free /16 of 10.213-254 (config.ts). */
  create(name: string, o: { subnet?: string; labels?: Record<string, string> } = {}): Promise<NetworkInfo> {
    return this.#serial(() => this.#networks.create(name, o));
  }

  async list(): Promise<NetworkInfo[]> {
    return (await this.#networks.all()).map(networkInfo);
  }

  async inspect(name: string): Promise<NetworkDetails> {
    const list = this.#networks.read(canonicalNetwork(name));
    if (!list) throw new NotFoundError(`network "${name}" not found (see \`berth network ls\`)`);
    const members = this.#records.all().filter((r) => isOn(r, list.name));
    return {
      ...networkInfo(list),
      containers: members.map((r) => {
        const ip = addressOn(r, list.name);
        // Ports are published on a container's first network only.
        return { id: r.id, name: r.name, ...(ip ? { ipAddress: ip } : {}), ports: r.network === list.name ? r.ports.map(formatPort) : [] };
      }),
    };
  }

  /** Removes a network with no containers on it, and its bridge device. */
  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      const canonical = canonicalNetwork(name);
      const list = this.#networks.read(canonical);
      if (!list) throw new NotFoundError(`network "${name}" not found (see \`berth network ls\`)`);
      const members = this.#records.all().filter((r) => isOn(r, canonical));
      if (members.length) {
        throw new FailedPreconditionError(`network "${name}" has containers attached (${members.map((m) => m.name).join(', ')}); remove them first`);
      }
      await this.#networks.delete(list);
      this.#guarded.delete(list.berth.bridge);
      this.#bridges.delete(list.berth.bridge);
      this.#native?.forget(list.berth.bridge);
      this.#forwarding.delete(list.name);
    });
  }

  // ---------------- containers ----------------

  #view(r: AttachmentRecord): NetworkAttachment {
    return attachmentView(r, this.#records.dir(r.id));
  }

  /** The attachment of a container, undefined when it has none (`berth port`, inspect). */
  async attachment(id: string): Promise<(NetworkAttachment & { network: string }) | undefined> {
    const r = this.#records.read(id);
    return r && r.state === 'ready' ? { ...this.#view(r), network: r.mode === 'network' ? r.network! : r.mode } : undefined;
  }

  /**
   * Gives container `id` its network: call before the runtime creates the container, and join
   * `netnsPath`. Idempotent: attaching again with the same network returns the same attachment,
   * and repairs it (a new namespace and ADD) when its namespace is gone, e.g. after a reboot.
   * The plan and the record are made under the manager's lock, the namespace and CNI ADD outside
   * it (several containers at once), and the membership (/etc/hosts of all) under it again.
   */
  attach(id: string, o: AttachOptions): Promise<NetworkAttachment> {
    try {
      checkAttachRequest(id, o);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial(async (): Promise<NetworkAttachment | Joining> => {
      const existing = this.#records.read(id);
      if (existing) {
        const same = sameAttachment(existing, attachTarget(o));
        if (same && existing.state === 'ready' && (!existing.netnsPath || isMounted(existing.netnsPath))) return this.#view(existing);
        await this.#detachLocked(existing);
      }
      const target = attachTarget(o);
      const { network } = target;
      let list = network ? this.#networks.read(network) : undefined;
      // The other records matter to the plan only for a host port (its conflicts): without one, an
      // attach does not list and read them all (each attach of an apply of N did, N² in all).
      const publishes = target.ports.some((p) => p.hostPort !== undefined);
      const plan = planAttachment(id, o, { networkExists: !!list, others: network && publishes ? this.#records.all() : [] });
      if (plan.createNetwork) {
        await this.#networks.create(DEFAULT_NETWORK, {});
        list = this.#networks.read(DEFAULT_NETWORK);
        if (!list) throw networkNotFound(o);
      }
      return this.#begin(id, o, plan, list);
    }).then((r) => ('record' in r ? this.#join(r) : r));
  }

  /** Under the lock: the ports held and the record written ('adding') before anything touches the host. */
  async #begin(id: string, o: AttachOptions, plan: AttachmentPlan, list: BerthConfList | undefined): Promise<Joining> {
    const { mode, network } = plan;
    // No await where there is nothing to wait for: under the lock, each one queues behind all the daemon's work.
    const held = plan.published.length ? await holdPorts(plan.published, o.name) : [];
    // The ports as bound: a free host port picked for hostPort 0 replaces it.
    const bound = new Map(plan.published.map((p, i) => [p, held[i]!.hostPort]));
    const ports = plan.ports.map((p) => (bound.has(p) ? { ...p, hostPort: bound.get(p)! } : p));
    const published = ports.filter((p) => p.hostPort !== undefined);
    const record: AttachmentRecord = {
      id, name: o.name, aliases: plan.aliases, mode,
      ...(o.extraHosts?.length ? { extraHosts: o.extraHosts } : {}),
      ...(network ? { network } : {}),
      state: 'adding', ports, createdAt: isoTime(),
      ...(mode !== 'host' ? { netnsPath: this.#records.netns(id) } : {}),
      // Without a published port, portmap has nothing to do: left out of ADD, and so of DEL.
      ...(list ? { confList: published.length ? list : { ...list, plugins: list.plugins.filter((p) => p.type !== 'portmap') } } : {}),
    };
    try {
      this.#records.make(id);
      // Written before anything touches the host: a crash from here on is undone by gc().
      this.#records.begin(record);
      if (record.netnsPath && !this.#netnsDirDone) {
        this.#netnsDirReady ??= prepareNetnsDir(join(this.root, 'netns')).then(
          () => void (this.#netnsDirDone = true),
          (err) => {
            this.#netnsDirReady = undefined;
            throw err;
          },
        );
        await this.#netnsDirReady;
      }
    } catch (err) {
      for (const h of held) h.close();
      this.#records.remove(id);
      throw err;
    }
    return { record, held, published, label: network ?? mode };
  }

  /** Outside the lock: the namespace (loopback up), CNI ADD, the /etc files, the record ready; then the members' /etc/hosts. */
  async #join({ record, held, published, label }: Joining): Promise<NetworkAttachment> {
    try {
      // Counted until it is ready, not while it waits for the rewrite (#hostsAfter waits for the others).
      this.#joining++;
      try {
        await this.#ready(record, published);
      } finally {
        this.#joining--;
      }
      this.#held.set(record.id, held);
      await this.#hostsAfter(networksOf(record), [record.id]);
      return this.#view(record);
    } catch (err) {
      for (const h of held) h.close();
      await this.#leave(record.id, record).catch((e) => this.#o.log?.warn('undoing a failed attach', { id: record.id, error: String(e) }));
      if (err instanceof CniError) {
        throw new UnavailableError(`container "${record.name}": joining network "${label}" failed: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  /** #join's steps up to the record written ready. */
  async #ready(record: AttachmentRecord, published: PortMapping[]): Promise<void> {
    const dir = this.#records.dir(record.id);
    if (record.netnsPath) {
      // Synchronous: a file that is mostly not there (read-small.ts says why the pool's trips cost).
      rmSync(record.netnsPath, { force: true });
      await createNetns(record.netnsPath);
    }
    if (record.confList && record.netnsPath) {
      record.result = await this.#addNetwork(record.id, record.confList as BerthConfList, record.netnsPath, published);
      Object.assign(record, addressOf(record.result));
    }
    // resolv.conf: the host's (loopback servers dropped) in a namespace; the host's as-is with host networking.
    const host = record.mode === 'host';
    const resolv = host ? await readFile(this.#o.hostResolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => '') : await containerResolvConf(this.#o.hostResolvConf);
    await rewriteInPlace(join(dir, 'resolv.conf'), resolv);
    if (host) await copyFile('/etc/hosts', join(dir, 'hosts')).catch(() => rewriteInPlace(join(dir, 'hosts'), hostsFile(undefined, [], '')));
    // Written outside the lock: every join waited there for this write's two trips through the
    // thread pool, behind all the containers' I/O (2.5 s of the lock's 10 in an apply of 500). Nothing
    // else writes this record meanwhile, and a member's /etc/hosts lists it only from the next
    // rewrite on, which #hostsAfter begins after the write.
    record.state = 'ready';
    this.#records.ready(record);
  }

  async #addNetwork(id: string, list: BerthConfList, netns: string, published: PortMapping[], ifName = IFNAME): Promise<CniResult> {
    const portMappings = portmapEntries(published);
    // The network's checks, once per process, side by side (a first start on a bare host ran some 20
    // commands one after the other): none needs another; the guard only has to be there before the container runs.
    await Promise.all([
      once(this.#bridges, list.berth.bridge, () => clearStaleBridge(list, (m) => this.#o.log?.warn(m))),
      once(this.#forwarding, list.name, () => ensureForwarding(list)),
      ...(portMappings.length ? [once(this.#guarded, list.berth.bridge, () => guardLocalnet(list.berth.bridge)), this.#portmap?.prepare()] : []),
    ]);
    return this.#cni.addList(list, { containerId: id, netns, ifName, ...(portMappings.length ? { runtimeConfig: { portMappings } } : {}) });
  }

  /** Rewrites /etc/hosts of every member of `networks` and of the containers `ids` (endpoints.ts hostsOf()); under the lock. */
  async #refreshHosts(networks: string[], ids: string[]): Promise<void> {
    const records = this.#records.all();
    const wanted = new Set(ids);
    const targets = records.filter((r) => r.state === 'ready' && r.mode !== 'host' && (wanted.has(r.id) || networks.some((n) => networksOf(r).includes(n))));
    const files = hostsOfEach(targets, records);
    const failed = rewriteManyInPlace(targets.map((r, i) => ({ path: this.#records.hostsPath(r.id), parts: files[i]! })));
    for (const f of failed) this.#o.log?.warn('cannot update /etc/hosts of a container', { path: f.path, error: String(f.error) });
  }

  /**
   * #refreshHosts() for a change made under the lock and let go of: resolves once a rewrite that
   * began after the change is done. Changes that come while one is waiting for its turn share it:
   * N containers joining side by side rewrite the members' files a few times, not N times (each
   * rewrite is every member's file, so one per join made an apply of N containers N² writes).
   * While other joins are on their way, a rewrite waits for them a little first: 0.2 ms per member
   * (some eight times what writing a member's file takes; 10 ms for 50 members), 100 ms at most.
   * With the lock let go quickly, an apply of 500 otherwise rewrote every member's file for every
   * one or two joins.
   */
  #hostsAfter(networks: string[], ids: string[]): Promise<void> {
    let next = this.#nextHosts;
    if (!next) {
      const batch = { networks: new Set<string>(), ids: new Set<string>(), done: Promise.resolve() };
      const wait = this.#joining > 0 ? Math.min(HOSTS_WAIT_MAX_MS, this.#records.count * HOSTS_WAIT_PER_MEMBER_MS) : 0;
      batch.done = (wait > 0 ? sleep(wait) : Promise.resolve()).then(() => this.#serial(() => {
        // From here on, a change is the next rewrite's.
        if (this.#nextHosts === batch) this.#nextHosts = undefined;
        return this.#refreshHosts([...batch.networks], [...batch.ids]);
      }));
      this.#nextHosts = next = batch;
    }
    for (const n of networks) next.networks.add(n);
    for (const id of ids) next.ids.add(id);
    return next.done;
  }

  // ---------------- more networks of a container (network-connect.ts) ----------------

  #connectContext(): ConnectContext {
    return {
      records: this.#records,
      networks: this.#networks,
      cni: this.#cni,
      serial: (fn) => this.#serial(fn),
      add: (id, list, netns, ifName) => this.#addNetwork(id, list, netns, [], ifName),
      refresh: (networks, ids) => this.#refreshHosts(networks, ids),
      releasePorts: (id) => this.#releasePorts(id),
      ...(this.#o.log ? { log: this.#o.log } : {}),
    };
  }

  /** `network connect` (one more interface, eth1…, in its namespace), `network disconnect`, and what it is connected to. */
  connect = (id: string, o: ConnectOptions): Promise<EndpointView> => connectEndpoint(this.#connectContext(), id, o);
  disconnect = (id: string, network: string, o: { force?: boolean } = {}): Promise<void> => disconnectEndpoint(this.#connectContext(), id, network, o);
  endpoints = (id: string): Promise<EndpointView[]> => endpointsOf(this.#records, id);

  /** Gives an attachment other aliases (a Service's name for its Pods): every member's /etc/hosts is rewritten. */
  setAliases(id: string, aliases: string[]): Promise<void> {
    return this.#serial(async () => {
      const r = this.#records.read(id);
      if (!r || r.aliases.join(',') === aliases.join(',')) return;
      const next = { ...r, aliases };
      this.#records.write(next);
      if (next.state === 'ready') await this.#refreshHosts(networksOf(next), [id]);
    });
  }

  /** Undoes attach(): CNI DEL (from the record), the namespace, the held ports, the files. Idempotent. */
  detach(id: string): Promise<void> {
    if (!isRuntimeContainerId(id)) return Promise.resolve();
    return this.#leave(id);
  }

  /**
   * detach() in three steps: under the lock, the record marked 'removing' (no longer a member) and
   * its ports let go; outside it, DEL and the namespace (several containers at once); under it
   * again, the files and the other members' /etc/hosts.
   */
  async #leave(id: string, known?: AttachmentRecord): Promise<void> {
    const r = await this.#serial(async () => {
      this.#releasePorts(id);
      const r = known ?? this.#records.read(id);
      if (r && r.state !== 'removing') this.#records.write({ ...r, state: 'removing' });
      return r;
    });
    if (!r) {
      // No record: a crash before it was written; remove whatever is there.
      await removeNetns(this.#records.netns(id));
      this.#records.remove(id);
      return;
    }
    await leaveNetwork(this.#cni, r);
    await this.#serial(async () => this.#records.remove(r.id));
    await this.#hostsAfter(networksOf(r), []);
  }

  /** detach() for a caller that holds the lock. */
  async #detachLocked(r: AttachmentRecord): Promise<void> {
    this.#releasePorts(r.id);
    await leaveNetwork(this.#cni, r);
    await this.#forget(r);
  }

  #releasePorts(id: string): void {
    for (const h of this.#held.get(id) ?? []) h.close();
    this.#held.delete(id);
  }

  /** The record and files gone, the other members' /etc/hosts without it (under the lock). */
  async #forget(r: AttachmentRecord): Promise<void> {
    this.#records.remove(r.id);
    await this.#refreshHosts(networksOf(r), []);
  }

  /**
   * After a (re)start of the daemon: detaches every container not in `liveIds` (DEL, namespace,
   * files), removes namespaces without a record, holds the ports of the live ones again and
   * rewrites their /etc/hosts.
   * Returns the ids it cleaned up.
   */
  gc(liveIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveIds);
    return this.#serial(async () => {
      const cleaned: string[] = [];
      for (const r of this.#records.all()) {
        if (live.has(r.id)) {
          if (!this.#held.has(r.id) && r.state === 'ready') {
            await holdPorts(r.ports.filter((p) => p.hostPort !== undefined), r.name).then(
              (h) => this.#held.set(r.id, h),
              (err) => this.#o.log?.warn('cannot hold the published ports of a container again', { id: r.id, error: String(err) }),
            );
          }
          continue;
        }
        try {
          await this.#detachLocked(r);
          cleaned.push(r.id);
        } catch (err) {
          this.#o.log?.warn('network gc: detach failed, will retry', { id: r.id, error: String(err) });
        }
      }
      const records = new Set(this.#records.all().map((r) => r.id));
      for (const dir of ['netns', 'containers']) {
        for (const id of await readdir(join(this.root, dir)).catch(() => [] as string[])) {
          if (records.has(id) || live.has(id)) continue;
          if (dir === 'netns') await removeNetns(join(this.root, 'netns', id));
          else this.#records.remove(id);
          if (!cleaned.includes(id)) cleaned.push(id);
        }
      }
      // A crash in the middle of a rewrite may have cut a member's /etc/hosts: each is made whole.
      await this.#refreshHosts([], this.#records.all().filter((r) => live.has(r.id)).map((r) => r.id));
      return cleaned;
    });
  }

  /** CNI CHECK of a container's attachment: throws when the plugins find it broken. */
  async check(id: string): Promise<void> {
    const r = this.#records.read(id);
    if (!r) throw new NotFoundError(`container ${id} has no network attachment`);
    if (!r.confList || !r.result || !r.netnsPath) return;
    await this.#cni.checkList(r.confList, { containerId: id, netns: r.netnsPath, ifName: IFNAME }, r.result);
  }

  /** Byte counters per interface of the container's namespace (loopback left out); [] without one. */
  /**
   * The interfaces' counters of an attachment's namespace; with `pid` (a process in it) read from
   * /proc/<pid>/net/dev, without a process per container per scrape; otherwise by entering it.
   */
  async stats(id: string, pid?: number): Promise<InterfaceStats[]> {
    const r = this.#records.read(id);
    if (!r?.netnsPath) return [];
    const fast = pid ? netnsStatsOf(pid, r.netnsPath) : undefined;
    if (fast) return fast;
    if (!isMounted(r.netnsPath)) return [];
    return netnsStats(r.netnsPath);
  }

  /** Lets go of the held host ports (daemon shutdown); attachments stay. */
  close(): void {
    for (const hs of this.#held.values()) for (const h of hs) h.close();
    this.#held.clear();
  }
}

/** How long a rewrite of /etc/hosts waits for the joins on their way, per member, and at most (#hostsAfter). */
const HOSTS_WAIT_PER_MEMBER_MS = 0.2;
const HOSTS_WAIT_MAX_MS = 100;

/** fn() once per key while it succeeds (concurrent callers share it); again after a failure. */
function once(done: Map<string, Promise<void>>, key: string, fn: () => Promise<void>): Promise<void> {
  let p = done.get(key);
  if (!p) {
    p = fn().catch((err) => {
      done.delete(key);
      throw err;
    });
    done.set(key, p);
  }
  return p;
}
