// berth's REST routes on containers: ps, inspect, run, stop, start, pause, unpause, kill, rm, wait,
// logs, exec, stats, top, update, and cp's stat and archive. Each one translates HTTP to a call of the container service
// (server/services/containers.ts) and its answer back; no decision is made here.
import { InvalidArgumentError, UnavailableError } from '../../specs/errdefs.ts';
import { json, queryFlag, type ApiRequest, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import type { ContainerService } from '../services/containers.ts';
import type { CommitOptions } from '../services/commit.ts';
import { attachRun } from '../services/run.ts';
import type { ContainerUpdate } from '../../specs/api/containers.ts';
import { EXEC_STREAM } from '../../specs/streams/exec-stream.ts';

function service(ctx: DaemonContext): ContainerService {
  if (!ctx.containers) {
    // The API serves from the start; the controllers come up right after (daemon.ts startBackground).
    if (ctx.engine) throw new UnavailableError('the daemon is starting and its controllers are not ready yet; retry in a moment');
    throw new UnavailableError('this daemon runs without a container engine (no runtime configured); start it with one to manage containers');
  }
  return ctx.containers;
}

function tailParam(q: URLSearchParams): number | undefined {
  const tail = q.get('tail');
  if (tail === null || tail === 'all') return undefined;
  if (!/^\d+$/.test(tail)) throw new InvalidArgumentError(`--tail "${tail}" must be a number of lines or "all"`);
  return Number(tail);
}

function pathParam(q: URLSearchParams): string {
  const path = q.get('path');
  if (!path) throw new InvalidArgumentError('a path in the container is needed (?path=/etc/hosts)');
  return path;
}

function commitBody(body: unknown): CommitOptions {
  const b = (body ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof b[k] === 'string' && b[k] ? { [k]: b[k] as string } : {});
  if (b.changes !== undefined && !(Array.isArray(b.changes) && b.changes.every((c) => typeof c === 'string'))) throw new InvalidArgumentError('commit: body.changes must be a list of strings');
  return { ...str('reference'), ...str('message'), ...str('author'), ...(b.changes ? { changes: b.changes as string[] } : {}), ...(b.pause === false ? { pause: false } : {}) };
}

function execBody(body: unknown): { args: string[]; env?: string[]; user?: string; cwd?: string } {
  const b = (body ?? {}) as { args?: unknown; env?: unknown; user?: unknown; cwd?: unknown };
  if (!Array.isArray(b.args) || b.args.length === 0 || !b.args.every((a) => typeof a === 'string')) {
    throw new InvalidArgumentError('exec needs a command (body.args: a non-empty list of strings)');
  }
  return {
    args: b.args as string[],
    ...(Array.isArray(b.env) ? { env: b.env as string[] } : {}),
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
    ...(typeof b.cwd === 'string' ? { cwd: b.cwd } : {}),
  };
}

/** POST /v1/containers/:name/update's body: numbers, and the restart policy as Docker's ({name, maximumRetryCount}). */
function updateBody(body: unknown): ContainerUpdate {
  const b = (body ?? {}) as Record<string, unknown>;
  const out: ContainerUpdate = {};
  for (const k of ['memory', 'memorySwap', 'nanoCpus', 'cpuShares', 'pidsLimit'] as const) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== 'number' || !Number.isFinite(b[k])) throw new InvalidArgumentError(`update: body.${k} must be a number`);
    out[k] = b[k];
  }
  const rp = b.restartPolicy as { name?: unknown; maximumRetryCount?: unknown } | undefined;
  if (rp !== undefined) {
    if (typeof rp !== 'object' || rp === null || typeof rp.name !== 'string') throw new InvalidArgumentError('update: body.restartPolicy must be {name: "no"|"always"|"on-failure"|"unless-stopped", maximumRetryCount?: N}');
    out.restartPolicy = { name: rp.name, ...(typeof rp.maximumRetryCount === 'number' ? { maximumRetryCount: rp.maximumRetryCount } : {}) };
  }
  return out;
}

/** A POST /v1/containers/:name/<verb> that answers with the phase the container settled in. */
function lifecycle(ctx: DaemonContext, verb: 'stop' | 'start' | 'pause' | 'unpause' | 'restart'): Route {
  return {
    method: 'POST',
    path: `/v1/containers/:name/${verb}`,
    handler: async (req: ApiRequest) => {
      const name = req.params.name!;
      const t = req.query.get('t');
      if ((verb === 'stop' || verb === 'restart') && t !== null) {
        if (!/^\d+$/.test(t)) throw new InvalidArgumentError(`${verb} -t "${t}" must be a whole number of seconds`);
        return json({ name, phase: await service(ctx)[verb](name, req.signal, { timeoutSeconds: Number(t) }) });
      }
      return json({ name, phase: await service(ctx)[verb](name, req.signal) });
    },
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/containers',
      handler: async (req) => {
        const items = service(ctx).list({ all: queryFlag(req.query, 'all') });
        return json({ items: queryFlag(req.query, 'size') ? await service(ctx).withSizes(items) : items });
      },
    },
    { method: 'GET', path: '/v1/containers/:name', handler: async (req) => json(await service(ctx).inspect(req.params.name!)) },
    { method: 'GET', path: '/v1/containers/:name/json', handler: async (req) => json(await service(ctx).dockerInspect(req.params.name!)) },
    {
      method: 'POST',
      path: '/v1/containers',
      handler: async (req) =>
        json(await service(ctx).create((req.body ?? {}) as { name?: string; spec?: unknown; labels?: Record<string, string> }, { start: req.query.get('start') !== 'false', signal: req.signal }), 201),
    },
    {
      // run in one round trip: created, started, then (unless detached) its output and exit (NDJSON).
      method: 'POST',
      path: '/v1/containers/run',
      handler: async (req) => {
        const containers = service(ctx);
        const { name } = await containers.create((req.body ?? {}) as { name?: string; spec?: unknown; labels?: Record<string, string> });
        return { ndjson: attachRun(containers, name, { detach: queryFlag(req.query, 'detach'), rm: queryFlag(req.query, 'rm') }, req.signal), status: 201 };
      },
    },
    lifecycle(ctx, 'stop'),
    lifecycle(ctx, 'start'),
    lifecycle(ctx, 'pause'),
    lifecycle(ctx, 'unpause'),
    lifecycle(ctx, 'restart'),
    {
      method: 'POST',
      path: '/v1/containers/:name/rename',
      handler: async (req) => {
        const to = req.query.get('name');
        if (!to) throw new InvalidArgumentError('rename needs the new name: ?name=NEW');
        await service(ctx).rename(req.params.name!, to);
        return json({ name: to });
      },
    },
    { method: 'POST', path: '/v1/containers/:name/update', handler: async (req) => json(await service(ctx).update(req.params.name!, updateBody(req.body))) },
    {
      method: 'POST',
      path: '/v1/containers/:name/kill',
      handler: async (req) => {
        await service(ctx).kill(req.params.name!, req.query.get('signal') ?? undefined);
        return json({ name: req.params.name });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/containers/:name',
      handler: async (req) => {
        const volumes = await service(ctx).remove(req.params.name!, { force: queryFlag(req.query, 'force'), volumes: queryFlag(req.query, 'volumes') }, req.signal);
        return json({ name: req.params.name, ...(volumes.length ? { volumes } : {}) });
      },
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/wait',
      handler: async (req) =>
        json(await service(ctx).wait(req.params.name!, { condition: req.query.get('condition') === 'started' ? 'started' : 'exited' }, req.signal)),
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/logs',
      handler: async (req) => {
        const tail = tailParam(req.query);
        return { ndjson: service(ctx).logs(req.params.name!, { follow: queryFlag(req.query, 'follow'), ...(tail !== undefined ? { tail } : {}) }, req.signal) };
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/exec',
      // ?stream: the output as it comes, then the exit (specs/streams/exec-stream.ts); else all of it at the end.
      handler: async (req) =>
        queryFlag(req.query, 'stream')
          ? { contentType: EXEC_STREAM, body: service(ctx).execStream(req.params.name!, execBody(req.body), req.signal) }
          : json(await service(ctx).exec(req.params.name!, execBody(req.body))),
    },
    {
      method: 'GET',
      path: '/v1/containers/:name/stats',
      handler: async (req) => {
        const containers = service(ctx);
        const name = req.params.name!;
        if (!queryFlag(req.query, 'stream')) return json(await containers.stats(name));
        await containers.stats(name); // a container that is not running is an error before the stream starts
        return { ndjson: containers.statsStream(name, req.signal) };
      },
    },
    { method: 'GET', path: '/v1/containers/:name/stat', handler: async (req) => json(await service(ctx).statPath(req.params.name!, pathParam(req.query))) },
    {
      method: 'GET',
      path: '/v1/containers/:name/archive',
      handler: async (req) => {
        const { stat, tar } = await service(ctx).getArchive(req.params.name!, pathParam(req.query));
        return { contentType: 'application/x-tar', headers: { 'x-berth-path-stat': Buffer.from(JSON.stringify(stat)).toString('base64') }, body: tar };
      },
    },
    {
      method: 'PUT',
      path: '/v1/containers/:name/archive',
      rawBody: true,
      handler: async (req) => {
        await service(ctx).putArchive(req.params.name!, pathParam(req.query), req.raw, { keepOwner: queryFlag(req.query, 'copyUIDGID') });
        return json({ name: req.params.name });
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/commit',
      handler: async (req) => {
        if (!ctx.images || !ctx.engine) throw new UnavailableError('this daemon has no image store; start it with a container runtime');
        return json(await ctx.images.commit({ containers: service(ctx), engine: ctx.engine }, req.params.name!, commitBody(req.body)), 201);
      },
    },
    { method: 'GET', path: '/v1/containers/:name/top', handler: async (req) => json({ processes: await service(ctx).top(req.params.name!) }) },
  ];
}
