// The API server: node:http on a unix socket (mode 0660) or TCP, routes matched by find-my-way.
// Handlers return an ApiReply; thrown errdefs errors become their HTTP status and
// `{error: {kind, message}}`, which the client turns back into the same error class.
import { chmod, chown, mkdir, stat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Router from 'find-my-way';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../specs/errdefs.ts';
import type { ApiReply, ApiRequest, Route } from './api.ts';
import type { Logger } from './log.ts';
import type { SocketGroup } from './context.ts';
import { createUpgradeHandler, type FindRoute } from './streams/upgrade.ts';
import { drained } from '../specs/streams/drained.ts';
import { BERTH_DIALECT, type HttpDialect } from './dialect.ts';
import { httpDate } from '../specs/timestamps.ts';

export interface ApiServer {
  /** The socket path, or host:port when on TCP. */
  address: string;
  close(): Promise<void>;
}

let dateCache = { second: -1, text: '' };

/**
 * `handler` with each response's Date header written by berth (specs/timestamps.ts says why), not by
 * Node, whose own goes through Date's toUTCString; the same text, made once a second as Node does.
 */
export function withDateHeader(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (dateCache.second !== second) dateCache = { second, text: httpDate(now) };
    res.sendDate = false;
    res.setHeader('date', dateCache.text);
    handler(req, res);
  };
}

/** "host:port" or ":port" means TCP; "fd://" the socket systemd passes (socket activation); anything else is a unix socket path. */
export function parseListenAddress(addr: string): { path: string } | { host: string; port: number } | { fd: number } {
  if (addr === 'fd://') return { fd: activatedSocket() };
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^/:]*):(\d+)$/.exec(addr);
  if (m) return { host: (m[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  return { path: addr };
}

/**
 * The listening socket systemd passed (sd_listen_fds(3): fd 3, announced by LISTEN_PID and
 * LISTEN_FDS, which are then unset so that nothing this process starts takes them for its own).
 */
function activatedSocket(): number {
  const { LISTEN_PID, LISTEN_FDS } = process.env;
  if (LISTEN_PID !== String(process.pid) || !LISTEN_FDS || Number(LISTEN_FDS) < 1) {
    throw new InvalidArgumentError('fd:// is the socket systemd passes (berth.socket), and none was passed to this process; start it through systemd, or listen on unix:///path');
  }
  if (Number(LISTEN_FDS) > 1) throw new InvalidArgumentError(`systemd passed ${LISTEN_FDS} sockets; berth listens on one (give berth.socket one ListenStream)`);
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  return 3;
}

async function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const tooLarge = () => new InvalidArgumentError(`request body larger than ${max} bytes (${max / 1024 / 1024} MiB), the most this API takes as JSON`);
  // Refused unread when it says so; node then reads the rest off the connection and drops it.
  if (Number(req.headers['content-length'] ?? 0) > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`request body is not valid JSON: ${(e as Error).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function sendReply(req: IncomingMessage, res: ServerResponse, reply: ApiReply, signal: AbortSignal, dialect: HttpDialect): Promise<void> {
  if ('json' in reply) return sendJson(res, reply.status ?? 200, reply.json);
  if ('ndjson' in reply) {
    res.writeHead(reply.status ?? 200, { 'content-type': dialect.jsonStreamType, 'cache-control': 'no-cache' });
    res.flushHeaders();
    const it = reply.ndjson[Symbol.asyncIterator]();
    // Stop the producer when the client goes away, even while it waits for its next item.
    const onAbort = () => void it.return?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (done || signal.aborted) break;
        if (!res.write(JSON.stringify(value) + '\n')) {
          await drained(res);
        }
      }
    } catch (err) {
      // Headers are gone: the error travels as the stream's last line.
      if (!signal.aborted) res.write(JSON.stringify(dialect.streamError(err)) + '\n');
    } finally {
      signal.removeEventListener('abort', onAbort);
      res.end();
    }
    return;
  }
  if ('body' in reply) {
    res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/octet-stream', ...reply.headers });
    if (Buffer.isBuffer(reply.body)) return void res.end(reply.body);
    // A stream that may stay quiet (logs -f) still answers at once.
    res.flushHeaders();
    await pipeline(reply.body instanceof Readable ? reply.body : Readable.from(reply.body), res);
    return;
  }
  if ('hijack' in reply) {
    if (dialect.streamsWithoutUpgrade) {
      res.writeHead(200, { 'content-type': reply.hijack.contentType });
      res.flushHeaders();
      await reply.hijack.serve(Duplex.from({ readable: req, writable: res }));
      return;
    }
    throw new InvalidArgumentError('this route streams over an upgraded connection: send it with "Connection: Upgrade" and "Upgrade: tcp"');
  }
  res.writeHead(reply.status);
  res.end();
}

/** The routes matched by method and path: the route and its path parameters, or NotFound. */
function routeFinder(routes: Route[]): FindRoute {
  const router = Router({ ignoreTrailingSlash: true });
  for (const r of routes) {
    try {
      router.on(r.method, r.path, () => {}, r);
    } catch (e) {
      throw new Error(`route ${r.method} ${r.path} conflicts with another: ${(e as Error).message}`);
    }
  }
  return (method, path) => {
    const found = router.find(method as 'GET', path);
    if (!found) throw new NotFoundError(`no API route ${method} ${path}; see docs/api.md for the routes`);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = v;
    return { route: found.store as Route, params };
  };
}

/** Builds the request handler for a set of routes (exported for tests that mount it themselves). */
export function createHandler(routes: Route[], log: Logger, dialect: HttpDialect = BERTH_DIALECT): (req: IncomingMessage, res: ServerResponse) => void {
  return requestHandler(routeFinder(routes), log, dialect);
}

function requestHandler(find: FindRoute, log: Logger, dialect: HttpDialect): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    for (const [k, v] of Object.entries(dialect.headers)) res.setHeader(k, v);
    const ac = new AbortController();
    // 'close' on the response fires when it ended or the connection dropped; only the latter aborts.
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const url = new URL(req.url ?? '/', 'http://berth');
    const started = Date.now();
    void (async () => {
      try {
        const { route, params } = find(req.method ?? 'GET', dialect.routePath(url.pathname));
        const body = route.rawBody ? undefined : await readJsonBody(req, dialect.maxJsonBody);
        const apiReq: ApiRequest = { params, query: url.searchParams, body, raw: req, signal: ac.signal };
        await sendReply(req, res, await route.handler(apiReq), ac.signal, dialect);
        log.debug('api', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started });
      } catch (err) {
        const { status, json } = dialect.error(err);
        // A client that went away, or a verb not offered (501), is not the daemon's failure.
        if (status >= 500 && status !== 501 && !ac.signal.aborted) log.error('api request failed', { method: req.method, path: url.pathname, error: err });
        else log.debug('api request refused', { method: req.method, path: url.pathname, status, error: err });
        if (!res.headersSent) sendJson(res, status, json);
        else res.destroy(err as Error);
      }
    })();
  };
}

/** True when something accepts connections on the unix socket (another daemon is running). */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function prepareUnixSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const st = await stat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new InvalidArgumentError(`${path} exists and is not a socket; choose another --socket`);
  if (await socketAlive(path)) {
    throw new UnavailableError(`another daemon is already listening on ${path}; stop it or choose another --socket`);
  }
  // Left behind by a daemon that did not stop cleanly.
  await unlink(path);
}

async function socketGid(g: SocketGroup, log: Logger): Promise<number | undefined> {
  const { groupId } = await import('./systemd/groups.ts');
  const gid = /^\d+$/.test(g.name) ? Number(g.name) : await groupId(g.name);
  if (gid !== undefined) return gid;
  if (g.required) throw new InvalidArgumentError(`group "${g.name}" (the API socket's group) does not exist; create it (groupadd --system ${g.name}) or give another`);
  log.info(`the group ${g.name} does not exist, so the API socket is root's only; \`berth daemon install-service\` creates it for users of berth without sudo`);
  return undefined;
}

/** What a server answers with: its request handler and the handler of the streams that upgrade (attach, exec start, as Docker's hijack). */
interface Handlers {
  request: (req: IncomingMessage, res: ServerResponse) => void;
  upgrades: ReturnType<typeof createUpgradeHandler>;
}

/**
 * `routes` as a list, or as a function that loads them, called on the first request: the Docker API
 * on its socket, whose modules most daemons never need (measured at rest with and without them
 * loaded: 0.6 MiB of heap and ~1 MiB of resident memory).
 */
export async function startServer(routes: Route[] | (() => Promise<Route[]>), listen: string, log: Logger, o: { group?: SocketGroup; dialect?: HttpDialect } = {}): Promise<ApiServer> {
  const dialect = o.dialect ?? BERTH_DIALECT;
  // One router for both: requests and the streams that upgrade find their routes in the same table.
  const handlersOf = (r: Route[]): Handlers => {
    const find = routeFinder(r);
    return { request: requestHandler(find, log, dialect), upgrades: createUpgradeHandler(find, log, dialect) };
  };
  let handlers = Array.isArray(routes) ? handlersOf(routes) : undefined;
  let loading: Promise<Handlers> | undefined;
  // A load that failed is tried again by the next request.
  const loaded = (): Promise<Handlers> =>
    (loading ??= (routes as () => Promise<Route[]>)().then(
      (r) => (handlers = handlersOf(r)),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    ));
  /** Runs `use` with the handlers, once loaded; a load that failed is logged and `fail` answers. */
  const withHandlers = (use: (h: Handlers) => void, fail: (err: unknown) => void): void => {
    if (handlers) return use(handlers);
    loaded().then(use, (err: unknown) => {
      log.error('cannot load the API routes', { error: err });
      fail(err);
    });
  };
  // Routes given as a list are served directly; loaded ones through withHandlers.
  const eager = handlers;
  const server: Server = createServer(withDateHeader(eager ? eager.request : (req, res) => withHandlers((h) => h.request(req, res), (err) => sendJson(res, 500, dialect.error(err).json))));
  server.on('upgrade', eager ? eager.upgrades.handle : (req: IncomingMessage, socket: Duplex, head: Buffer) => withHandlers((h) => h.upgrades.handle(req, socket, head), () => socket.destroy()));
  // Streams (events --follow, logs -f) stay open indefinitely.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  const where = parseListenAddress(listen);
  if ('path' in where) await prepareUnixSocket(where.path);
  const gid = 'path' in where && o.group ? await socketGid(o.group, log) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in where) server.listen(where.path, resolve);
    else if ('fd' in where) server.listen({ fd: where.fd }, resolve);
    else server.listen(where.port, where.host, resolve);
  });
  let address = listen;
  if ('path' in where) {
    await chmod(where.path, 0o660);
    if (gid !== undefined) await chown(where.path, process.getuid?.() ?? 0, gid);
  } else if ('port' in where) {
    const a = server.address();
    if (a && typeof a === 'object') address = `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open streams would hold close() forever.
        server.closeAllConnections();
        handlers?.upgrades.closeAll();
      }).then(async () => {
        if ('path' in where) await unlink(where.path).catch(() => {});
      }),
  };
}
