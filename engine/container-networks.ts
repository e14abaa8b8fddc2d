// A container's networks after its first, as the engine keeps them (container-store.ts `more`):
// connected when it is created and again at every start (`ensure`: a healthy one is left alone,
// one lost with its namespace after a reboot is added afresh), and live by `network connect` and
// `network disconnect`, which also write the record, so that a restart keeps what was changed.
// The NetworkManager does the interfaces (engine/network/network-connect.ts); this file decides
// what the record says: the first network is where ports are published, so taking it away makes
// the next network the first (from the next start on), and connecting a container left with no
// network makes that network its first.
import type { ContainerRecord, ExtraNetwork } from './container-store.ts';
import type { NetworkPort } from './deps.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../specs/errdefs.ts';
import { canonicalNetwork } from '../specs/networks.ts';
import type { ContainerNetwork } from '../specs/api/containers.ts';
import type { PortMapping } from '../specs/api/common.ts';

function connector(port: NetworkPort | undefined, name: string): Required<Pick<NetworkPort, 'connect' | 'disconnect'>> {
  if (!port?.connect || !port.disconnect) throw new FailedPreconditionError(`container "${name}": connecting networks needs the network manager, which this daemon does not have`);
  return { connect: port.connect.bind(port), disconnect: port.disconnect.bind(port) };
}

/** Connects (or, when they are, checks) each further network; the list with their addresses. */
export async function ensureMoreNetworks(port: NetworkPort | undefined, id: string, name: string, more: ExtraNetwork[]): Promise<ExtraNetwork[]> {
  if (!more.length) return more;
  const { connect } = connector(port, name);
  const out: ExtraNetwork[] = [];
  for (const m of more) {
    const e = await connect(id, { network: m.network, ...(m.aliases?.length ? { aliases: m.aliases } : {}), ensure: true });
    out.push({ network: m.network, ...(m.aliases?.length ? { aliases: m.aliases } : {}), ...(e.ipAddress ? { ipAddress: e.ipAddress } : {}) });
  }
  return out;
}

/**
 * At a start: its first network attached again (a healthy attachment is left alone; one whose
 * namespace is gone is made afresh, perhaps with another address), then its others; the record
 * with their addresses now (the same object when nothing changed).
 */
export async function reattach(port: NetworkPort, rec: ContainerRecord): Promise<{ rec: ContainerRecord; netnsPath?: string }> {
  const { mode, ports, aliases, extraHosts, more = [] } = rec.network;
  const net = await port.attach(rec.id, { network: mode, name: rec.owner.name, ports: ports ?? [], ...(aliases ? { aliases } : {}), ...(extraHosts ? { extraHosts } : {}) });
  const now = await ensureMoreNetworks(port, rec.id, rec.owner.name, more);
  const netnsPath = net.netnsPath ? { netnsPath: net.netnsPath } : {};
  if (net.ipAddress === rec.network.ipAddress && JSON.stringify(now) === JSON.stringify(more)) return { rec, ...netnsPath };
  const { ipAddress: _old, more: _more, ...rest } = rec.network;
  return { rec: { ...rec, network: { ...rest, ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}), ...(now.length ? { more: now } : {}) } }, ...netnsPath };
}

/** Why this container cannot be connected to another network, in Docker's words, or undefined. */
function cannotConnect(rec: ContainerRecord): string | undefined {
  if (rec.network.sandbox) return `container "${rec.owner.name}" is a member of a Pod and shares its Pod's network; connect the Pod's containers through their Pod`;
  if (rec.network.mode === 'host') return 'container sharing network namespace with another container or host cannot be connected to any other network';
  return undefined;
}

/**
 * `network connect`: the interface made (live when the container runs), and the record says so.
 * `ports`: the spec's, published from the next start when this network becomes its first.
 */
export async function connectRecord(port: NetworkPort | undefined, rec: ContainerRecord, o: { network: string; aliases?: string[]; ports: PortMapping[] }): Promise<ContainerRecord> {
  const why = cannotConnect(rec);
  if (why) throw new InvalidArgumentError(why);
  const e = await connector(port, rec.owner.name).connect(rec.id, { network: o.network, ...(o.aliases?.length ? { aliases: o.aliases } : {}) });
  const aliases = o.aliases?.length ? { aliases: o.aliases } : {};
  const ip = e.ipAddress ? { ipAddress: e.ipAddress } : {};
  if (rec.network.mode === 'none') {
    const { ipAddress: _i, aliases: _a, ...net } = rec.network;
    return { ...rec, network: { ...net, mode: o.network, ...aliases, ...ip, ports: o.ports } };
  }
  return { ...rec, network: { ...rec.network, more: [...(rec.network.more ?? []), { network: o.network, ...aliases, ...ip }] } };
}

/** `network disconnect`: the interface removed (live), and the record without the network. */
export async function disconnectRecord(port: NetworkPort | undefined, rec: ContainerRecord, o: { network: string; force?: boolean }): Promise<ContainerRecord> {
  const target = canonicalNetwork(o.network);
  const net = rec.network;
  const isFirst = net.mode !== 'host' && net.mode !== 'none' && canonicalNetwork(net.mode) === target;
  const more = net.more ?? [];
  const i = more.findIndex((m) => canonicalNetwork(m.network) === target);
  if (!isFirst && i < 0) throw new FailedPreconditionError(`container ${rec.id} is not connected to network ${o.network}`);
  if (net.sandbox) throw new InvalidArgumentError(cannotConnect(rec)!);
  await connector(port, rec.owner.name).disconnect(rec.id, target, o.force ? { force: true } : {});
  if (!isFirst) return { ...rec, network: { ...net, more: more.filter((_, k) => k !== i) } };
  const { ipAddress: _i, aliases: _a, more: _m, ...rest } = net;
  const [next, ...others] = more;
  if (!next) return { ...rec, network: { ...rest, mode: 'none', ports: [] } };
  return {
    ...rec,
    network: { ...rest, mode: next.network, ...(next.aliases ? { aliases: next.aliases } : {}), ...(next.ipAddress ? { ipAddress: next.ipAddress } : {}), ...(others.length ? { more: others } : {}) },
  };
}

/** Every network of the container as inspect lists them; none with the host's network or none. */
export function networksOfRecord(rec: ContainerRecord): ContainerNetwork[] | undefined {
  const net = rec.network;
  if (net.mode === 'host') return undefined;
  const first: ContainerNetwork[] = net.mode === 'none' ? [] : [{ name: net.mode, ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}), ...(net.aliases?.length ? { aliases: net.aliases } : {}) }];
  return [...first, ...(net.more ?? []).map((m) => ({ name: m.network, ...(m.ipAddress ? { ipAddress: m.ipAddress } : {}), ...(m.aliases?.length ? { aliases: m.aliases } : {}) }))];
}
