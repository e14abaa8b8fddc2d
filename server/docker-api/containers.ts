// Docker's container routes, each a translation onto the container service (server/services/
// containers.ts) that berth's own routes use: list, create, inspect, the lifecycle verbs, wait,
// remove, rename, update, top, stats, logs, archive (cp), export, changes (diff) and prune. Docker's statuses: 204 for a
// verb done, 304 for a start of a started (or stop of a stopped) container, 404, 409, 400.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import type { ContainerStats, FileChange } from '../../specs/api/containers.ts';
import type { DockerWaitResponse } from '../../specs/api/docker-engine.ts';
import { dockerCreateRequest } from '../../specs/docker/create-body.ts';
import { berthNameFor, DOCKER_NAME_LABEL, dockerName, dockerNameOf } from '../../specs/docker/docker-name.ts';
import { dockerPathStatHeader } from '../../specs/docker/path-stat.ts';
import { containerFilter, dockerListItem } from '../../specs/docker/ps.ts';
import { dockerStats, type HostCpu } from '../../specs/docker/stats.ts';
import { dockerUpdateRequest } from '../../specs/docker/update-body.ts';
import type { ApiReply, Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { containersOf, filtersParam, flag, intParam } from './common.ts';
import { dockerLogs } from './logs.ts';
import { byCodeUnit } from '../../specs/order.ts';
import { isoTime } from '../../specs/timestamps.ts';

/** The origin label every container made through this API carries (berth ps / get show it). */
export const ORIGIN_LABEL = 'berth.dev/origin';

const done: ApiReply = { status: 204 };
const CHANGE_KIND: Record<FileChange['kind'], number> = { modified: 0, added: 1, deleted: 2 };
const notModified: ApiReply = { status: 304, body: Buffer.alloc(0) };

/** Docker's "No such container" for a reference no container answers to. */
function noSuch<T>(ref: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw err instanceof NotFoundError ? new NotFoundError(`No such container: ${ref}`) : err;
  }
}

/** The host's CPU time (ns) from /proc/stat's first line, as dockerd reads system_cpu_usage. */
function hostCpu(): HostCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const ticks = line.split(/\s+/).slice(1, 8).reduce((a, v) => a + Number(v), 0);
  return { systemNs: ticks * 1e7, onlineCpus: cpus().length, memTotal: totalmem() };
}

export default function routes(ctx: DaemonContext): Route[] {
  const svc = () => containersOf(ctx);
  /** A container by its Docker name (kept when it is not a berth name), berth name, id or id prefix. */
  const name = (ref: string) => {
    const kept = svc().list({ all: true }).find((s) => s.labels?.[DOCKER_NAME_LABEL] === ref.replace(/^\//, ''));
    return kept ? kept.name : noSuch(ref, () => svc().resolve(ref));
  };
  /** A Docker name no container has (as its Docker or berth name), or dockerd's 409. */
  const notTaken = (asked: string) => {
    const taken = svc().list({ all: true }).find((s) => s.name === asked || s.name === berthNameFor(asked) || dockerNameOf(s.name, s.labels) === asked);
    if (taken) throw new ConflictError(`Conflict. The container name "/${asked}" is already in use by container "${taken.id ?? taken.name}". You have to remove (or rename) that container to be able to reuse that name.`);
  };
  const phase = (ref: string) => svc().list({ all: true }).find((s) => s.name === ref)?.state;
  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (req) => {
        const filters = filtersParam(req.query);
        const limit = intParam(req.query, 'limit');
        const all = flag(req.query, 'all') || (limit !== undefined && limit > 0);
        let items = svc().list({ all: true }).filter((s) => all || s.state === 'running' || s.state === 'paused' || s.state === 'restarting');
        items = items.filter(containerFilter(filters)).sort((a, b) => byCodeUnit(b.created, a.created));
        if (limit !== undefined && limit > 0) items = items.slice(0, limit);
        if (flag(req.query, 'size')) items = await svc().withSizes(items);
        return { json: items.map((s) => dockerListItem(s)) };
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (req) => {
        const asked = req.query.get('name') ? dockerName(req.query.get('name')!) : undefined;
        if (asked) notTaken(asked);
        const berthName = asked && berthNameFor(asked);
        const { volumesToCreate, ...run } = dockerCreateRequest(berthName, req.body);
        if (asked && berthName !== asked) run.labels = { ...run.labels, [DOCKER_NAME_LABEL]: asked };
        for (const v of volumesToCreate ?? []) await ctx.volumes?.create(v).catch(() => undefined);
        const { id } = await svc().create({ ...run, labels: { ...run.labels, [ORIGIN_LABEL]: 'docker-api' }, source: 'docker-api' }, { start: false, signal: req.signal, imagePresent: true });
        return { status: 201, json: { Id: id, Warnings: [] } };
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/json',
      handler: async (req) => ({ json: await svc().dockerInspect(name(req.params.id!)) }),
    },
    {
      method: 'POST',
      path: '/containers/:id/start',
      handler: async (req) => {
        const n = name(req.params.id!);
        if (phase(n) === 'running' || phase(n) === 'paused') return notModified;
        await svc().start(n, req.signal);
        return done;
      },
    },
    ...(['stop', 'restart'] as const).map((verb): Route => ({
      method: 'POST',
      path: `/containers/:id/${verb}`,
      handler: async (req) => {
        const n = name(req.params.id!);
        if (verb === 'stop' && phase(n) !== 'running' && phase(n) !== 'paused' && phase(n) !== 'restarting') return notModified;
        const t = intParam(req.query, 't');
        await svc()[verb](n, req.signal, t !== undefined && t >= 0 ? { timeoutSeconds: t } : {});
        return done;
      },
    })),
    ...(['pause', 'unpause'] as const).map((verb): Route => ({
      method: 'POST',
      path: `/containers/:id/${verb}`,
      handler: async (req) => {
        await svc()[verb](name(req.params.id!), req.signal);
        return done;
      },
    })),
    {
      method: 'POST',
      path: '/containers/:id/kill',
      handler: async (req) => {
        await svc().kill(name(req.params.id!), req.query.get('signal') || undefined);
        return done;
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/wait',
      handler: async (req) => {
        const n = name(req.params.id!);
        const condition = req.query.get('condition') || 'not-running';
        if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new InvalidArgumentError(`invalid condition: "${condition}" (not-running, next-exit or removed)`);
        const waiting = svc().wait(n, { condition: condition === 'removed' ? 'removed' : 'exited' }, req.signal);
        waiting.catch(() => undefined);
        // The headers go at once, as dockerd's: the docker CLI starts the container only once its wait is answered.
        return {
          contentType: 'application/json',
          body: (async function* () {
            const reply: DockerWaitResponse = await waiting.then(
              (r) => ({ StatusCode: r.exitCode ?? 0, Error: null }),
              (err: unknown) => ({ StatusCode: -1, Error: { Message: err instanceof Error ? err.message : String(err) } }),
            );
            yield Buffer.from(JSON.stringify(reply) + '\n');
          })(),
        };
      },
    },
    {
      method: 'DELETE',
      path: '/containers/:id',
      handler: async (req) => {
        await svc().remove(name(req.params.id!), { force: flag(req.query, 'force'), volumes: flag(req.query, 'v') }, req.signal);
        return done;
      },
    },
    {
      // update: the container service's, applied live to the cgroup (berth update).
      method: 'POST',
      path: '/containers/:id/update',
      handler: async (req) => {
        const r = await svc().update(name(req.params.id!), dockerUpdateRequest(req.body ?? {}));
        return { json: { Warnings: r.warnings } };
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/rename',
      handler: async (req) => {
        // A Docker name (demo_Web_2) that is not a berth name: a berth name of its own, the Docker name kept.
        const from = name(req.params.id!);
        const to = dockerName(req.query.get('name') ?? '');
        if (dockerNameOf(from, svc().list({ all: true }).find((s) => s.name === from)?.labels) === to) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
        notTaken(to);
        const berthName = berthNameFor(to);
        await svc().rename(from, berthName, berthName === to ? {} : { dockerName: to });
        return done;
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/top',
      handler: async (req) => {
        const ps = await svc().top(name(req.params.id!));
        const time = (s: number) => isoTime(Math.floor(s) * 1000).slice(11, 19);
        return {
          json: {
            Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
            Processes: ps.map((p) => [p.user, String(p.pid), String(p.ppid), '0', p.startedAt ? p.startedAt.slice(11, 16) : '', p.tty ?? '?', time(p.cpuSeconds), p.cmd]),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/stats',
      handler: async (req) => {
        const n = name(req.params.id!);
        const c = svc();
        const sample = async () => ({ stats: (await c.stats(n)) as ContainerStats & { name: string; id: string }, host: hostCpu() });
        const first = await sample();
        // One-shot, or not streamed: Docker's answer takes a second sample for precpu_stats unless one-shot.
        if (!flag(req.query, 'stream', true)) {
          if (flag(req.query, 'one-shot')) return { json: dockerStats(first.stats, first) };
          await new Promise((r) => setTimeout(r, 1000));
          const second = await sample();
          return { json: dockerStats(second.stats, second, first) };
        }
        return {
          ndjson: (async function* () {
            let before: typeof first | undefined;
            let now = first;
            for (;;) {
              yield dockerStats(now.stats, now, before);
              await new Promise((r) => setTimeout(r, 1000));
              if (req.signal.aborted) return;
              before = now;
              now = await sample();
            }
          })(),
        };
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/logs',
      handler: async (req) => dockerLogs(ctx, name(req.params.id!), req.query, req.signal),
    },
    ...(['GET', 'HEAD'] as const).map((method): Route => ({
      method,
      path: '/containers/:id/archive',
      handler: async (req) => {
        const n = name(req.params.id!);
        const path = req.query.get('path') ?? '';
        if (method === 'HEAD') return { headers: { 'X-Docker-Container-Path-Stat': dockerPathStatHeader(await svc().statPath(n, path)) }, body: Buffer.alloc(0) };
        const { stat, tar } = await svc().getArchive(n, path);
        return { contentType: 'application/x-tar', headers: { 'X-Docker-Container-Path-Stat': dockerPathStatHeader(stat) }, body: tar };
      },
    })),
    {
      method: 'PUT',
      path: '/containers/:id/archive',
      rawBody: true,
      handler: async (req) => {
        await svc().putArchive(name(req.params.id!), req.query.get('path') ?? '', req.raw, { keepOwner: flag(req.query, 'copyUIDGID') });
        return { status: 200, body: Buffer.alloc(0) };
      },
    },
    {
      // Docker's Kind: 0 modified, 1 added, 2 deleted.
      method: 'GET',
      path: '/containers/:id/changes',
      handler: async (req) => ({ json: (await svc().changes(name(req.params.id!))).map((c) => ({ Path: c.path, Kind: CHANGE_KIND[c.kind] })) }),
    },
    {
      method: 'GET',
      path: '/containers/:id/export',
      handler: async (req) => {
        const { tar } = await svc().getArchive(name(req.params.id!), '/');
        return { contentType: 'application/x-tar', body: tar };
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (req) => {
        const filters = filtersParam(req.query);
        const labels = filters.get('label') ?? [];
        const deleted = await svc().prune({ only: labels.length ? containerFilter(new Map([['label', labels]])) : undefined }, req.signal);
        return { json: { ContainersDeleted: deleted, SpaceReclaimed: 0 } };
      },
    },
  ];
}
