// What joining and leaving a network does to the host for one container, apart from the membership
// (records, held ports, other members' /etc/hosts: network-manager.ts). These touch only the
// container's own namespace, veth, address and rules, so the manager runs them for several
// containers at once, outside its lock; CNI's plugins take their own locks (host-local's leases,
// iptables -w).
import { removeNetns, standInNetns } from './netns.ts';
import { isMounted } from '../mount-point.ts';
import type { AttachmentRecord } from './attachments.ts';
import { Cni, type CniConfList, type CniResult } from './cni.ts';
import type { PortMapping } from '../../specs/api/common.ts';
import { portmapEntries } from './ports.ts';
import { UnavailableError } from '../../specs/errdefs.ts';

export const IFNAME = 'eth0';

/** The container's address and gateway in an ADD result (the sandbox interface's). */
export function addressOf(result: CniResult): { ipAddress?: string; gateway?: string } {
  const sandboxIf = result.interfaces?.findIndex((i) => i.sandbox) ?? -1;
  const ip = result.ips?.find((i) => i.interface === undefined || i.interface === sandboxIf) ?? result.ips?.[0];
  return ip ? { ipAddress: ip.address.split('/')[0]!, ...(ip.gateway ? { gateway: ip.gateway } : {}) } : {};
}

/**
 * CNI DEL from the record (its exact conflist and cached result) — of each further network's
 * endpoint first, then of its first network — and the namespace released. Idempotent. A failing
 * DEL is an UnavailableError and the namespace is kept, for a retry.
 */
export async function leaveNetwork(cni: Cni, r: AttachmentRecord): Promise<void> {
  for (const e of r.endpoints ?? []) await leaveOne(cni, r, { ...e, ports: [] });
  if (r.confList) await leaveOne(cni, r, { network: r.network ?? r.mode, ifName: IFNAME, confList: r.confList, ...(r.result ? { result: r.result } : {}), ports: r.ports });
  if (r.netnsPath) await removeNetns(r.netnsPath);
}

/** What one interface's DEL needs: the conflist it was added with, its ADD result, its ports. */
export interface Leaving {
  network: string;
  ifName: string;
  confList: CniConfList;
  result?: CniResult;
  ports: PortMapping[];
}

/** CNI DEL of one interface of the container's namespace (see leaveNetwork). */
export async function leaveOne(cni: Cni, r: Pick<AttachmentRecord, 'id' | 'name' | 'netnsPath'>, l: Leaving): Promise<void> {
  let netns = r.netnsPath && isMounted(r.netnsPath) ? r.netnsPath : '';
  // The namespace is gone but the host may still have the container's rules (it was unpinned
  // without a reboot). The bridge plugin (1.1) finds what to tear down from the addresses of
  // the container's interface, so DEL runs against a stand-in namespace with that interface.
  const standIn = !netns && r.netnsPath && l.result?.ips?.length ? `${r.netnsPath}.${l.ifName}.del` : undefined;
  if (standIn) netns = await standInNetns(standIn, l.ifName, l.result!.ips!.map((i) => i.address)).then(() => standIn, () => '');
  const portMappings = portmapEntries(l.ports);
  const rt = { containerId: r.id, netns, ifName: l.ifName, ...(portMappings.length ? { runtimeConfig: { portMappings } } : {}) };
  try {
    await cni.delList(l.confList, rt, l.result);
  } catch (err) {
    // Kept for gc() to retry: leaking a veth or a rule silently is worse than a failed remove.
    throw new UnavailableError(`container "${r.name}": leaving network "${l.network}" failed (CNI DEL; retried by the next gc): ${(err as Error).message}`, { cause: err });
  } finally {
    if (standIn) await removeNetns(standIn);
  }
}
