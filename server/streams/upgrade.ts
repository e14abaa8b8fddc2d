// HTTP upgrade for the stream routes (attach, exec start): a request with `Connection: Upgrade` and
// `Upgrade: tcp` (Docker's hijack) is routed as any other; a route that answers with a hijack gets
// `101 UPGRADED` and the raw connection. `Upgrade: websocket` does the same for the routes that
// take it (attach/ws), over a WebSocket. Errors before that are ordinary HTTP error responses.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { ApiRequest, HijackReply, Route } from '../api.ts';
import { BERTH_DIALECT, type HttpDialect } from '../dialect.ts';
import type { Logger } from '../log.ts';
import { serveWebsocket } from './websocket.ts';

export type FindRoute = (method: string, path: string) => { route: Route; params: Record<string, string> };

function httpError(socket: Duplex, err: unknown, dialect: HttpDialect): void {
  const { status, json } = dialect.error(err);
  const body = JSON.stringify(json) + '\n';
  const headers = Object.entries(dialect.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Requests bodies on a stream route stay small (Docker's exec start sends {"Detach":false,"Tty":true}). */
const MAX_UPGRADE_BODY = 1024 * 1024;

/**
 * The request's body (Content-Length bytes), read off the connection before it carries the
 * streams: what follows it is the client's input. Bytes read past it go back to the socket.
 */
async function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<unknown> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_UPGRADE_BODY) throw new InvalidArgumentError(`a stream request's body must be at most ${MAX_UPGRADE_BODY} bytes (Content-Length ${req.headers['content-length']})`);
  let buf = head;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const done = (c: Buffer | null) => (socket.off('data', onData), socket.off('end', onEnd), socket.pause(), resolve(c));
      const onData = (c: Buffer) => done(c);
      const onEnd = () => done(null);
      socket.on('data', onData).on('end', onEnd).resume();
    });
    if (!chunk) throw new InvalidArgumentError(`the connection ended inside the request's body (Content-Length ${length})`);
    buf = Buffer.concat([buf, chunk]);
  }
  if (buf.length > length) socket.unshift(buf.subarray(length));
  if (length === 0) return undefined;
  try {
    return JSON.parse(buf.subarray(0, length).toString('utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`request body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The upgrade handler, and the connections it holds: the HTTP server's close() neither counts nor
 * ends an upgraded connection, so the daemon ends them itself when it stops.
 */
export function createUpgradeHandler(find: FindRoute, log: Logger, dialect: HttpDialect = BERTH_DIALECT): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void; closeAll(): void } {
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
        const protocol = (req.headers.upgrade ?? '').toLowerCase();
        if (protocol !== 'tcp' && protocol !== 'websocket') throw new InvalidArgumentError(`upgrade to "${req.headers.upgrade}" is not offered; streams upgrade to tcp (Upgrade: tcp)`);
        const { route, params } = find(req.method ?? 'GET', dialect.routePath(url.pathname));
        // Refused before the handler runs: a verb asked the wrong way must not be done.
        if (protocol === 'tcp' ? !route.streams : !route.websocket) throw new InvalidArgumentError(`${req.method} ${url.pathname} does not upgrade${protocol === 'tcp' ? '' : ' to a WebSocket'}; send it without "Upgrade: ${req.headers.upgrade}"`);
        // A WebSocket handshake has no body: what follows the headers is the WebSocket's.
        const body = protocol === 'tcp' ? await readUpgradeBody(req, socket, head) : undefined;
        const apiReq: ApiRequest = { params, query: url.searchParams, body, raw: req, signal: ac.signal };
        const reply = await route.handler(apiReq);
        if (!('hijack' in reply)) throw new InvalidArgumentError(`${req.method} ${url.pathname} does not upgrade; send it without "Upgrade: ${req.headers.upgrade}"`);
        if (protocol === 'websocket') await serveWebsocket(req, socket, head, reply.hijack);
        else await serve(socket, reply.hijack, dialect);
        log.debug('api stream', { method: req.method, path: url.pathname });
      } catch (err) {
        if (dialect.error(err).status >= 500) log.error('api stream failed', { method: req.method, path: url.pathname, error: err });
        if (socket.writable) httpError(socket, err, dialect);
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

async function serve(socket: Duplex, h: HijackReply, dialect: HttpDialect): Promise<void> {
  const headers = Object.entries(dialect.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${h.contentType}\r\n${headers}Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  await h.serve(socket);
}
