// Images in the daemon's content store: list, inspect, pull and push (NDJSON progress per layer),
// tag, remove, prune, save (docker-archive | oci-archive) and load. References travel in the query
// or body, since they contain "/" and ":".
import type { Readable } from 'node:stream';
import { loadImages, saveImages, type ArchiveFormat } from '../../engine/images/archive.ts';
import { familiarName, parseReference } from '../../engine/images/reference.ts';
import type { ImageRecord, ImageService } from '../../engine/images/service.ts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { json, queryFlag, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { taskStream } from '../stream.ts';
import type { ImageSummary, PullEvent } from '../../specs/api/images.ts';

function need(ctx: DaemonContext): ImageService {
  if (!ctx.images) throw new UnavailableError('this daemon runs without a container engine (no runtime configured), so it has no image store');
  return ctx.images;
}

function summary(r: ImageRecord): ImageSummary {
  const ref = parseReference(r.ref);
  return {
    ref: r.ref,
    repository: familiarName(ref),
    tag: ref.tag ?? '<none>',
    digest: r.digest,
    id: r.id,
    size: r.size,
    ...(r.config.created ? { created: r.config.created } : {}),
    layers: r.layers.map((l) => l.digest),
  };
}

function refParam(q: URLSearchParams | Record<string, unknown> | undefined, name = 'ref'): string {
  const v = q instanceof URLSearchParams ? q.get(name) : (q?.[name] as unknown);
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`the image reference (${name}) is missing`);
  return v;
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/images',
      handler: async () => {
        const all = await need(ctx).list();
        const unique = new Map<string, number>();
        for (const r of all) for (const l of r.layers) unique.set(l.digest, l.size);
        return json({ items: all.map(summary), totalSize: [...unique.values()].reduce((a, b) => a + b, 0) });
      },
    },
    {
      method: 'GET',
      path: '/v1/images/inspect',
      handler: async (req) => {
        const r = await need(ctx).mustResolve(refParam(req.query));
        return json({ ...summary(r), repoDigest: r.repoDigest, mediaType: r.mediaType, config: r.config, manifest: r.manifest, diffIds: r.diffIds });
      },
    },
    {
      method: 'POST',
      path: '/v1/images/pull',
      handler: async (req) => {
        const images = need(ctx);
        const ref = refParam(req.body as Record<string, unknown>);
        return { ndjson: taskStream((on: (e: PullEvent) => void) => images.pull(ref, on, { unpack: true }), (r) => ({ status: 'done', image: summary(r) })) };
      },
    },
    {
      method: 'POST',
      path: '/v1/images/push',
      handler: async (req) => {
        const images = need(ctx);
        const ref = refParam(req.body as Record<string, unknown>);
        return { ndjson: taskStream((on: (e: PullEvent) => void) => images.push(ref, on), (digest) => ({ status: 'done', digest })) };
      },
    },
    {
      method: 'POST',
      path: '/v1/images/tag',
      handler: async (req) => {
        const b = req.body as Record<string, unknown>;
        return json({ image: summary(await need(ctx).tag(refParam(b, 'source'), refParam(b, 'target'))) }, 201);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/images',
      handler: async (req) => {
        const images = need(ctx);
        const ref = refParam(req.query);
        const rec = await images.mustResolve(ref);
        if (!queryFlag(req.query, 'force') && ctx.engine) {
          const tags = (await images.list()).filter((r) => r.digest === rec.digest).length;
          const users = (await ctx.engine.list()).filter((c) => c.imageDigest === rec.digest);
          if (users.length > 0 && tags <= 1) {
            throw new FailedPreconditionError(
              `image ${ref} is used by container${users.length > 1 ? 's' : ''} ${users.map((c) => c.owner?.name ?? c.id.slice(0, 12)).join(', ')}; remove ${users.length > 1 ? 'them' : 'it'} first, or force with \`berth rmi -f\``,
            );
          }
        }
        return json({ untagged: await images.untag(ref) });
      },
    },
    {
      method: 'POST',
      path: '/v1/images/prune',
      handler: async () => {
        const images = need(ctx);
        // Layers under containers' root filesystems stay, whatever happened to their tags.
        const keep = new Set<string>();
        if (ctx.engine) {
          for (const c of await ctx.engine.list()) {
            const r = c.imageDigest ? await images.resolve(c.imageDigest) : undefined;
            for (const id of r?.chainIds ?? []) keep.add(id);
          }
        }
        return json(await images.prune({ keepChainIds: keep }));
      },
    },
    {
      method: 'GET',
      path: '/v1/images/save',
      handler: async (req) => {
        const refs = req.query.getAll('ref');
        const format = (req.query.get('format') ?? 'docker-archive') as ArchiveFormat;
        if (format !== 'docker-archive' && format !== 'oci-archive') throw new InvalidArgumentError(`format "${format}" must be docker-archive or oci-archive`);
        const body: Readable = await saveImages(need(ctx), refs, format);
        return { contentType: 'application/x-tar', body };
      },
    },
    {
      method: 'POST',
      path: '/v1/images/load',
      rawBody: true,
      handler: async (req) => json({ loaded: await loadImages(need(ctx), req.raw) }),
    },
  ];
}
