// Docker's GET /events (streamed, with since/until and filters), /system/df and /auth — from
// berth's own event store (the events `berth describe` and GET /v1/events show), its services'
// lists, and the image service's login. A container's events carry its id, Docker name, image and
// labels, as dockerd's: docker-compose follows its project's containers by label.
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { BerthEvent } from '../../specs/api/events.ts';
import type { Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { subscriptionStream } from '../stream.ts';
import { containersOf, filtersParam, imagesOf, timeParam, unixSeconds, volumesOf } from './common.ts';
import { dockerLabels, dockerNameOf } from '../../specs/docker/docker-name.ts';
import { dockerListItem } from '../../specs/docker/ps.ts';
import { dockerVolume } from '../../specs/docker/volume.ts';

/** berth's event reasons as Docker's actions. */
const ACTIONS: Record<string, string> = {
  Created: 'create', Started: 'start', Killing: 'kill', Exited: 'die', Removed: 'destroy', Deleted: 'destroy',
  Paused: 'pause', Unpaused: 'unpause', Pulled: 'pull', Unhealthy: 'health_status: unhealthy', BackOff: 'restart',
};
const TYPES: Record<string, string> = { Container: 'container', Image: 'image', Volume: 'volume', Network: 'network' };

/** Who an event is about, as Docker names it: the container's id, and its Docker name, image and labels. */
export interface DockerActor {
  id: string;
  attributes: Record<string, string>;
}

/** A berth event as Docker's events message; undefined for those Docker has no word for. */
export function dockerEvent(e: BerthEvent, actorOf: (name: string) => DockerActor | undefined): Record<string, unknown> | undefined {
  const type = TYPES[e.involvedObject.kind];
  const action = ACTIONS[e.reason];
  if (!type || !action) return undefined;
  const nano = BigInt(Date.parse(e.lastTimestamp)) * 1_000_000n;
  const actor = type === 'container' ? actorOf(e.involvedObject.name) : undefined;
  const id = actor?.id ?? e.involvedObject.name;
  const exit = action === 'die' ? /exited with code (\d+)/.exec(e.message ?? '')?.[1] : undefined;
  const attributes: Record<string, string> = { ...(actor?.attributes ?? { name: e.involvedObject.name }), ...(exit !== undefined ? { exitCode: exit } : {}) };
  return {
    status: action, id, from: attributes.image, Type: type, Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local', time: Number(nano / 1_000_000_000n), timeNano: Number(nano),
  };
}

/** dockerd's event filters: type, event, container (id prefix or name), image, label (key or key=value); each AND-ed, values OR-ed. */
function eventFilter(f: Map<string, string[]>): (m: Record<string, unknown>) => boolean {
  return (m) => {
    const actor = m.Actor as { ID: string; Attributes: Record<string, string> };
    const any = (k: string, match: (x: string) => boolean) => !f.get(k) || f.get(k)!.some(match);
    const attr = actor.Attributes;
    return (
      any('type', (x) => x === m.Type) &&
      any('event', (x) => x === m.Action) &&
      (m.Type !== 'container' || any('container', (x) => actor.ID.startsWith(x) || attr.name === x)) &&
      any('image', (x) => attr.image === x || attr.image?.startsWith(`${x}:`) === true) &&
      (!f.get('label') || f.get('label')!.every((x) => (x.includes('=') ? attr[x.slice(0, x.indexOf('='))] === x.slice(x.indexOf('=') + 1) : x in attr)))
    );
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  /**
   * The actors of a stream: each container as it was last seen, so that its destroy (after it is
   * gone from the store) still carries its id, Docker name and labels, as dockerd's does.
   */
  const actors = () => {
    const seen = new Map<string, DockerActor>();
    const look = () => {
      for (const s of ctx.containers?.list({ all: true }) ?? []) {
        if (s.id) seen.set(s.name, { id: s.id, attributes: { ...dockerLabels(s.labels), image: s.image, name: dockerNameOf(s.name, s.labels) } });
      }
    };
    look();
    return (name: string) => {
      if (!seen.has(name)) look();
      return seen.get(name);
    };
  };
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async (req) => {
        const since = timeParam(req.query, 'since');
        const until = timeParam(req.query, 'until');
        const f = filtersParam(req.query);
        for (const k of f.keys()) if (!['type', 'event', 'container', 'image', 'volume', 'network', 'label'].includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
        const actorOf = actors();
        const keep = eventFilter(f);
        const at = (e: BerthEvent) => Date.parse(e.lastTimestamp);
        const past = since === undefined ? [] : ctx.store.listEvents({}).filter((e) => at(e) >= since && (until === undefined || at(e) <= until));
        const messages = async function* () {
          for (const e of past) {
            const m = dockerEvent(e, actorOf);
            if (m && keep(m)) yield m;
          }
          if (until !== undefined && until <= Date.now()) return;
          // A window that ends later ends then, whether or not an event comes.
          const signal = until === undefined ? req.signal : AbortSignal.any([req.signal, AbortSignal.timeout(until - Date.now())]);
          for await (const e of subscriptionStream<BerthEvent>((push) => ctx.store.feed.onEvent(push), signal)) {
            if (until !== undefined && at(e) > until) return;
            const m = dockerEvent(e, actorOf);
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
