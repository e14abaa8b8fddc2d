// berth's REST routes on volumes: list (Docker's filters), create, inspect, remove, prune. Each
// translates HTTP to a call of the volume service (server/services/volumes.ts).
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { json, queryFlag, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { parseVolumeFilters, type VolumeService } from '../services/volumes.ts';

function service(ctx: DaemonContext): VolumeService {
  if (!ctx.volumes) throw new UnavailableError('this daemon runs without a container engine (no runtime configured), so it has no volumes');
  return ctx.volumes;
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new InvalidArgumentError(`${what} must be an object of strings`);
  return v as Record<string, string>;
}

function stringList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidArgumentError(`${what} must be a list of strings`);
  return v as string[];
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    { method: 'GET', path: '/v1/volumes', handler: async (req) => json({ items: await service(ctx).list(parseVolumeFilters(req.query.getAll('filter'))) }) },
    {
      method: 'POST',
      path: '/v1/volumes',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (b.name !== undefined && typeof b.name !== 'string') throw new InvalidArgumentError('name must be a string');
        if (b.driver !== undefined && typeof b.driver !== 'string') throw new InvalidArgumentError('driver must be a string');
        const driverOpts = stringMap(b.driverOpts, 'driverOpts');
        const labels = stringMap(b.labels, 'labels');
        const v = await service(ctx).create({
          ...(b.name ? { name: b.name as string } : {}),
          ...(b.driver ? { driver: b.driver as string } : {}),
          ...(driverOpts ? { driverOpts } : {}),
          ...(labels ? { labels } : {}),
        });
        return json(v, 201);
      },
    },
    { method: 'GET', path: '/v1/volumes/:name', handler: async (req) => json(await service(ctx).inspect(req.params.name!)) },
    {
      method: 'DELETE',
      path: '/v1/volumes/:name',
      handler: async (req) => json({ name: req.params.name, removed: await service(ctx).remove(req.params.name!, { force: queryFlag(req.query, 'force') }) }),
    },
    {
      method: 'POST',
      path: '/v1/volumes/prune',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        const label = stringList(b.label, 'label');
        return json(await service(ctx).prune({ all: b.all === true, ...(label ? { label } : {}) }));
      },
    },
  ];
}
