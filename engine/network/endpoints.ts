// A container on several networks, decided on what was read (pure; network-connect.ts carries it
// out). The first network is the attachment's own (eth0: the default route, the published ports,
// as Docker's "gateway" endpoint); every network connected after it is an endpoint of the same
// record (attachments.ts), an interface eth1, eth2… of the same namespace:
//  - its conflist is the network's without the default route (one way out per container, eth0's)
//    and without portmap (ports are published on the first network only, as Docker does);
//  - membership, hence /etc/hosts, counts the endpoints: every member of a network finds the others
//    by their address on that network, and a container lists the peers of each of its networks.
import type { AttachmentRecord, EndpointRecord } from './attachments.ts';
import type { BerthConfList } from './config.ts';
import { hostsFileOf, hostsLine, sectionHeader, sortPeers, type HostsEntry } from './hosts.ts';
import { IFNAME } from './join-leave.ts';

/** The network's conflist as a further interface joins it: no default route, no port mapping. */
export function endpointConfList(list: BerthConfList): BerthConfList {
  return {
    ...list,
    plugins: list.plugins
      .filter((p) => p.type !== 'portmap')
      .map((p) => (p.type === 'bridge' && p.ipam ? { ...p, ipam: { ...(p.ipam as Record<string, unknown>), routes: [] } } : p)),
  };
}

/** The lowest ethN the container's namespace does not use yet (eth0 is the first network's). */
export function freeIfName(r: Pick<AttachmentRecord, 'mode' | 'endpoints'>): string {
  const used = new Set((r.endpoints ?? []).map((e) => e.ifName));
  if (r.mode === 'network') used.add(IFNAME);
  for (let n = 0; ; n++) if (!used.has(`eth${n}`)) return `eth${n}`;
}

/** The endpoint of `r` on `network`, if it has one. */
export function endpointOn(r: Pick<AttachmentRecord, 'endpoints'>, network: string): EndpointRecord | undefined {
  return r.endpoints?.find((e) => e.network === network);
}

/** The networks `r` is a member of (its own first, then its ready endpoints'). */
export function networksOf(r: AttachmentRecord): string[] {
  const own = r.mode === 'network' && r.state === 'ready' && r.network ? [r.network] : [];
  return [...own, ...(r.state === 'ready' ? (r.endpoints ?? []).filter((e) => e.state === 'ready').map((e) => e.network) : [])];
}

/** How `r` is known on `network` (its address there and names), when it is a ready member. */
function entryOn(r: AttachmentRecord, network: string): HostsEntry | undefined {
  if (r.state !== 'ready') return undefined;
  if (r.mode === 'network' && r.network === network) return r.ipAddress ? { ip: r.ipAddress, names: [r.name, ...r.aliases] } : undefined;
  const e = endpointOn(r, network);
  return e?.state === 'ready' && e.ipAddress ? { ip: e.ipAddress, names: [r.name, ...e.aliases.filter((a) => a !== r.name)] } : undefined;
}

/** `r` is on `network`, in whatever state (a network with any such container cannot be removed). */
export function isOn(r: AttachmentRecord, network: string): boolean {
  return (r.mode === 'network' && r.network === network) || !!endpointOn(r, network);
}

/** The address of `r` on `network` (its first network's, or its endpoint's there). */
export function addressOn(r: AttachmentRecord, network: string): string | undefined {
  return r.mode === 'network' && r.network === network ? r.ipAddress : endpointOn(r, network)?.ipAddress;
}

/** The ready members of `network`. */
export function membersOf(network: string, records: AttachmentRecord[]): AttachmentRecord[] {
  return records.filter((r) => networksOf(r).includes(network));
}

/**
 * A network's section of /etc/hosts: its ready members' lines in order, one buffer for all the
 * members, and where each member's own line is in it (left out of its own file).
 */
interface Section {
  header: Buffer;
  body: Buffer;
  lineOf: Map<string, [number, number]>;
}

function sectionOf(network: string, records: AttachmentRecord[]): Section {
  const entries = sortPeers(records.flatMap((o) => {
    const e = entryOn(o, network);
    return e ? [{ ...e, id: o.id }] : [];
  }));
  const lines = entries.map((e) => `${hostsLine(e)}\n`);
  const lineOf = new Map<string, [number, number]>();
  let at = 0;
  for (const [i, e] of entries.entries()) {
    const end = at + Buffer.byteLength(lines[i]!);
    lineOf.set(e.id, [at, end]);
    at = end;
  }
  return { header: Buffer.from(`${sectionHeader(network)}\n`), body: Buffer.from(lines.join('')), lineOf };
}

/**
 * The /etc/hosts of each of `targets` (as hostsFileOf writes it): its own name on its first network
 * with an address (its first interface's, as Docker writes it), then the peers of each of its
 * networks by their address on that network. Given as the parts of the file: each network's peers
 * are found, sorted and encoded once for all its members (a join rewrites every member's file:
 * made per member, that was N² log N per join, and N² bytes of garbage).
 */
export function hostsOfEach(targets: AttachmentRecord[], records: AttachmentRecord[]): Buffer[][] {
  const sections = new Map<string, Section>();
  return targets.map((r) => {
    const nets = networksOf(r);
    const self = nets.map((n) => entryOn(r, n)).find((e) => e !== undefined);
    const parts: Buffer[] = [Buffer.from(hostsFileOf(self, [], r.extraHosts))];
    for (const network of nets) {
      let s = sections.get(network);
      if (!s) sections.set(network, (s = sectionOf(network, records)));
      const [from, to] = s.lineOf.get(r.id) ?? [s.body.length, s.body.length];
      if (s.body.length === to - from) continue;
      parts.push(s.header, s.body.subarray(0, from), s.body.subarray(to));
    }
    return parts;
  });
}
