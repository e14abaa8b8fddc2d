// `network connect` and `network disconnect` of a container that has an attachment (created,
// running or stopped): a further interface in its namespace for each network connected after its
// first (endpoints.ts says what it is), and the reverse. As attach() does, the record is changed
// under the manager's lock — the endpoint written 'adding' before CNI ADD touches the host, so a
// crash in the middle is undone by the DEL of the next detach or gc — and ADD/DEL run outside it.
//
// Disconnecting the first network (eth0) is allowed, as Docker allows it: its interface and ports
// go, and the record keeps the namespace as mode "none" with its other endpoints; the container's
// next start attaches it afresh (the engine asks for its new first network).
import { FailedPreconditionError, NotFoundError, PermissionDeniedError, UnavailableError } from '../../specs/errdefs.ts';
import type { AttachmentRecord, AttachmentStore, EndpointRecord } from './attachments.ts';
import { CniError, type Cni, type CniResult } from './cni.ts';
import { canonicalNetwork, type BerthConfList } from './config.ts';
import { endpointConfList, endpointOn, freeIfName } from './endpoints.ts';
import { addressOf, IFNAME, leaveOne } from './join-leave.ts';
import type { NetworkStore } from './network-store.ts';
import { checkAttachRequest } from './attach-plan.ts';

export interface ConnectOptions {
  network: string;
  /** Its names on that network besides its own. */
  aliases?: string[];
  /**
   * When it is connected already: return that endpoint (repaired if it was left half-made) instead
   * of Docker's "already exists" error — what a start does for each network of the container.
   */
  ensure?: boolean;
}

/** What a connect gives: the interface and its address on the network. */
export interface EndpointView {
  network: string;
  ifName: string;
  ipAddress?: string;
  gateway?: string;
}

/** What connect and disconnect need of the manager. */
export interface ConnectContext {
  records: AttachmentStore;
  networks: NetworkStore;
  cni: Cni;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** CNI ADD of one more interface (the network's bridge and rules made first, once). */
  add(id: string, list: BerthConfList, netns: string, ifName: string): Promise<CniResult>;
  /** Rewrites the /etc/hosts of every member of these networks and of these containers. */
  refresh(networks: string[], ids: string[]): Promise<void>;
  /** Lets go of the host ports held for the container (its first network is leaving). */
  releasePorts(id: string): void;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

const view = (e: EndpointRecord): EndpointView => ({ network: e.network, ifName: e.ifName, ...(e.ipAddress ? { ipAddress: e.ipAddress } : {}), ...(e.gateway ? { gateway: e.gateway } : {}) });

function notAttached(id: string): NotFoundError {
  return new NotFoundError(`container ${id} has no network namespace of its own to connect (it has not been created, or it uses the host's network)`);
}

/** The record with endpoint `network` replaced by `e` (or removed, without `e`), written. */
function writeEndpoint(ctx: ConnectContext, id: string, network: string, e?: EndpointRecord): AttachmentRecord | undefined {
  const r = ctx.records.read(id);
  if (!r) return undefined;
  const endpoints = (r.endpoints ?? []).filter((x) => x.network !== network);
  const next: AttachmentRecord = { ...r, endpoints: e ? [...endpoints, e] : endpoints };
  if (!next.endpoints!.length) delete next.endpoints;
  ctx.records.write(next);
  return next;
}

export async function connectEndpoint(ctx: ConnectContext, id: string, o: ConnectOptions): Promise<EndpointView> {
  const network = canonicalNetwork(o.network);
  const begun = await ctx.serial(async (): Promise<{ r: AttachmentRecord; e: EndpointRecord } | EndpointView> => {
    const r = ctx.records.read(id);
    if (!r?.netnsPath || r.state !== 'ready') throw notAttached(id);
    checkAttachRequest(id, { network, name: r.name, ...(o.aliases ? { aliases: o.aliases } : {}) });
    const list = ctx.networks.read(network);
    if (!list) throw new NotFoundError(`network ${o.network} not found`);
    const already = () => new PermissionDeniedError(`endpoint with name ${r.name} already exists in network ${o.network}`);
    if (r.mode === 'network' && r.network === network) {
      if (!o.ensure) throw already();
      return { network, ifName: IFNAME, ...(r.ipAddress ? { ipAddress: r.ipAddress } : {}), ...(r.gateway ? { gateway: r.gateway } : {}) };
    }
    const mine = endpointOn(r, network);
    if (mine?.state === 'ready') {
      if (!o.ensure) throw already();
      return view(mine);
    }
    // Half made or half removed (a crash in the middle of ADD or DEL): removed, then added afresh on the same interface.
    if (mine) await leaveOne(ctx.cni, r, { ...mine, ports: [] });
    const e: EndpointRecord = { network, ifName: mine?.ifName ?? freeIfName(r), aliases: (o.aliases ?? []).filter((a) => a !== r.name), state: 'adding', confList: endpointConfList(list) };
    return { r: writeEndpoint(ctx, id, network, e)!, e };
  });
  if (!('r' in begun)) return begun;
  const { r, e } = begun;
  try {
    const result = await ctx.add(id, e.confList as BerthConfList, r.netnsPath!, e.ifName);
    const ready: EndpointRecord = { ...e, state: 'ready', result, ...addressOf(result) };
    return await ctx.serial(async () => {
      if (!writeEndpoint(ctx, id, network, ready)) throw notAttached(id);
      await ctx.refresh([network], [id]);
      return view(ready);
    });
  } catch (err) {
    await ctx.serial(async () => {
      await leaveOne(ctx.cni, r, { ...e, ports: [] });
      writeEndpoint(ctx, id, network);
    }).catch((undo) => ctx.log?.warn('undoing a failed connect', { id, network, error: String(undo) }));
    if (err instanceof CniError) throw new UnavailableError(`container "${r.name}": connecting to network "${network}" failed: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Takes the container off `network`: its interface there deleted (CNI DEL), its address released,
 * the other members' /etc/hosts without it. With force, a DEL that fails is logged and the
 * endpoint forgotten all the same.
 */
export async function disconnectEndpoint(ctx: ConnectContext, id: string, networkName: string, o: { force?: boolean } = {}): Promise<void> {
  const network = canonicalNetwork(networkName);
  const leaving = await ctx.serial(async () => {
    const r = ctx.records.read(id);
    if (!r?.netnsPath) throw notAttached(id);
    if (r.mode === 'network' && r.network === network) {
      ctx.releasePorts(id);
      return { r, first: true as const };
    }
    const e = endpointOn(r, network);
    if (!e) throw new FailedPreconditionError(`container ${id} is not connected to network ${networkName}`);
    return { r: writeEndpoint(ctx, id, network, { ...e, state: 'removing' })!, e, first: false as const };
  });
  const { r } = leaving;
  const l = leaving.first
    ? { network, ifName: IFNAME, confList: r.confList!, ...(r.result ? { result: r.result } : {}), ports: r.ports }
    : { ...leaving.e, ports: [] };
  if (l.confList) {
    await leaveOne(ctx.cni, r, l).catch((err: unknown) => {
      if (!o.force) throw err;
      ctx.log?.warn('network disconnect --force: DEL failed, the endpoint is forgotten', { id, network, error: String(err) });
    });
  }
  await ctx.serial(async () => {
    if (leaving.first) {
      const now = ctx.records.read(id);
      if (now) {
        // The namespace stays (the process lives in it), with loopback and its other networks.
        const { network: _n, confList: _c, result: _r, ipAddress: _i, gateway: _g, ...rest } = now;
        ctx.records.write({ ...rest, mode: 'none', ports: [] });
      }
    } else {
      writeEndpoint(ctx, id, network);
    }
    await ctx.refresh([network], [id]);
  });
}

/** The container's further networks, as connected. */
export async function endpointsOf(records: AttachmentStore, id: string): Promise<EndpointView[]> {
  return (records.read(id)?.endpoints ?? []).filter((e) => e.state === 'ready').map(view);
}
