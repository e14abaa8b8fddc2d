// The CNI portmap plugin's ADD and DEL for berth's own networks (config.ts: `snat: true`, nothing
// else), done by the daemon with one iptables-restore per container instead of the plugin's
// process running iptables once per check and per rule: 17 iptables runs for an ADD of one port and
// 16 (ip6tables included) for its DEL, ~280 and ~220 ms on this host, most of a container's
// start-to-ready on a network. The rules are the plugin's, to the byte — its shared chains
// (CNI-HOSTPORT-DNAT from PREROUTING and OUTPUT, CNI-HOSTPORT-SETMARK, CNI-HOSTPORT-MASQ first in
// POSTROUTING) and its per-container chain CNI-DN-<hash of network and id> with the hairpin and
// localhost marks and the DNAT of each port, and route_localnet on the bridge — so the plugin's
// CHECK passes on what this makes, and either removes what the other made. Published UDP ports stay
// with the plugin: its ADD also drops the conntrack entries of the host port, which needs netlink.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { CniError, type CniConfList, type CniPluginConf, type CniResult, type CniRuntime, type InProcessPlugin } from './cni.ts';
import { iptables, iptablesBatch, iptablesSave, type BatchLine } from './iptables-batch.ts';

const TABLE = 'nat';
const TOP_DNAT = 'CNI-HOSTPORT-DNAT';
const SET_MARK = 'CNI-HOSTPORT-SETMARK';
const MASQ = 'CNI-HOSTPORT-MASQ';
/** Made by plugins before 0.7; its DEL still tears it down. */
const OLD_TOP_SNAT = 'CNI-HOSTPORT-SNAT';
/** The plugin's default masquerade bit (markMasqBit 13). */
const MARK = '0x2000/0x2000';

export interface PortMapEntry {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

/** The plugin's chain name: CNI-<prefix> and the SHA-512 of network name + container id, 28 characters. */
export function portmapChain(prefix: 'DN-' | 'SN-', network: string, id: string): string {
  return `CNI-${prefix}${createHash('sha512').update(network + id).digest('hex')}`.slice(0, 28);
}

/** The shared chains and their rules, in the order the plugin sets them up. */
const SHARED: Array<{ chain: string; rule: string[]; first?: boolean }> = [
  { chain: SET_MARK, rule: ['-m', 'comment', '--comment', 'CNI portfwd masquerade mark', '-j', 'MARK', '--set-xmark', MARK] },
  { chain: MASQ, rule: ['-m', 'mark', '--mark', MARK, '-j', 'MASQUERADE'] },
  { chain: 'POSTROUTING', rule: ['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', MASQ], first: true },
  { chain: 'PREROUTING', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', TOP_DNAT] },
  { chain: 'OUTPUT', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', TOP_DNAT] },
];

/**
 * A container's chain: the rules pointing at it from CNI-HOSTPORT-DNAT (one per protocol and 15
 * ports: multiport's limit) and its own — per port the hairpin and localhost marks, then the DNAT.
 */
export function dnatChain(network: string, id: string, containerCidr: string, entries: PortMapEntry[]): { name: string; entryRules: string[][]; rules: string[][] } {
  const name = portmapChain('DN-', network, id);
  let comment = `dnat name: "${network}" id: "${id}"`;
  if (comment.length > 255) comment = `${comment.slice(0, 253)}...`;
  const byProto = new Map<string, number[]>();
  for (const e of entries) byProto.set(e.protocol, [...(byProto.get(e.protocol) ?? []), e.hostPort]);
  const entryRules: string[][] = [];
  for (const proto of [...byProto.keys()].sort()) {
    const ports = byProto.get(proto)!;
    for (let i = 0; i < ports.length; i += 15) {
      entryRules.push(['-m', 'comment', '--comment', comment, '-m', 'multiport', '-p', proto, '--destination-ports', ports.slice(i, i + 15).join(','), '-j', name]);
    }
  }
  const ip = containerCidr.split('/')[0]!;
  const rules = entries.flatMap((e) => {
    const base = ['-p', e.protocol, '--dport', String(e.hostPort), ...(e.hostIP && e.hostIP !== '0.0.0.0' ? ['-d', e.hostIP] : [])];
    return [
      [...base, '-s', containerCidr, '-j', SET_MARK],
      [...base, '-s', '127.0.0.1', '-j', SET_MARK],
      [...base, '-j', 'DNAT', '--to-destination', `${ip}:${e.containerPort}`],
    ];
  });
  return { name, entryRules, rules };
}

/** The container's IPv4 address (CIDR) on `ifName` in an ADD result, as the plugin picks it. */
function containerCidr(result: CniResult | undefined, ifName: string): string | undefined {
  const ifs = result?.interfaces ?? [];
  return result?.ips?.find((ip) => {
    if (!/^\d+\.\d+\.\d+\.\d+\//.test(ip.address)) return false;
    const i = ip.interface;
    return i === undefined || !(i >= 0 && i < ifs.length) || (ifs[i]!.name === ifName && !!ifs[i]!.sandbox);
  })?.address;
}

function entriesOf(rt: CniRuntime): PortMapEntry[] {
  return (rt.runtimeConfig?.portMappings as PortMapEntry[] | undefined) ?? [];
}

/** The bridge of berth's conflist: where the plugin would find the container's route (its getRoutableHostIF). */
function bridgeOf(list: CniConfList): string | undefined {
  const b = list.plugins.find((p) => p.type === 'bridge')?.bridge;
  return typeof b === 'string' && /^[a-zA-Z0-9_.-]{1,15}$/.test(b) ? b : undefined;
}

export class NativePortmap implements InProcessPlugin {
  /** The shared chains checked (and made) once per process; looked at again after a failed ADD. */
  #shared: Promise<void> | undefined;

  /** berth's own portmap configuration, on a network with berth's bridge, publishing no UDP port. */
  handles(plugin: CniPluginConf, rt?: CniRuntime, list?: CniConfList): boolean {
    const known = new Set(['type', 'capabilities', 'snat']);
    return (
      plugin.type === 'portmap' &&
      plugin.snat === true &&
      Object.keys(plugin).every((k) => known.has(k)) &&
      !!list && !!bridgeOf(list) &&
      entriesOf(rt ?? { containerId: '', netns: '', ifName: '' }).every((e) => e.protocol === 'tcp' || e.protocol === 'sctp')
    );
  }

  /** Makes the shared chains now (they are otherwise made by the first ADD); fails as the ADD would. */
  prepare(): Promise<void> {
    return this.#ensureShared().catch((err: Error) => {
      throw new CniError('portmap', 'ADD', undefined, err.message);
    });
  }

  #ensureShared(): Promise<void> {
    this.#shared ??= this.#makeShared().catch((err) => {
      this.#shared = undefined;
      throw err;
    });
    return this.#shared;
  }

  /** What the plugin's setup of its three shared chains leaves: each chain, each rule once. */
  async #makeShared(): Promise<void> {
    const chains = new Set([...(await iptables(TABLE, ['-S'])).matchAll(/^-N (\S+)$/gm)].map((m) => m[1]!));
    // Made one by one (not declared in the batch below, which would empty one made meanwhile by another).
    await Promise.all(
      [SET_MARK, MASQ, TOP_DNAT].filter((c) => !chains.has(c)).map((c) =>
        iptables(TABLE, ['-N', c]).catch((err: Error) => {
          if (!/exists/i.test(err.message)) throw err;
        }),
      ),
    );
    const present = await Promise.all(SHARED.map((s) => iptables(TABLE, ['-C', s.chain, ...s.rule]).then(() => true, () => false)));
    await iptablesBatch(TABLE, SHARED.filter((_, i) => !present[i]).map((s) => (s.first ? ['-I', s.chain, '1', ...s.rule] : ['-A', s.chain, ...s.rule])));
  }

  async add(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prevResult?: CniResult): Promise<CniResult> {
    const entries = entriesOf(rt);
    const cidr = containerCidr(prevResult, rt.ifName);
    if (!prevResult) throw new CniError('portmap', 'ADD', undefined, 'must be called as a chained plugin');
    if (!entries.length || !cidr) return prevResult;
    const chain = dnatChain(list.name, rt.containerId, cidr, entries);
    // The chain is declared (made, or emptied when a failed ADD left it), filled, then pointed at.
    const batch: BatchLine[] = [`:${chain.name} - [0:0]`, ...chain.rules.map((r) => ['-A', chain.name, ...r]), ...chain.entryRules.map((r) => ['-A', TOP_DNAT, ...r])];
    try {
      await this.#ensureShared();
      // 127.0.0.1 may then cross into the bridge (localnet.ts guards what that opens).
      await writeFile(`/proc/sys/net/ipv4/conf/${bridgeOf(list)}/route_localnet`, '1');
      await iptablesBatch(TABLE, batch).catch(async (err: Error) => {
        // The shared chains went away since they were looked at (a firewall reload): made again.
        if (!new RegExp(`${TOP_DNAT}|${SET_MARK}`).test(err.message)) throw err;
        this.#shared = undefined;
        await this.#ensureShared();
        await iptablesBatch(TABLE, batch);
      });
    } catch (err) {
      throw new CniError('portmap', 'ADD', undefined, (err as Error).message);
    }
    return prevResult;
  }

  /**
   * Removes the container's chain and every rule pointing at it (the old SNAT chain too, as the
   * plugin does). One batch from the port mappings when they are exactly what is there; else the
   * rules are read and what points at the chains removed. Idempotent, as CNI DEL must be.
   */
  async del(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime): Promise<void> {
    const dn = portmapChain('DN-', list.name, rt.containerId);
    const entries = entriesOf(rt);
    try {
      if (entries.length) {
        const { entryRules } = dnatChain(list.name, rt.containerId, '0.0.0.0/32', entries);
        const exact = await iptablesBatch(TABLE, [...entryRules.map((r) => ['-D', TOP_DNAT, ...r]), ['-F', dn], ['-X', dn]]).then(() => true, () => false);
        if (exact) return;
      }
      const saved = (await iptablesSave(TABLE)).split('\n');
      const batch: BatchLine[] = [];
      for (const [chain, top] of [[dn, TOP_DNAT], [portmapChain('SN-', list.name, rt.containerId), OLD_TOP_SNAT]] as const) {
        const pointing = saved.filter((l) => l.startsWith(`-A ${top} `) && l.endsWith(` -j ${chain}`));
        // Lines as saved, turned into deletes: their quoting is the restore syntax already.
        for (const l of pointing) batch.push(`-D ${l.slice(3)}`);
        if (saved.some((l) => l.startsWith(`:${chain} `))) batch.push(['-F', chain], ['-X', chain]);
      }
      await iptablesBatch(TABLE, batch);
    } catch (err) {
      throw new CniError('portmap', 'DEL', undefined, (err as Error).message);
    }
  }
}
