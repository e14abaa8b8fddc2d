// Docker's volume routes onto the volume service berth's own /v1/volumes uses: list (filters),
// create, inspect, remove, prune — in Docker's shapes (specs/docker/volume.ts).
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { dockerVolume } from '../../specs/docker/volume.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { parseVolumeFilters } from '../services/volumes.ts';
import { filtersParam, flag, volumesOf } from './common.ts';

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new InvalidArgumentError(`${what} must be an object of strings`);
  return v as Record<string, string>;
}

/** Docker's filters map as the `key=value` list the volume service parses. */
const filterList = (q: URLSearchParams) => [...filtersParam(q)].flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));

export default function routes(ctx: DaemonContext): Route[] {
  const svc = () => volumesOf(ctx);
  const noSuch = async <T>(name: string, f: () => Promise<T>): Promise<T> =>
    f().catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`get ${name}: no such volume`) : err;
    });
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: async (req) => ({ json: { Volumes: (await svc().list(parseVolumeFilters(filterList(req.query)))).filter((v) => v.exists).map(dockerVolume), Warnings: null } }),
    },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (typeof b !== 'object' || Array.isArray(b)) throw new InvalidArgumentError('the body must be an object (Name, Driver, DriverOpts, Labels)');
        if (b.Name !== undefined && typeof b.Name !== 'string') throw new InvalidArgumentError('Name must be a string');
        if (b.Driver !== undefined && typeof b.Driver !== 'string') throw new InvalidArgumentError('Driver must be a string');
        const driverOpts = stringMap(b.DriverOpts, 'DriverOpts');
        const labels = stringMap(b.Labels, 'Labels');
        const v = await svc().create({
          ...(b.Name ? { name: b.Name as string } : {}),
          ...(b.Driver ? { driver: b.Driver as string } : {}),
          ...(driverOpts ? { driverOpts } : {}),
          ...(labels ? { labels } : {}),
        });
        return { status: 201, json: dockerVolume(v) };
      },
    },
    { method: 'GET', path: '/volumes/:name', handler: async (req) => ({ json: dockerVolume(await noSuch(req.params.name!, () => svc().inspect(req.params.name!))) }) },
    {
      method: 'DELETE',
      path: '/volumes/:name',
      handler: async (req) => {
        await noSuch(req.params.name!, () => svc().remove(req.params.name!, { force: flag(req.query, 'force') }));
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (req) => {
        const f = filtersParam(req.query);
        const all = f.get('all')?.[0];
        const r = await svc().prune({ all: all === 'true' || all === '1', ...(f.get('label') ? { label: f.get('label')! } : {}) });
        return { json: { VolumesDeleted: r.deleted, SpaceReclaimed: r.reclaimedBytes } };
      },
    },
  ];
}
