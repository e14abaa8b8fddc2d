// Docker's GET /events (streamed, with since/until and filters), /system/df and /auth — from
// berth's own event store (the events `berth describe` and GET /v1/events show), its services'
// lists, and the image service's login.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { BerthEvent } from '../../specs/api/events.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { subscriptionStream } from '../stream.ts';
import { containersOf, filtersParam, imagesOf, timeParam, unixSeconds, volumesOf } from './common.ts';
import { dockerListItem } from '../../specs/docker/ps.ts';
import { dockerVolume } from '../../specs/docker/volume.ts';

/** berth's event reasons as Docker's actions. */
const ACTIONS: Record<string, string> = {
  Created: 'create', Started: 'start', Killing: 'kill', Exited: 'die', Removed: 'destroy', Deleted: 'destroy',
  Paused: 'pause', Unpaused: 'unpause', Pulled: 'pull', Unhealthy: 'health_status: unhealthy', BackOff: 'restart',
};
const TYPES: Record<string, string> = { Container: 'container', Image: 'image', Volume: 'volume', Network: 'network' };

/** A berth event as Docker's events message; undefined for those Docker has no word for. */
export function dockerEvent(e: BerthEvent, idOf: (name: string) => string | undefined): Record<string, unknown> | undefined {
  const type = TYPES[e.involvedObject.kind];
  const action = ACTIONS[e.reason];
  if (!type || !action) return undefined;
  const nano = BigInt(Date.parse(e.lastTimestamp)) * 1_000_000n;
  const id = (type === 'container' ? idOf(e.involvedObject.name) : undefined) ?? e.involvedObject.name;
  return {
    status: action, id, Type: type, Action: action,
    Actor: { ID: id, Attributes: { name: e.involvedObject.name, message: e.message } },
    scope: 'local', time: Number(nano / 1_000_000_000n), timeNano: Number(nano),
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async (req) => {
        const since = timeParam(req.query, 'since');
        const until = timeParam(req.query, 'until');
        const f = filtersParam(req.query);
        for (const k of f.keys()) if (!['type', 'event', 'container', 'image', 'volume', 'network', 'label'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
        const idOf = (name: string) => ctx.containers?.list({ all: true }).find((s) => s.name === name)?.id;
        const keep = (m: Record<string, unknown>) => {
          const actor = m.Actor as { ID: string; Attributes: { name: string } };
          const is = (k: string, v: unknown) => !f.get(k) || f.get(k)!.some((x) => x === v || (typeof v === 'string' && (actor.ID.startsWith(x) || actor.Attributes.name === x)));
          return is('type', m.Type) && is('event', m.Action) && (m.Type !== 'container' || is('container', actor.ID));
        };
        const at = (e: BerthEvent) => Date.parse(e.lastTimestamp);
        const past = since === undefined ? [] : ctx.store.listEvents({}).filter((e) => at(e) >= since && (until === undefined || at(e) <= until));
        const messages = async function* () {
          for (const e of past) {
            const m = dockerEvent(e, idOf);
            if (m && keep(m)) yield m;
          }
          if (until !== undefined && until <= Date.now()) return;
          // A window that ends later ends then, whether or not an event comes.
          const signal = until === undefined ? req.signal : AbortSignal.any([req.signal, AbortSignal.timeout(until - Date.now())]);
          for await (const e of subscriptionStream<BerthEvent>((push) => ctx.store.feed.onEvent(push), signal)) {
            if (until !== undefined && at(e) > until) return;
            const m = dockerEvent(e, idOf);
            if (m && keep(m)) yield m;
          }
        };
        return { ndjson: messages() };
      },
    },
    {
      method: 'GET',
      path: '/system/df',
      handler: async () => {
        const { items } = await imagesOf(ctx).list();
        const containers = await containersOf(ctx).withSizes(containersOf(ctx).list({ all: true }).filter((s) => s.managed));
        const volumes = await volumesOf(ctx).list({});
        const byId = new Map(items.map((i) => [i.id, i]));
        return {
          json: {
            LayersSize: [...byId.values()].reduce((a, i) => a + i.size, 0),
            Images: [...byId.values()].map((i) => ({ Id: i.id, ParentId: '', RepoTags: items.filter((t) => t.id === i.id && t.ref).map((t) => `${t.repository}:${t.tag}`), RepoDigests: [], Created: unixSeconds(i.created), Size: i.size, SharedSize: 0, VirtualSize: i.size, Labels: {}, Containers: containers.filter((c) => c.image === i.ref).length })),
            Containers: containers.map((c) => dockerListItem(c)),
            Volumes: volumes.filter((v) => v.exists).map((v) => ({ ...dockerVolume(v), UsageData: { Size: v.sizeBytes ?? -1, RefCount: v.users.length } })),
            BuildCache: [],
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/auth',
      handler: async (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (typeof b.username !== 'string' || typeof b.password !== 'string') throw new InvalidArgumentError('username and password are required');
        const server = typeof b.serveraddress === 'string' && b.serveraddress ? b.serveraddress : 'docker.io';
        await imagesOf(ctx).login(server.replace(/^https?:\/\//, '').replace(/\/.*$/, ''), { username: b.username, password: b.password });
        return { json: { Status: 'Login Succeeded', IdentityToken: '' } };
      },
    },
  ];
}
