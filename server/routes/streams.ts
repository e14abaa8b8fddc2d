// berth's stream routes: attach to a container, resize its terminal, and exec sessions (create,
// start, resize, inspect) — the shape of Docker's (/containers/{id}/attach, /exec/{id}/start …), so
// the Docker Engine API can route its own onto the same calls. The streaming routes answer with a
// hijack: the connection is upgraded (`Upgrade: tcp`) and carries the streams (server/streams/).
import { UnavailableError } from '../../specs/errdefs.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../specs/streams/detach-keys.ts';
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../../specs/streams/stdcopy.ts';
import { json, queryFlag, type ApiReply, type ApiRequest, type Route } from '../api.ts';
import type { DaemonContext } from '../context.ts';
import { sizeOf, type ExecCreateRequest, type OpenStreams, type StreamService } from '../services/attach.ts';
import { serveHijacked } from '../streams/hijack.ts';

function service(ctx: DaemonContext): StreamService {
  if (!ctx.streams) throw new UnavailableError('this daemon runs without a container engine (no runtime configured); start it with one to attach to containers');
  return ctx.streams;
}

/** Docker's stream flags: stdin, stdout, stderr (berth's default: output on, input off) and detachKeys. */
function streamQuery(req: ApiRequest) {
  const q = req.query;
  return {
    stdin: queryFlag(q, 'stdin'),
    stdout: q.get('stdout') === null || queryFlag(q, 'stdout'),
    stderr: q.get('stderr') === null || queryFlag(q, 'stderr'),
    detachKeys: parseDetachKeys(q.get('detachKeys') || DEFAULT_DETACH_KEYS),
  };
}

/** The streams as an upgraded connection: raw with a terminal, multiplexed without. */
function hijack(streams: OpenStreams, req: ApiRequest): ApiReply {
  const o = streamQuery(req);
  return {
    hijack: {
      contentType: streams.tty ? RAW_STREAM : MULTIPLEXED_STREAM,
      serve: async (socket) => void (await serveHijacked(socket, streams, o)),
    },
  };
}

export default function routes(ctx: DaemonContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/containers/:name/attach',
      streams: true,
      handler: async (req) => {
        streamQuery(req); // bad detach keys are refused before the connection is taken
        return hijack(await service(ctx).attach(req.params.name!, { replay: queryFlag(req.query, 'replay') }), req);
      },
    },
    { method: 'GET', path: '/v1/containers/:name/attach-socket', handler: async (req) => json(await service(ctx).attachSocket(req.params.name!)) },
    {
      method: 'POST',
      path: '/v1/containers/:name/resize',
      handler: async (req) => {
        await service(ctx).resize(req.params.name!, sizeOf(req.query));
        return json({ name: req.params.name });
      },
    },
    {
      method: 'POST',
      path: '/v1/containers/:name/execs',
      handler: async (req) => json(service(ctx).createExec(req.params.name!, (req.body ?? {}) as ExecCreateRequest), 201),
    },
    {
      method: 'POST',
      path: '/v1/execs/:id/start',
      streams: true,
      handler: async (req) => {
        streamQuery(req);
        return hijack(await service(ctx).startExec(req.params.id!), req);
      },
    },
    {
      method: 'POST',
      path: '/v1/execs/:id/resize',
      handler: async (req) => {
        await service(ctx).resizeExec(req.params.id!, sizeOf(req.query));
        return json({ id: req.params.id });
      },
    },
    { method: 'GET', path: '/v1/execs/:id', handler: async (req) => json(service(ctx).inspectExec(req.params.id!)) },
  ];
}
