// berth's REST routes on images: list, inspect, pull and push (NDJSON progress per layer), tag,
// remove, prune, save (docker-archive | oci-archive), load, and registry login/logout. References
// travel in the query or body, since they contain "/" and ":". Each route translates HTTP to a call
// of the image service (server/services/images.ts).
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import type { PullEvent } from '../../specs/api/images.ts';
import { json, queryFlag, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import type { ImageService } from '../services/images.ts';
import { taskStream } from '../stream.ts';

function service(ctx: DaemonContext): ImageService {
  if (!ctx.images) throw new UnavailableError('this daemon runs without a container engine (no runtime configured), so it has no image store');
  return ctx.images;
}

function param(q: URLSearchParams | Record<string, unknown> | undefined, name = 'ref', what = 'the image reference'): string {
  const v = q instanceof URLSearchParams ? q.get(name) : (q?.[name] as unknown);
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`${what} (${name}) is missing`);
  return v;
}

/** POST /v1/images/pull|push: body {ref}; NDJSON progress per layer, then the last line `done`. */
function transfer<T>(
  ctx: DaemonContext,
  verb: 'pull' | 'push',
  run: (images: ImageService, ref: string, on: (e: PullEvent) => void) => Promise<T>,
  done: (result: T) => unknown,
): Route {
  return {
    method: 'POST',
    path: `/v1/images/${verb}`,
    handler: async (req) => {
      const images = service(ctx);
      const ref = param(req.body as Record<string, unknown>);
      return { ndjson: taskStream((on: (e: PullEvent) => void) => run(images, ref, on), done) };
    },
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    { method: 'GET', path: '/v1/images', handler: async () => json(await service(ctx).list()) },
    { method: 'GET', path: '/v1/images/inspect', handler: async (req) => json(await service(ctx).inspect(param(req.query))) },
    { method: 'GET', path: '/v1/images/json', handler: async (req) => json(await service(ctx).dockerInspect(param(req.query))) },
    { method: 'GET', path: '/v1/images/history', handler: async (req) => json({ items: await service(ctx).history(param(req.query)) }) },
    transfer(ctx, 'pull', (images, ref, on) => images.pull(ref, on), (image) => ({ status: 'done', image })),
    transfer(ctx, 'push', (images, ref, on) => images.push(ref, on), (pushed) => ({ status: 'done', ...pushed })),
    {
      method: 'POST',
      path: '/v1/images/tag',
      handler: async (req) => {
        const b = req.body as Record<string, unknown>;
        return json({ image: await service(ctx).tag(param(b, 'source'), param(b, 'target')) }, 201);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/images',
      handler: async (req) => json({ untagged: await service(ctx).remove(param(req.query), { force: queryFlag(req.query, 'force') }) }),
    },
    { method: 'POST', path: '/v1/images/prune', handler: async (req) => json(await service(ctx).prune({ all: queryFlag(req.query, 'all') })) },
    {
      method: 'GET',
      path: '/v1/images/save',
      handler: async (req) => ({
        contentType: 'application/x-tar',
        body: await service(ctx).save(req.query.getAll('ref'), req.query.get('format') ?? 'docker-archive'),
      }),
    },
    { method: 'POST', path: '/v1/images/load', rawBody: true, handler: async (req) => json({ loaded: await service(ctx).load(req.raw) }) },
    {
      method: 'POST',
      path: '/v1/auth',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        const registry = param(b, 'registry', 'the registry');
        const creds = { username: param(b, 'username', 'the user name'), password: param(b, 'password', 'the password') };
        return json({ status: 'Login Succeeded', ...(await service(ctx).login(registry, creds)) });
      },
    },
    { method: 'DELETE', path: '/v1/auth', handler: async (req) => json(await service(ctx).logout(param(req.query, 'registry', 'the registry'))) },
  ];
}
