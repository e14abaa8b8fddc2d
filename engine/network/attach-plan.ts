// What attaching a container to a network means, decided before anything touches the host. Pure:
// the NetworkManager reads the attachment records and the network's conflist, asks planAttachment()
// for the plan, and carries it out through CNI (network-manager.ts). The rules:
//  - the id is one the runtime takes (ids.ts), the names are host names (they go into every
//    member's /etc/hosts: nothing that could add a line);
//  - network "host" or "none" is a mode; any other name is a network ("bridge" = berth, the default);
//  - with the host's network a container's ports are the host's own: nothing is published;
//  - berth's networks are IPv4 only: a port published on an IPv6 address is refused;
//  - mode "none" has no network to publish on: a hostPort is refused;
//  - the network must exist, except the default one, which is created on first use;
//  - a host port another container publishes (same protocol, overlapping address) is a conflict.
import { isIPv6 } from 'node:net';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { PortMapping } from '../../specs/api/common.ts';
import { checkRuntimeContainerId } from '../ids.ts';
import type { AttachmentRecord } from './attachments.ts';
import { canonicalNetwork, DEFAULT_NETWORK } from './config.ts';
import { formatPort, portsCollide } from './ports.ts';

const HOST_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,251}[a-zA-Z0-9])?$/;

export interface AttachOptions {
  /** none | host | bridge (= berth, the default network) | a network's name */
  network: string;
  /** The container's name: what the other members of the network call it. */
  name: string;
  ports?: PortMapping[];
  /** More names for it on the network (e.g. its hostname when it differs). */
  aliases?: string[];
  /** Lines of its own /etc/hosts besides the network's (Kubernetes' hostAliases, Docker's --add-host). */
  extraHosts?: Array<{ ip: string; names: string[] }>;
}

/** Where a request puts the container: the mode, the network's canonical name, the ports as kept. */
export interface AttachTarget {
  mode: AttachmentRecord['mode'];
  /** The network's canonical name (mode network). */
  network?: string;
  ports: PortMapping[];
}

export interface AttachmentPlan extends AttachTarget {
  /** The ports with a hostPort: bound by the daemon and given to portmap. */
  published: PortMapping[];
  aliases: string[];
  /** The default network does not exist yet: create it first. */
  createNetwork: boolean;
}

/** What the manager has read for the plan. */
export interface AttachContext {
  /** The target network's conflist exists (mode network). */
  networkExists: boolean;
  /** Every attachment record (mode network, when a host port is published; the container's own is ignored). */
  others: ReadonlyArray<Pick<AttachmentRecord, 'id' | 'name' | 'ports'>>;
}

/** The checks that need nothing read: the id and the names. */
export function checkAttachRequest(id: string, o: AttachOptions): void {
  checkRuntimeContainerId(id);
  const bad = [o.name, ...(o.aliases ?? [])].find((n) => !HOST_NAME.test(n));
  if (bad !== undefined) throw new InvalidArgumentError(`container name "${bad}" cannot be a host name on a network: use letters, digits, "-", "_" and "." (at most 253)`);
}

export function attachTarget(o: AttachOptions): AttachTarget {
  const mode = o.network === 'host' || o.network === 'none' ? o.network : 'network';
  const ports = (mode === 'host' ? [] : (o.ports ?? [])).map(
    (p): PortMapping => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}), ...(p.hostIP ? { hostIP: p.hostIP } : {}) }),
  );
  return { mode, ...(mode === 'network' ? { network: canonicalNetwork(o.network) } : {}), ports };
}

/** An existing attachment already is what the request asks for (then attach only checks its health). */
export function sameAttachment(existing: Pick<AttachmentRecord, 'mode' | 'network' | 'ports'>, t: AttachTarget): boolean {
  const key = (ports: PortMapping[]) => ports.map((p) => `${p.hostIP ?? ''}:${p.hostPort ?? ''}:${p.containerPort}/${p.protocol}`).join(',');
  return existing.mode === t.mode && existing.network === t.network && key(existing.ports) === key(t.ports);
}

export function networkNotFound(o: AttachOptions): NotFoundError {
  return new NotFoundError(`container "${o.name}": network "${o.network}" not found; create it with \`berth network create ${o.network}\``);
}

/** The plan of attach(id, o), or the error saying why it cannot be done. */
export function planAttachment(id: string, o: AttachOptions, ctx: AttachContext): AttachmentPlan {
  checkAttachRequest(id, o);
  const target = attachTarget(o);
  // hostPort 0: a free port, picked when it is bound.
  const published = target.ports.filter((p) => p.hostPort !== undefined);
  const v6 = published.find((p) => p.hostIP && isIPv6(p.hostIP));
  if (v6) throw new InvalidArgumentError(`container "${o.name}": port ${formatPort(v6)}: berth's networks are IPv4 only; publish on an IPv4 address (or leave hostIP out)`);
  if (published.length && target.mode !== 'network') {
    throw new InvalidArgumentError(`container "${o.name}": network "none" cannot publish ports (drop hostPort, or use network: bridge)`);
  }
  let createNetwork = false;
  if (target.network) {
    if (!ctx.networkExists) {
      if (target.network !== DEFAULT_NETWORK) throw networkNotFound(o);
      createNetwork = true;
    }
    for (const r of ctx.others) {
      if (r.id === id) continue;
      for (const mine of published) {
        if (r.ports.some((p) => portsCollide(mine, p))) {
          throw new ConflictError(`container "${o.name}": host port ${formatPort(mine).split('->')[0]}/${mine.protocol.toLowerCase()} is already published by container "${r.name}"; publish another host port`);
        }
      }
    }
  }
  return { ...target, published, aliases: o.aliases?.filter((a) => a !== o.name) ?? [], createNetwork };
}
