// Networks: `berth network create|ls|inspect|rm`. Networks are API-managed objects rather than a
// manifest kind (engine/network/network-manager.ts says why); Containers name them in spec.network(s);
// connect and disconnect change a Container's list live (server/services/networks.ts).
import type { NetworkManager } from '../../engine/network/network-manager.ts';
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { json, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import type { NetworkService } from '../services/networks.ts';
import type { NetworkConnectRequest, NetworkDisconnectRequest } from '../../specs/api/networks.ts';

function verbs(ctx: DaemonContext): NetworkService {
  if (!ctx.networkService) throw new UnavailableError('the daemon is starting (or runs without networking) and cannot connect containers yet; retry in a moment');
  return ctx.networkService;
}

function connectBody(body: unknown): NetworkConnectRequest & NetworkDisconnectRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.container !== 'string' || !b.container) throw new InvalidArgumentError('body.container: the container\'s name or id is required (a string)');
  if (b.aliases !== undefined && (!Array.isArray(b.aliases) || b.aliases.some((a) => typeof a !== 'string'))) throw new InvalidArgumentError('body.aliases must be a list of strings');
  if (b.force !== undefined && typeof b.force !== 'boolean') throw new InvalidArgumentError('body.force must be true or false');
  return { container: b.container, ...(b.aliases ? { aliases: b.aliases as string[] } : {}), ...(b.force ? { force: true } : {}) };
}

function need(ctx: DaemonContext): NetworkManager {
  if (!ctx.networks) throw new UnavailableError('this daemon runs without networking (no network manager); start it with one to manage networks');
  return ctx.networks;
}

interface CreateBody {
  name?: unknown;
  subnet?: unknown;
  labels?: unknown;
}

function createBody(body: unknown): { name: string; subnet?: string; labels?: Record<string, string> } {
  const b = (body ?? {}) as CreateBody;
  if (typeof b.name !== 'string' || !b.name) throw new InvalidArgumentError('body.name: the network\'s name is required (a string)');
  if (b.subnet !== undefined && typeof b.subnet !== 'string') throw new InvalidArgumentError('body.subnet must be a string like "10.90.0.0/24"');
  if (b.labels !== undefined && (typeof b.labels !== 'object' || b.labels === null || Object.values(b.labels).some((v) => typeof v !== 'string'))) {
    throw new InvalidArgumentError('body.labels must be an object of strings');
  }
  return { name: b.name, ...(b.subnet ? { subnet: b.subnet } : {}), ...(b.labels ? { labels: b.labels as Record<string, string> } : {}) };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    { method: 'GET', path: '/v1/networks', handler: async () => json({ items: await need(ctx).list() }) },
    {
      method: 'POST',
      path: '/v1/networks',
      handler: async (req) => {
        const b = createBody(req.body);
        const info = await need(ctx).create(b.name, { ...(b.subnet ? { subnet: b.subnet } : {}), ...(b.labels ? { labels: b.labels } : {}) });
        ctx.log.info('network created', { network: info.name, subnet: info.subnet });
        return json(info, 201);
      },
    },
    { method: 'GET', path: '/v1/networks/:name', handler: async (req) => json(await need(ctx).inspect(req.params.name!)) },
    {
      method: 'POST',
      path: '/v1/networks/:name/connect',
      handler: async (req) => {
        const b = connectBody(req.body);
        await verbs(ctx).connect(req.params.name!, b.container, b.aliases ? { aliases: b.aliases } : {});
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/v1/networks/:name/disconnect',
      handler: async (req) => {
        const b = connectBody(req.body);
        await verbs(ctx).disconnect(req.params.name!, b.container, b.force ? { force: true } : {});
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/networks/:name',
      handler: async (req) => {
        await need(ctx).remove(req.params.name!);
        ctx.log.info('network removed', { network: req.params.name });
        return { status: 204 };
      },
    },
  ];
}
