// HTTP upgrade for the stream routes (attach, exec start): a request with `Connection: Upgrade` and
// `Upgrade: tcp` (Docker's hijack) is routed as any other; a route that answers with a hijack gets
// `101 UPGRADED` and the raw connection. Errors before that are ordinary HTTP error responses.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError, errorToJSON, InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ApiRequest, HijackReply, Route } from '../api.ts';
import type { Logger } from '../log.ts';

type FindRoute = (method: string, path: string) => { route: Route; params: Record<string, string> };

function httpError(socket: Duplex, err: unknown): void {
  const status = err instanceof BerthError ? err.httpStatus : 500;
  const body = JSON.stringify({ error: errorToJSON(err) }) + '\n';
  socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * The upgrade handler, and the connections it holds: the HTTP server's close() neither counts nor
 * ends an upgraded connection, so the daemon ends them itself when it stops.
 */
export function createUpgradeHandler(find: FindRoute, log: Logger): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void; closeAll(): void } {
  const open = new Set<Duplex>();
  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const ac = new AbortController();
    socket.once('close', () => ac.abort());
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://berth');
    void (async () => {
      try {
        if ((req.headers.upgrade ?? '').toLowerCase() !== 'tcp') throw new InvalidArgumentError(`upgrade to "${req.headers.upgrade}" is not offered; streams upgrade to tcp (Upgrade: tcp)`);
        const { route, params } = find(req.method ?? 'GET', url.pathname);
        const apiReq: ApiRequest = { params, query: url.searchParams, body: undefined, raw: req, signal: ac.signal };
        const reply = await route.handler(apiReq);
        if (!('hijack' in reply)) throw new InvalidArgumentError(`${req.method} ${url.pathname} does not upgrade; send it without "Upgrade: tcp"`);
        await serve(socket, head, reply.hijack);
        log.debug('api stream', { method: req.method, path: url.pathname });
      } catch (err) {
        if (!(err instanceof BerthError)) log.error('api stream failed', { method: req.method, path: url.pathname, error: err });
        if (socket.writable) httpError(socket, err);
      }
    })();
  };
  return {
    handle,
    closeAll: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

async function serve(socket: Duplex, head: Buffer, h: HijackReply): Promise<void> {
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${h.contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  // Bytes the client sent after its request's headers are already input.
  if (head.length) socket.unshift(head);
  await h.serve(socket);
}
