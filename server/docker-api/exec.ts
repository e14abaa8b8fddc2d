// Docker's stream routes: attach (hijacked), resize, and exec create / start / inspect / resize —
// onto the stream service berth's own attach and `exec -it` use (server/services/attach.ts) and
// the hijack server/streams/hijack.ts serves. Docker's clients attach before they start a
// container (`docker run`): the connection is taken at once and its streams begin with the start.
import type { Duplex } from 'node:stream';
import type { DockerExecInspect } from '../../specs/api/docker-engine.ts';
import { InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../specs/streams/detach-keys.ts';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../../specs/streams/stdcopy.ts';
import type { ApiReply, ApiRequest, Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { sizeOf, type OpenStreams } from '../services/attach.ts';
import { serveHijacked } from '../streams/hijack.ts';
import { containersOf, flag, streamsOf } from './common.ts';
import { drained } from '../../specs/streams/drained.ts';
import { logBytes } from './logs.ts';

type Obj = Record<string, unknown>;

function streamOptions(q: URLSearchParams) {
  return {
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    detachKeys: parseDetachKeys(q.get('detachKeys') || DEFAULT_DETACH_KEYS),
  };
}

function hijacked(tty: boolean, serve: (socket: Duplex) => Promise<unknown>): ApiReply {
  return { hijack: { contentType: tty ? RAW_STREAM : MULTIPLEXED_STREAM, serve: async (socket) => void (await serve(socket)) } };
}

/** Output without input: the container's log from its start (or from now, when it already runs) until its process ends. */
async function serveOutput(ctx: DaemonContext, name: string, o: { tty: boolean; fromStart: boolean; stdout: boolean; stderr: boolean }, socket: Duplex): Promise<void> {
  const ac = new AbortController();
  socket.on('close', () => ac.abort());
  socket.on('error', () => ac.abort());
  socket.resume();
  try {
    for await (const e of containersOf(ctx).logs(name, { follow: true, ...(o.fromStart ? {} : { tail: 0 }) }, ac.signal)) {
      if ((e.stream === 'stdout' && !o.stdout) || (e.stream === 'stderr' && !o.stderr)) continue;
      if (!socket.write(logBytes(e, { tty: o.tty, timestamps: false }))) await drained(socket);
    }
  } catch {
    // The client went away, or the container did.
  } finally {
    socket.end();
  }
}

/**
 * Attach: POST /containers/{id}/attach (hijacked: raw with a terminal, multiplexed frames without)
 * and GET /containers/{id}/attach/ws (a WebSocket: the output raw either way, as dockerd sends it).
 */
function attachRoute(ctx: DaemonContext, over: 'tcp' | 'websocket'): Route {
  const raw = over === 'websocket';
  return {
    method: raw ? 'GET' : 'POST',
    path: raw ? '/containers/:id/attach/ws' : '/containers/:id/attach',
    ...(raw ? { websocket: true } : { streams: true }),
    handler: async (req: ApiRequest) => {
      // Docker's dialect serves a hijack without an upgrade too (old clients); a WebSocket it is not.
      if (raw && req.raw.headers.upgrade?.toLowerCase() !== 'websocket') throw new InvalidArgumentError('attach/ws is a WebSocket: send it with "Connection: Upgrade" and "Upgrade: websocket"');
      const svc = containersOf(ctx);
      let name: string;
      try {
        name = svc.resolve(req.params.id!);
      } catch (err) {
        throw err instanceof NotFoundError ? new NotFoundError(`No such container: ${req.params.id}`) : err;
      }
      const o = streamOptions(req.query);
      const spec = (await svc.inspect(name)).spec;
      const tty = spec.tty === true;
      const created = svc.list({ all: true }).find((s) => s.name === name)?.state === 'created';
      return hijacked(tty, async (socket) => {
        // `docker run --rm` attaches, then starts: a container that ends at once must not be removed
        // (its log with it) before this attach has read what it wrote. Taken before the client has
        // the upgrade's answer, so before it can start the container.
        const release = created ? svc.holdRemoval(name) : undefined;
        try {
          if (created) {
            // The streams begin once the client has started the container.
            const ac = new AbortController();
            socket.once('close', () => ac.abort());
            const started = await svc.wait(name, { condition: 'started' }, ac.signal).catch(() => undefined);
            if (!started?.id) return void socket.end();
          }
          if (o.stdin && spec.stdin) {
            let streams: OpenStreams | undefined;
            try {
              streams = await streamsOf(ctx).attach(name, { replay: created });
            } catch {
              // Ended before its streams could be held: what it wrote is in its log.
            }
            if (streams) return await serveHijacked(socket, streams, { ...o, raw });
          }
          return await serveOutput(ctx, name, { tty: tty || raw, fromStart: created || flag(req.query, 'logs'), stdout: o.stdout, stderr: o.stderr }, socket);
        } finally {
          release?.();
        }
      });
    },
  };
}

function execCreateBody(body: unknown): { args: string[]; env?: string[]; user?: string; cwd?: string; tty: boolean; stdin: boolean } {
  const b = (body ?? {}) as Obj;
  if (typeof b !== 'object' || Array.isArray(b)) throw new InvalidArgumentError('the exec body must be an object (Cmd, Tty, AttachStdin, …)');
  if (!Array.isArray(b.Cmd) || !b.Cmd.length || !b.Cmd.every((a) => typeof a === 'string')) throw new InvalidArgumentError('No exec command specified (Cmd: a non-empty list of strings)');
  if (b.Privileged === true) throw new InvalidArgumentError('Privileged execs are not supported by berth; leave Privileged out');
  if (b.Env !== undefined && b.Env !== null && !(Array.isArray(b.Env) && b.Env.every((a) => typeof a === 'string'))) throw new InvalidArgumentError('Env must be a list of NAME=VALUE strings');
  return {
    args: b.Cmd as string[],
    ...(Array.isArray(b.Env) && b.Env.length ? { env: b.Env as string[] } : {}),
    ...(typeof b.User === 'string' && b.User ? { user: b.User } : {}),
    ...(typeof b.WorkingDir === 'string' && b.WorkingDir ? { cwd: b.WorkingDir } : {}),
    tty: b.Tty === true,
    stdin: b.AttachStdin === true,
  };
}

/** A terminal's new size (?h=&w=) for a container's or an exec's session: 200 with no body, as dockerd. */
function resizeRoute(path: string, resize: (id: string, size: ReturnType<typeof sizeOf>) => Promise<void>): Route {
  return {
    method: 'POST',
    path,
    handler: async (req) => {
      await resize(req.params.id!, sizeOf(req.query));
      return { status: 200, body: Buffer.alloc(0) };
    },
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    attachRoute(ctx, 'tcp'),
    attachRoute(ctx, 'websocket'),
    resizeRoute('/containers/:id/resize', (id, size) => streamsOf(ctx).resize(id, size)),
    {
      method: 'POST',
      path: '/containers/:id/exec',
      handler: async (req) => ({ status: 201, json: { Id: streamsOf(ctx).createExec(req.params.id!, execCreateBody(req.body)).id } }),
    },
    {
      method: 'POST',
      path: '/exec/:id/start',
      streams: true,
      handler: async (req) => {
        const b = (req.body ?? {}) as Obj;
        const streams = await streamsOf(ctx).startExec(req.params.id!);
        if (b.Detach === true) {
          // `exec -d`: the process runs on; its output is not kept.
          void (async () => {
            for await (const _ of streams.session.output());
          })().catch(() => undefined);
          return { status: 200, body: Buffer.alloc(0) };
        }
        const e = streamsOf(ctx).inspectExec(req.params.id!);
        return hijacked(streams.tty, (socket) => serveHijacked(socket, streams, { stdin: e.stdin, stdout: true, stderr: true, detachKeys: Buffer.alloc(0) }));
      },
    },
    resizeRoute('/exec/:id/resize', (id, size) => streamsOf(ctx).resizeExec(id, size)),
    {
      method: 'GET',
      path: '/exec/:id/json',
      handler: async (req) => {
        const e = streamsOf(ctx).inspectExec(req.params.id!);
        const container = await containersOf(ctx).inspect(e.container).catch(() => undefined);
        const out: DockerExecInspect = {
          ID: e.id, Running: e.running, ExitCode: e.exitCode ?? null,
          ProcessConfig: { tty: e.tty, entrypoint: e.args[0] ?? '', arguments: e.args.slice(1), privileged: false, user: e.user ?? '' },
          OpenStdin: e.stdin, OpenStderr: true, OpenStdout: true, CanRemove: false,
          ContainerID: container?.status?.containerID ?? '', DetachKeys: '', Pid: 0,
        };
        return { json: out };
      },
    },
  ];
}
