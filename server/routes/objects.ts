// Desired objects: apply (with dry-run and prune), diff, get/list (and watch), delete.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { resolveKind } from '../../specs/kinds.ts';
import type { ManifestInput } from '../../specs/load.ts';
import type { Resource } from '../../specs/objects.ts';
import type { ObjectChange } from '../../store/feed.ts';
import { queryFlag, type Route } from '../api.ts';
import { Applier, cliSourceOf } from '../apply.ts';
import type { DaemonContext } from '../context.ts';
import { subscriptionStream } from '../stream.ts';
import type { PruneScope } from '../../specs/api/objects.ts';

interface ApplyBody {
  documents?: unknown;
  dryRun?: unknown;
  prune?: unknown;
}

function parseDocuments(body: ApplyBody | undefined): ManifestInput[] {
  const docs = body?.documents;
  if (!Array.isArray(docs) || docs.length === 0) {
    throw new InvalidArgumentError('body.documents must be a non-empty list of {file, text[, baseDir]}');
  }
  return docs.map((d, i) => {
    const o = d as Partial<ManifestInput>;
    if (!o || typeof o.file !== 'string' || typeof o.text !== 'string') {
      throw new InvalidArgumentError(`body.documents[${i}] must be {file: string, text: string[, baseDir: string]}`);
    }
    if (o.file !== '<stdin>' && !o.file.startsWith('/')) {
      throw new InvalidArgumentError(`body.documents[${i}].file must be an absolute path or "<stdin>" (got "${o.file}")`);
    }
    return { file: o.file, text: o.text, ...(typeof o.baseDir === 'string' ? { baseDir: o.baseDir } : {}) };
  });
}

function parsePrune(p: unknown): PruneScope | undefined {
  if (p === undefined || p === null || p === false) return undefined;
  const o = p as PruneScope;
  const ok = (xs: unknown) => xs === undefined || (Array.isArray(xs) && xs.every((x) => typeof x === 'string' && x.length > 0));
  if (typeof p !== 'object' || !ok(o.sources) || !ok(o.prefixes)) {
    throw new InvalidArgumentError('body.prune must be {sources?: string[], prefixes?: string[]}');
  }
  return o;
}

/** `app=web,tier!=db,env` — Kubernetes equality-based label selectors. */
export function matchesSelector(selector: string | null, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (!t) return true;
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    if (ne) return l[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^!=]+)==?(.*)$/.exec(t);
    if (eq) return l[eq[1]!.trim()] === eq[2]!.trim();
    if (t.startsWith('!')) return !(t.slice(1) in l);
    return t in l;
  });
}

export default function routes(ctx: DaemonContext): Route[] {
  const applier = new Applier(ctx.store, ctx.events.for('apply'));
  const list = (kind: string | undefined, selector: string | null): Resource[] =>
    ctx.store.list(kind).filter((r) => matchesSelector(selector, r.metadata.labels));

  return [
    {
      method: 'POST',
      path: '/v1/apply',
      handler: async (req) => {
        const body = req.body as ApplyBody | undefined;
        const outcome = applier.apply({
          documents: parseDocuments(body),
          sourceOf: cliSourceOf,
          dryRun: body?.dryRun === true,
          prune: parsePrune(body?.prune),
        });
        for (const r of outcome.results) {
          if (!outcome.dryRun && r.action !== 'unchanged') ctx.log.info(`${r.kind} ${r.name} ${r.action}`, { source: r.source, generation: r.generation });
        }
        return { json: outcome };
      },
    },
    {
      method: 'POST',
      path: '/v1/diff',
      handler: async (req) => {
        const body = req.body as ApplyBody | undefined;
        const outcome = applier.apply({ documents: parseDocuments(body), sourceOf: cliSourceOf, dryRun: true, prune: parsePrune(body?.prune) });
        return { json: { items: outcome.results.map((r) => ({ kind: r.kind, name: r.name, action: r.action, live: r.previous ?? (r.action === 'pruned' ? r.object : null), desired: r.action === 'pruned' ? null : r.object })) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/objects',
      handler: async (req) => {
        const kind = req.query.get('kind') ? resolveKind(req.query.get('kind')!) : undefined;
        const selector = req.query.get('selector');
        if (!queryFlag(req.query, 'watch')) return { json: { items: list(kind, selector) } };
        // Watch: the current objects as "added", then every change as it commits.
        return {
          ndjson: subscriptionStream<{ type: string; object: Resource }>(
            (push) =>
              ctx.store.feed.onObject((c: ObjectChange) => {
                if ((!kind || c.kind === kind) && matchesSelector(selector, c.resource.metadata.labels)) push({ type: c.type, object: c.resource });
              }),
            req.signal,
            () => list(kind, selector).map((r) => ({ type: 'added', object: r })),
          ),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/objects/:kind',
      handler: async (req) => ({ json: { items: list(resolveKind(req.params.kind!), req.query.get('selector')) } }),
    },
    {
      method: 'GET',
      path: '/v1/objects/:kind/:name',
      handler: async (req) => ({ json: ctx.store.mustGet(resolveKind(req.params.kind!), req.params.name!) }),
    },
    {
      method: 'DELETE',
      path: '/v1/objects/:kind/:name',
      handler: async (req) => {
        const kind = resolveKind(req.params.kind!);
        // A volume in use is never removed (its controller would delete its data).
        if (kind === 'Volume') await ctx.volumes?.assertUnused([req.params.name!]);
        const r = ctx.store.transaction(() => {
          const gone = ctx.store.delete(kind, req.params.name!);
          ctx.events.for('apply').normal({ kind, name: gone.metadata.name, uid: gone.metadata.uid }, 'Deleted', 'deleted through the API');
          return gone;
        });
        ctx.log.info(`${kind} ${r.metadata.name} deleted`);
        return { json: { kind, name: r.metadata.name, action: 'deleted', object: r } };
      },
    },
    {
      method: 'POST',
      path: '/v1/delete',
      handler: async (req) => {
        const objs = (req.body as { objects?: unknown } | undefined)?.objects;
        if (!Array.isArray(objs) || objs.some((o) => !o || typeof o.kind !== 'string' || typeof o.name !== 'string')) {
          throw new InvalidArgumentError('body.objects must be a list of {kind, name}');
        }
        const refs = (objs as Array<{ kind: string; name: string }>).map((o) => ({ kind: resolveKind(o.kind), name: o.name }));
        await ctx.volumes?.assertUnused(refs.filter((r) => r.kind === 'Volume').map((r) => r.name));
        const results = ctx.store.transaction(() =>
          refs.map((ref) => {
            const existing = ctx.store.get(ref.kind, ref.name);
            if (!existing) return { ...ref, action: 'notfound' as const };
            ctx.store.delete(ref.kind, ref.name);
            ctx.events.for('apply').normal({ ...ref, uid: existing.metadata.uid }, 'Deleted', 'deleted through the API');
            return { ...ref, action: 'deleted' as const };
          }),
        );
        for (const r of results) if (r.action === 'deleted') ctx.log.info(`${r.kind} ${r.name} deleted`);
        return { json: { results } };
      },
    },
  ];
}
