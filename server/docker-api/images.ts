// Docker's image routes onto the image service (server/services/images.ts) berth's own API uses:
// list, inspect, history, create (pull, with Docker's JSON progress), push (both with the
// credentials of X-Registry-Auth for that request alone), tag, remove, prune,
// get/load (save/load tars), commit; search is not offered (no registry search in berth). Image
// names hold slashes (127.0.0.1:5000/app/web), so /images/{name}/… is matched by its suffix.
import { NotFoundError, UnimplementedError, InvalidArgumentError } from '../../specs/errdefs.ts';
import type { PullEvent } from '../../specs/api/images.ts';
import type { ApiReply, ApiRequest, Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { registryAuth, type RequestCredentials } from '../../specs/docker/registry-auth.ts';
import { taskStream } from '../stream.ts';
import { containersOf, filtersParam, flag, imagesOf, unixSeconds } from './common.ts';

/** A pull's or push's step as Docker's JSON progress message. */
export function progressMessage(e: PullEvent, push = false): Record<string, unknown> {
  const status = {
    resolving: push ? 'Preparing' : 'Pulling fs layer',
    exists: push ? 'Layer already exists' : 'Already exists',
    downloading: push ? 'Pushing' : 'Downloading',
    done: push ? 'Pushed' : 'Pull complete',
    pushed: 'Pushed',
    mounted: 'Mounted from another repository',
    mirror: e.message ?? 'Trying a mirror',
    fallback: e.message ?? 'Falling back',
  }[e.status];
  return { status, ...(e.current !== undefined ? { progressDetail: { current: e.current, ...(e.total !== undefined ? { total: e.total } : {}) } } : {}), id: e.id };
}

/** "Not found" in Docker's words for images. */
async function noSuchImage<T>(ref: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw err instanceof NotFoundError ? new NotFoundError(`No such image: ${ref}`) : err;
  }
}

/** The credentials a pull or push was sent with (X-Registry-Auth), for it alone; none: the daemon's. */
function requestCredentials(req: ApiRequest): { credentials?: RequestCredentials } {
  const c = registryAuth(req.raw.headers['x-registry-auth']);
  return c ? { credentials: c } : {};
}

/** name[:tag] from fromImage/repo and tag parameters. */
function refOf(name: string, tag: string | null): string {
  if (!tag) return name;
  return tag.startsWith('sha256:') ? `${name}@${tag}` : `${name}:${tag}`;
}

export default function routes(ctx: DaemonContext): Route[] {
  const svc = () => imagesOf(ctx);
  /** The /images/{name}/{verb} routes, matched by their last segment (names hold slashes). */
  const byName: Record<string, Partial<Record<'GET' | 'POST' | 'DELETE', (name: string, req: ApiRequest) => Promise<ApiReply>>>> = {
    json: { GET: async (name) => ({ json: await noSuchImage(name, () => svc().dockerInspect(name)) }) },
    history: {
      GET: async (name) => ({
        json: (await noSuchImage(name, () => svc().history(name))).map((h) => ({ Id: h.id, Created: unixSeconds(h.created), CreatedBy: h.createdBy, Tags: h.tags.length ? h.tags : null, Size: h.size, Comment: h.comment })),
      }),
    },
    tag: {
      POST: async (name, req) => {
        const repo = req.query.get('repo');
        if (!repo) throw new InvalidArgumentError('repo is required: the name to tag the image with');
        await noSuchImage(name, () => svc().tag(name, refOf(repo, req.query.get('tag'))));
        return { status: 201, body: Buffer.alloc(0) };
      },
    },
    push: {
      POST: async (name, req) => {
        const ref = refOf(name, req.query.get('tag'));
        await noSuchImage(ref, () => svc().inspect(ref));
        return {
          ndjson: taskStream<unknown, { digest: string; size: number }>(
            (push) => svc().push(ref, (e) => push(progressMessage(e, true)), requestCredentials(req)),
            (r) => ({ status: `${req.query.get('tag') ?? 'latest'}: digest: ${r.digest} size: ${r.size}` }),
          ),
        };
      },
    },
    get: {
      GET: async (name) => ({ contentType: 'application/x-tar', body: await svc().save([name], 'docker-archive') }),
    },
    '': {
      DELETE: async (name, req) => {
        const untagged = await noSuchImage(name, () => svc().remove(name, { force: flag(req.query, 'force') }));
        return { json: untagged.map((u) => ({ Untagged: u })) };
      },
    },
  };
  const dispatch = (method: 'GET' | 'POST' | 'DELETE'): Route => ({
    method,
    path: '/images/*',
    handler: async (req) => {
      const path = req.params['*'] ?? '';
      const m = /^(.*?)(?:\/(json|history|tag|push|get))?$/.exec(path)!;
      const verb = method === 'DELETE' ? '' : (m[2] ?? '');
      const h = byName[verb]?.[method];
      if (!h || !m[1]) throw new NotFoundError(`page not found: ${method} /images/${path}`);
      return h(decodeURIComponent(m[1]), req);
    },
  });
  return [
    {
      method: 'GET',
      path: '/images/json',
      handler: async (req) => {
        const filters = filtersParam(req.query);
        const { items } = await svc().list();
        const byId = new Map<string, typeof items>();
        for (const i of items) byId.set(i.id, [...(byId.get(i.id) ?? []), i]);
        const dangling = filters.get('dangling')?.[0];
        const refs = filters.get('reference') ?? [];
        const out = [...byId.values()]
          .map((tags) => {
            const named = tags.filter((t) => t.ref);
            return {
              Id: tags[0]!.id, ParentId: '', RepoTags: named.map((t) => `${t.repository}:${t.tag}`), RepoDigests: [],
              Created: unixSeconds(tags[0]!.created), Size: tags[0]!.size, VirtualSize: tags[0]!.size, SharedSize: -1, Labels: {}, Containers: -1,
            };
          })
          .filter((i) => dangling === undefined || (dangling === 'true' || dangling === '1') === (i.RepoTags.length === 0))
          .filter((i) => !refs.length || i.RepoTags.some((t) => refs.some((r) => t === r || t.startsWith(`${r}:`))));
        return { json: out };
      },
    },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (req) => {
        if (req.query.get('fromSrc')) throw new UnimplementedError('importing a root filesystem (fromSrc, `docker import`) is not supported by berth; build FROM scratch with ADD instead');
        const from = req.query.get('fromImage');
        if (!from) throw new InvalidArgumentError('fromImage is required: the image to pull');
        const ref = refOf(from, req.query.get('tag'));
        const credentials = requestCredentials(req);
        return {
          ndjson: taskStream<unknown, { ref: string; digest: string }>(
            async (push) => {
              push({ status: `Pulling from ${from}`, id: req.query.get('tag') ?? 'latest' });
              const s = await svc().pull(ref, (e) => push(progressMessage(e)), credentials);
              return { ref: s.ref ?? ref, digest: s.digest };
            },
            (r) => ({ status: `Digest: ${r.digest}\nStatus: Image is up to date for ${r.ref}` }),
          ),
        };
      },
    },
    {
      method: 'GET',
      path: '/images/search',
      handler: async () => {
        throw new UnimplementedError('searching a registry (docker search) is not supported by berth: registries offer no common search; look the image up on its registry');
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      rawBody: true,
      handler: async (req) => {
        const loaded = await svc().load(req.raw);
        return { ndjson: (async function* () { for (const ref of loaded) yield { stream: `Loaded image: ${ref}\n` }; })() };
      },
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (req) => ({ contentType: 'application/x-tar', body: await svc().save(req.query.getAll('names'), 'docker-archive') }),
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (req) => {
        const dangling = filtersParam(req.query).get('dangling')?.[0];
        const r = await svc().prune({ all: dangling === 'false' || dangling === '0' });
        return { json: { ImagesDeleted: r.untagged.map((u) => ({ Untagged: u })), SpaceReclaimed: r.bytes } };
      },
    },
    {
      method: 'POST',
      path: '/commit',
      handler: async (req) => {
        if (!ctx.engine) throw new InvalidArgumentError('this daemon has no container engine');
        const container = req.query.get('container');
        if (!container) throw new InvalidArgumentError('container is required: the container to commit');
        const repo = req.query.get('repo');
        const { id } = await svc().commit({ containers: containersOf(ctx), engine: ctx.engine }, container, {
          ...(repo ? { reference: refOf(repo, req.query.get('tag')) } : {}),
          ...(req.query.get('comment') ? { message: req.query.get('comment')! } : {}),
          ...(req.query.get('author') ? { author: req.query.get('author')! } : {}),
          ...(req.query.getAll('changes').length ? { changes: req.query.getAll('changes') } : {}),
          ...(req.query.get('pause') === '0' || req.query.get('pause') === 'false' ? { pause: false } : {}),
        });
        return { status: 201, json: { Id: id } };
      },
    },
    dispatch('GET'),
    dispatch('POST'),
    dispatch('DELETE'),
  ];
}
