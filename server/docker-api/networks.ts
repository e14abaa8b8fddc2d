// Docker's network routes onto berth's network manager (the one `berth network` uses): list,
// create, inspect, remove, prune; connect and disconnect through the network service (the one
// `berth network connect|disconnect` uses), which changes a Container's networks live.
import { createHash } from 'node:crypto';
import { DEFAULT_NETWORK } from '../../engine/network/config.ts';
import type { NetworkManager } from '../../engine/network/network-manager.ts';
import type { NetworkDetails, NetworkInfo } from '../../specs/api/networks.ts';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../specs/errdefs.ts';
import type { NetworkService } from '../services/networks.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { filtersParam } from './common.ts';

/** A stable 64-hex id for a network name (berth's networks are known by name). */
export const networkId = (name: string): string => createHash('sha256').update(`berth-network:${name}`).digest('hex');

function dockerNetwork(n: NetworkInfo, containers: NetworkDetails['containers'] = []) {
  return {
    Name: n.name, Id: networkId(n.name), Created: n.createdAt, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: Object.fromEntries(containers.map((c) => [c.id, { Name: c.name, EndpointID: '', MacAddress: '', IPv4Address: c.ipAddress ? `${c.ipAddress}/${n.subnet.split('/')[1]}` : '', IPv6Address: '' }])),
    // The driver options a network was created with, as dockerd's: none for the ones made through an API (docker-compose
    // compares them with its file's, and would want the network recreated); the default network names its bridge.
    Options: n.name === DEFAULT_NETWORK ? { 'com.docker.network.bridge.name': n.bridge } : {}, Labels: n.labels,
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  const svc = (): NetworkManager => {
    if (!ctx.networks) throw new UnavailableError('this daemon runs without networking');
    return ctx.networks;
  };
  /** A network by its name or its id (or a prefix of it), as Docker takes them. */
  const byRef = async (ref: string): Promise<NetworkInfo> => {
    const all = await svc().list();
    const n = all.find((x) => x.name === ref) ?? all.find((x) => ref.length >= 6 && networkId(x.name).startsWith(ref));
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return n;
  };
  const verbs = (): NetworkService => {
    if (!ctx.networkService) throw new UnavailableError('the daemon is starting and its controllers are not ready yet; retry in a moment');
    return ctx.networkService;
  };
  /** The body's Container, as Docker's connect and disconnect name it. */
  const containerOf = (b: Record<string, unknown>): string => {
    if (typeof b.Container !== 'string' || !b.Container) throw new InvalidArgumentError('Container is required: the container\'s name or id');
    return b.Container;
  };
  /** A network by reference, or the reference itself when none has it (the service says "not found" in Docker's words). */
  const nameOf = (ref: string) => byRef(ref).then((n) => n.name, (err: unknown) => (err instanceof NotFoundError ? ref : Promise.reject(err)));
  return [
    {
      method: 'GET',
      path: '/networks',
      handler: async (req) => {
        const f = filtersParam(req.query);
        const names = f.get('name') ?? [];
        const labels = f.get('label') ?? [];
        const ids = f.get('id') ?? [];
        const out = (await svc().list())
          .filter((n) => !names.length || names.some((v) => n.name.includes(v)))
          .filter((n) => !ids.length || ids.some((v) => networkId(n.name).startsWith(v)))
          .filter((n) => labels.every((l) => (l.includes('=') ? n.labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in n.labels)));
        return { json: out.map((n) => dockerNetwork(n)) };
      },
    },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (typeof b.Name !== 'string' || !b.Name) throw new InvalidArgumentError('Name is required: the network\'s name');
        if (b.Driver !== undefined && b.Driver !== '' && b.Driver !== 'bridge') throw new InvalidArgumentError(`network driver "${String(b.Driver)}" is not supported by berth; its networks are bridges`);
        if (b.Internal === true || b.EnableIPv6 === true) throw new InvalidArgumentError('internal and IPv6 networks are not supported by berth');
        const config = ((b.IPAM as { Config?: Array<{ Subnet?: string }> } | undefined)?.Config ?? []).filter((c) => c.Subnet);
        if (config.length > 1) throw new InvalidArgumentError('a berth network has one subnet');
        const labels = (b.Labels ?? {}) as Record<string, string>;
        const existing = (await svc().list()).find((n) => n.name === b.Name);
        if (existing && b.CheckDuplicate !== false) throw new ConflictError(`network with name ${b.Name} already exists`);
        const n = await svc().create(b.Name, { ...(config[0]?.Subnet ? { subnet: config[0].Subnet } : {}), ...(Object.keys(labels).length ? { labels } : {}) });
        return { status: 201, json: { Id: networkId(n.name), Warning: '' } };
      },
    },
    {
      method: 'GET',
      path: '/networks/:id',
      handler: async (req) => {
        const n = await byRef(req.params.id!);
        return { json: dockerNetwork(n, (await svc().inspect(n.name)).containers) };
      },
    },
    {
      method: 'DELETE',
      path: '/networks/:id',
      handler: async (req) => {
        await svc().remove((await byRef(req.params.id!)).name);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async () => {
        const removed: string[] = [];
        for (const n of await svc().list()) {
          if ((await svc().inspect(n.name)).containers.length) continue;
          if (await svc().remove(n.name).then(() => true, () => false)) removed.push(n.name);
        }
        return { json: { NetworksDeleted: removed } };
      },
    },
    {
      method: 'POST',
      path: '/networks/:id/connect',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        const ec = (b.EndpointConfig ?? {}) as { Aliases?: unknown; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null; Links?: unknown };
        if (ec.IPAMConfig?.IPv4Address || ec.IPAMConfig?.IPv6Address) throw new InvalidArgumentError('EndpointConfig.IPAMConfig: a fixed address (--ip, --ip6) is not supported by berth; leave it out');
        if (Array.isArray(ec.Links) && ec.Links.length) throw new InvalidArgumentError('EndpointConfig.Links: links are not supported by berth; containers on a network find each other by name');
        if (ec.Aliases != null && (!Array.isArray(ec.Aliases) || ec.Aliases.some((a) => typeof a !== 'string'))) throw new InvalidArgumentError('EndpointConfig.Aliases must be a list of strings');
        const aliases = (ec.Aliases ?? []) as string[];
        await verbs().connect(await nameOf(req.params.id!), containerOf(b), aliases.length ? { aliases } : {});
        return { status: 200, body: Buffer.alloc(0) };
      },
    },
    {
      method: 'POST',
      path: '/networks/:id/disconnect',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        await verbs().disconnect(await nameOf(req.params.id!), containerOf(b), b.Force === true ? { force: true } : {});
        return { status: 200, body: Buffer.alloc(0) };
      },
    },
  ];
}
