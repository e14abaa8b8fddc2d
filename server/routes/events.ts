// Events: the recent ones (optionally of one object), or a live stream (--follow).
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { resolveKind } from '../../specs/kinds.ts';
import { queryFlag, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { subscriptionStream } from '../stream.ts';
import type { BerthEvent } from '../../specs/api/events.ts';

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/events',
      handler: async (req) => {
        const kindParam = req.query.get('kind');
        // Events may concern things that are not objects (e.g. kind "Manifest" for a watched file).
        const kind = kindParam ? (safeKind(kindParam) ?? kindParam) : undefined;
        const name = req.query.get('name') ?? undefined;
        const limitParam = req.query.get('limit');
        const limit = limitParam === null ? undefined : Number(limitParam);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new InvalidArgumentError(`limit must be a non-negative integer, got "${limitParam}"`);
        const matches = (e: BerthEvent) => (!kind || e.involvedObject.kind === kind) && (!name || e.involvedObject.name === name);
        if (!queryFlag(req.query, 'follow')) return { json: { items: ctx.store.listEvents({ kind, name, limit }) } };
        const sent = new Map<number, number>();
        const stream = subscriptionStream<BerthEvent>(
          (push) => ctx.store.feed.onEvent((e) => void (matches(e) && push(e))),
          req.signal,
          () => ctx.store.listEvents({ kind, name, limit }),
        );
        // An event counted again is sent again (new count); the same (id, count) twice is not.
        const dedup = async function* () {
          for await (const e of stream) {
            if (sent.get(e.id) === e.count) continue;
            sent.set(e.id, e.count);
            yield e;
          }
        };
        return { ndjson: dedup() };
      },
    },
  ];
}

function safeKind(word: string): string | undefined {
  try {
    return resolveKind(word);
  } catch {
    return undefined;
  }
}
